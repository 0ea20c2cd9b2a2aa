# Step 2: the network, with its state in the bucket from step 1 and locked by
# its table. Backend settings come from -backend-config=backend.hcl.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = ">= 0.1.0"
    }
  }

  backend "s3" {}
}

provider "ode" {
  region = var.aws_region

  endpoints {
    ec2 = var.endpoint_url
    sts = var.endpoint_url
  }

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
