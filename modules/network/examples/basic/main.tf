# The seed's network: 10.0.0.0/16 over three zones, public/private/isolated
# subnets, one NAT gateway per zone.

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

  project     = "ode"
  environment = "production"
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Where EKS nodes go."
  value       = module.network.private_subnet_ids
}
