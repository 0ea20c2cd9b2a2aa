# The seed's EKS stack on the private subnets of an ode_network.
resource "ode_network" "this" {
  name = "ode-production"
}

resource "ode_eks_stack" "this" {
  name               = "ode-production-cluster"
  kubernetes_version = "1.35"
  subnet_ids         = ode_network.this.private_subnet_ids

  node_groups = {
    system = {
      instance_types = ["t3.medium"]
      min_size       = 2
      max_size       = 4
      desired_size   = 2
      labels         = { role = "system" }
    }
    worker = {
      instance_types = ["t3.large"]
      capacity_type  = "ON_DEMAND" # SPOT cuts worker costs when interruptions are fine
      min_size       = 3
      max_size       = 10
      desired_size   = 3
      scaling_owner  = "autoscaler" # the cluster autoscaler's changes are not drift
    }
  }

  addons = {
    "vpc-cni"    = {}
    "kube-proxy" = {}
    "coredns"    = {}
  }

  access_entries = {
    "arn:aws:iam::123456789012:role/platform-admin" = {}
  }

  # The platform's pods reach the document buckets through this role (IRSA).
  service_accounts = {
    "ode/api" = {
      policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    }
  }

  tags = {
    Environment = "production"
  }
}

output "update_kubeconfig" {
  value = "aws eks update-kubeconfig --name ${ode_eks_stack.this.name}"
}
