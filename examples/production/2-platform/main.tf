# Step 2 on real AWS: the seed's whole platform (network, EKS with its add-ons and the
# controllers' roles, data tier, registry) with its state in the bucket from step 1,
# locked by its table.
#
#   terraform init -backend-config=backend.hcl   # backend.hcl: see backend.hcl.example
#   terraform plan -out=tfplan && terraform apply tfplan

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }

  # The bucket comes from -backend-config=backend.hcl (step 1's output backend_hcl):
  # bucket names are global, so yours is not the seed's. The key is the one step 1's
  # state_key names.
  backend "s3" {
    key            = "ode/production/platform.tfstate"
    region         = "us-east-1"
    dynamodb_table = "ode-terraform-locks"
    encrypt        = true
  }
}

provider "ode" {
  region = var.aws_region

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "Terraform"
    }
  }
}

module "platform" {
  source = "../../../modules/platform"

  aws_region  = var.aws_region
  project     = var.project
  environment = var.environment
  az_count    = var.az_count

  # Who may reach and administer the cluster: the API endpoint's allowed networks
  # (null leaves it open to the internet, with a warning at every plan), and the roles
  # besides the one that creates the cluster (CI's deploy role, the operators).
  kubernetes_version  = var.kubernetes_version
  public_access_cidrs = var.public_access_cidrs
  cluster_admin_arns  = var.cluster_admin_arns

  node_groups                     = var.node_groups
  addons                          = var.addons
  enable_load_balancer_controller = var.enable_load_balancer_controller
  enable_cluster_autoscaler       = var.enable_cluster_autoscaler

  database_name     = var.database_name
  database_username = var.database_username
  # Null (the default): RDS generates the password and keeps it in Secrets Manager.
  database_password     = var.database_password
  restore_from_snapshot = var.restore_from_snapshot

  network  = var.network
  eks      = var.eks
  postgres = var.postgres
  redis    = var.redis
  registry = var.registry
}
