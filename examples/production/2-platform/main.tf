# Step 2 on real AWS: the seed's whole platform (network, EKS, data tier, registry)
# with its state in the bucket from step 1, locked by its table.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }

  backend "s3" {
    bucket         = "ode-terraform-state"
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

  aws_region         = var.aws_region
  project            = var.project
  environment        = var.environment
  az_count           = var.az_count
  cluster_admin_arns = var.cluster_admin_arns

  database_name     = var.database_name
  database_username = var.database_username
  # Null (the default): RDS generates the password and keeps it in Secrets Manager.
  database_password = var.database_password
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.platform.vpc_id
}

output "cluster_name" {
  description = "The EKS cluster."
  value       = module.platform.cluster_name
}

output "update_kubeconfig_command" {
  description = "Run this after apply, then follow k8s/README.md."
  value       = module.platform.update_kubeconfig_command
}

output "rds_endpoint" {
  description = "PostgreSQL host name."
  value       = module.platform.rds_endpoint
}

output "redis_endpoint" {
  description = "Redis primary endpoint."
  value       = module.platform.redis_endpoint
}

output "master_secret_arn" {
  description = "Secrets Manager secret with the database password (when RDS manages it)."
  value       = module.platform.master_secret_arn
}

output "bucket_names" {
  description = "The document buckets."
  value       = module.platform.bucket_names
}

output "repository_urls" {
  description = "Where CI pushes the images."
  value       = module.platform.repository_urls
}

output "service_account_role_arns" {
  description = "IRSA role ARNs by service account (ode/ode-api, ode/ode-worker): the role-arn annotations k8s/ patches in."
  value       = module.platform.service_account_role_arns
}

output "kubernetes_secret_manifest" {
  description = "The ode-secrets Secret for k8s/ (URLs without passwords)."
  value       = module.platform.kubernetes_secret_manifest
}

output "estimated_monthly_cost" {
  description = "The plan-time estimate in USD per month (us-east-1 list prices)."
  value       = module.platform.estimated_monthly_cost
}
