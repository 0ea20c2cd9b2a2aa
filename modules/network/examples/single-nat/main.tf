# A cheaper staging network: two zones, one NAT gateway, no isolated tier.

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
  region = "us-east-1"
}

module "network" {
  source = "../../"

  project                 = "ode"
  environment             = "staging"
  cidr_block              = "10.1.0.0/16"
  az_count                = 2
  nat_gateways            = "single"
  create_isolated_subnets = false
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}
