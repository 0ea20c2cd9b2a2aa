# Step 2 on real AWS: the network, with remote state and locking.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = ">= 0.1.0"
    }
  }

  backend "s3" {
    bucket         = "ode-terraform-state"
    key            = "ode/production/network.tfstate"
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

module "network" {
  source = "../../../modules/network"

  project      = var.project
  environment  = var.environment
  cidr_block   = var.vpc_cidr
  az_count     = var.az_count
  nat_gateways = var.nat_gateways
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets (EKS nodes)."
  value       = module.network.private_subnet_ids
}

output "isolated_subnet_ids" {
  description = "Isolated subnets (RDS, Redis)."
  value       = module.network.isolated_subnet_ids
}
