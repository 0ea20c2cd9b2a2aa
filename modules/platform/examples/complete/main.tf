# The platform with most of its inputs set: a staging environment on two zones with one
# NAT gateway, a pinned Kubernetes version reachable from one office network, a spot
# worker pool on Graviton, valkey instead of Redis OSS, smaller databases, a fourth
# repository, a service account of the caller's own and an extra add-on.

terraform {
  required_version = ">= 1.5"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}

provider "ode" {
  region = var.aws_region
}

module "platform" {
  source = "../../"

  create      = true
  aws_region  = var.aws_region
  project     = "ode"
  environment = "staging"

  cidr_block   = "10.20.0.0/16"
  az_count     = 2
  nat_gateways = "single"

  network = {
    isolated_subnet_prefix_length = 24
    private_subnet_tags           = { "karpenter.sh/discovery" = "ode-staging-cluster" }
  }

  kubernetes_version  = "1.35"
  public_access_cidrs = var.office_cidrs
  cluster_admin_arns  = var.cluster_admin_arns

  eks = {
    enabled_log_types  = ["api", "audit", "authenticator"]
    log_retention_days = 30
    access_entries = {
      "arn:aws:iam::123456789012:role/support-readonly" = {
        policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
        namespaces = ["ode"]
      }
    }
  }

  node_groups = {
    system = {
      instance_types = ["t3.medium"]
      min_size       = 2
      max_size       = 3
      desired_size   = 2
    }
    worker = {
      instance_types = ["m7g.large", "m6g.large"]
      capacity_type  = "SPOT"
      ami_type       = "AL2023_ARM_64_STANDARD"
      disk_size      = 40
      min_size       = 1
      max_size       = 6
      desired_size   = 2
      scaling_owner  = "autoscaler"
    }
  }

  addons = {
    "snapshot-controller" = {}
  }

  enable_load_balancer_controller = true
  enable_cluster_autoscaler       = true

  # A role of the caller's own beside the platform's.
  service_accounts = {
    "ode/ode-exporter" = {
      policy_arns = ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"]
    }
  }

  database_name     = "odedb"
  database_username = "odeadmin"
  postgres = {
    instance_class        = "db.t4g.medium"
    allocated_storage     = 50
    max_allocated_storage = 200
    multi_az              = false
    backup_retention_days = 3
    final_snapshot        = false
  }
  # restore_from_snapshot = "ode-production-postgres-final-20261201000000"

  redis = {
    engine             = "valkey"
    engine_version     = "8"
    node_type          = "cache.t4g.small"
    num_cache_clusters = 1
    automatic_failover = false
    multi_az           = false
  }

  buckets = {
    documents = {}
    exports   = { transition_ia_days = 30, noncurrent_expiration_days = 30 }
  }

  registry = {
    repositories = {
      api      = {}
      worker   = {}
      viewer   = {}
      exporter = { keep_tagged_images = 10 }
    }
    untagged_expiry_days = 3
  }

  deletion_protection = false
  force_destroy       = true

  tags = { CostCenter = "documents" }
}
