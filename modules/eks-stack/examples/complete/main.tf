# The eks-stack module with most of its inputs set, on a two-zone network made with
# the network module: a pinned-or-newest Kubernetes version, a restricted public
# endpoint, audit logs, a tainted system node group and a spot worker group, add-ons
# with configuration values, and IRSA roles for the platform's service accounts.

provider "ode" {
  region = var.region
}

module "network" {
  source = "../../../network"

  name               = "${var.name}-network"
  environment        = "staging"
  cidr_block         = "10.30.0.0/16"
  availability_zones = [for letter in ["a", "b"] : "${var.region}${letter}"]
  nat_gateways       = "single"

  # EKS finds the subnets for its load balancers by these tags.
  public_subnet_tags  = { "kubernetes.io/cluster/${var.name}" = "shared" }
  private_subnet_tags = { "kubernetes.io/cluster/${var.name}" = "shared" }
}

module "eks" {
  source = "../../"

  create      = true
  project     = "ode"
  environment = "staging"
  name        = var.name
  aws_region  = var.region

  kubernetes_version = var.kubernetes_version
  subnet_ids         = module.network.private_subnet_ids

  endpoint_private_access = true
  endpoint_public_access  = true
  public_access_cidrs     = var.public_access_cidrs
  authentication_mode     = "API"

  enabled_log_types  = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
  log_retention_days = 30

  # Null: the stack makes its own secrets key and roles.
  kms_key_arn      = var.kms_key_arn
  cluster_role_arn = null
  node_role_arn    = null

  node_groups = {
    # Cluster add-ons only: pods without a toleration for the taint go elsewhere.
    system = {
      instance_types  = ["t3.medium"]
      capacity_type   = "ON_DEMAND"
      min_size        = 2
      max_size        = 3
      desired_size    = 2
      disk_size       = 30
      ami_type        = "AL2023_x86_64_STANDARD"
      labels          = { "ode.dev/pool" = "system" }
      taints          = [{ key = "CriticalAddonsOnly", value = "true", effect = "NO_SCHEDULE" }]
      max_unavailable = 1
    }
    # The workloads, on spot capacity over two instance types; the cluster
    # autoscaler owns the size after creation.
    worker = {
      instance_types  = ["t3.large", "t3a.large"]
      capacity_type   = "SPOT"
      min_size        = 2
      max_size        = 6
      desired_size    = 2
      disk_size       = 50
      ami_type        = "AL2023_x86_64_STANDARD"
      labels          = { "ode.dev/pool" = "worker" }
      max_unavailable = 2
      scaling_owner   = "autoscaler"
    }
  }

  addons = {
    "vpc-cni"            = { configuration_values = jsonencode({ env = { ENABLE_PREFIX_DELEGATION = "true" } }) }
    "kube-proxy"         = {}
    "coredns"            = { configuration_values = jsonencode({ replicaCount = 2 }) }
    "aws-ebs-csi-driver" = {}
  }
  # The EBS CSI driver's controller gets its IRSA role (AmazonEBSCSIDriverPolicy).
  ebs_csi_driver_role = true

  access_entries = { for arn in var.admin_role_arns : arn => {} }

  service_accounts = {
    "ode/ode-api" = {
      policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    }
    "ode/ode-worker" = {
      policy_json = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect   = "Allow"
          Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
          Resource = "arn:aws:sqs:${var.region}:*:${var.name}-jobs"
        }]
      })
    }
  }

  tags = { Team = "platform", CostCenter = "ode-staging" }

  timeouts = {
    create = "90m"
    update = "2h"
    delete = "60m"
  }
}
