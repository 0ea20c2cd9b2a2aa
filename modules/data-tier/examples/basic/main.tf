# The seed's data tier: PostgreSQL 15 (db.t3.medium, Multi-AZ), Redis OSS 7 (two
# cache.t3.medium nodes) and the documents, exports and fonts buckets in the isolated
# subnets of the seed's network, reachable from the private subnets only.

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
  source = "../../../network"

  project     = "ode"
  environment = "production"
}

module "data_tier" {
  source = "../../"

  project     = "ode"
  environment = "production"

  vpc_id              = module.network.vpc_id
  subnet_ids          = module.network.isolated_subnet_ids
  allowed_cidr_blocks = module.network.private_subnet_cidrs

  # No database_password: RDS keeps the master password in Secrets Manager.
}

output "database_url" {
  description = "The database URL (no password in it)."
  value       = module.data_tier.database_url
}

output "master_secret_arn" {
  description = "Where the master password is."
  value       = module.data_tier.master_secret_arn
}

output "redis_url" {
  description = "The Redis URL (no token in it)."
  value       = module.data_tier.redis_url
}

output "bucket_names" {
  description = "The document buckets."
  value       = module.data_tier.bucket_names
}
