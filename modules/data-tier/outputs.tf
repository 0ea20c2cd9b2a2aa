output "name" {
  description = "Name of the tier, the prefix of its objects' names."
  value       = var.create ? ode_data_tier.this[0].name : null
}

output "subnet_ids" {
  description = "Subnets of the database and Redis subnet groups."
  value       = var.create ? ode_data_tier.this[0].subnet_ids : []
}

output "allowed_security_group_ids" {
  description = "Security groups whose members may reach PostgreSQL and Redis."
  value       = var.create ? ode_data_tier.this[0].allowed_security_group_ids : []
}

output "allowed_cidr_blocks" {
  description = "CIDR blocks that may reach PostgreSQL and Redis."
  value       = var.create ? ode_data_tier.this[0].allowed_cidr_blocks : []
}

output "rds_endpoint" {
  description = "PostgreSQL host name."
  value       = var.create ? ode_data_tier.this[0].rds_endpoint : null
}

output "rds_port" {
  description = "PostgreSQL port (5432)."
  value       = var.create ? ode_data_tier.this[0].rds_port : null
}

output "rds_arn" {
  description = "ARN of the DB instance."
  value       = var.create ? ode_data_tier.this[0].rds_arn : null
}

output "database_name" {
  description = "Name of the PostgreSQL database."
  value       = var.create ? var.database_name : null
}

output "database_username" {
  description = "Master user name of PostgreSQL."
  value       = var.create ? var.database_username : null
}

output "database_url" {
  description = "postgresql://<user>@<host>:5432/<database>?sslmode=require, without a password."
  value       = var.create ? ode_data_tier.this[0].database_url : null
}

output "master_secret_arn" {
  description = "Secrets Manager secret in which RDS keeps the master password (null when database_password is set)."
  value       = var.create ? ode_data_tier.this[0].master_secret_arn : null
}

output "redis_endpoint" {
  description = "Redis primary endpoint host name."
  value       = var.create ? ode_data_tier.this[0].redis_endpoint : null
}

output "redis_reader_endpoint" {
  description = "Redis reader endpoint host name."
  value       = var.create ? ode_data_tier.this[0].redis_reader_endpoint : null
}

output "redis_port" {
  description = "Redis port (6379)."
  value       = var.create ? ode_data_tier.this[0].redis_port : null
}

output "redis_url" {
  description = "rediss://<host>:6379 (redis:// without transit encryption), without the AUTH token."
  value       = var.create ? ode_data_tier.this[0].redis_url : null
}

output "redis_auth_secret_arn" {
  description = "Secrets Manager secret holding the generated Redis AUTH token (null when redis_auth_token is set or transit encryption is off)."
  value       = var.create ? ode_data_tier.this[0].redis_auth_secret_arn : null
}

output "bucket_names" {
  description = "Bucket names by key (documents = ode-production-documents, ...)."
  value       = var.create ? ode_data_tier.this[0].bucket_names : {}
}

output "bucket_arns" {
  description = "Bucket ARNs by key."
  value       = var.create ? ode_data_tier.this[0].bucket_arns : {}
}

output "security_group_ids" {
  description = "The tier's security group IDs by engine (postgres, redis)."
  value       = var.create ? ode_data_tier.this[0].security_group_ids : {}
}

output "kms_key_arn" {
  description = "The tier's KMS key (supplied or created): it encrypts the database, Redis, the buckets and the secrets."
  value       = var.create ? ode_data_tier.this[0].secrets_kms_key_arn : null
}

output "exposure" {
  description = "\"verified\" when only the allowed sources can reach the databases, nothing is public and encryption is on; otherwise the violations (drift that apply repairs)."
  value       = var.create ? ode_data_tier.this[0].exposure : null
}

output "pending_changes" {
  description = "Modifications AWS applies in the next maintenance window, by setting (for example postgres.instance_class); empty when none."
  value       = var.create ? ode_data_tier.this[0].pending_changes : {}
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the tier in USD (on-demand list prices, storage as configured; the provider's estimate)."
  value       = var.create ? ode_data_tier.this[0].estimated_monthly_cost : null
}

output "cost_items" {
  description = "The estimate's items in USD per month (database, Redis, storage, ...), as the provider reports them."
  value       = var.create ? ode_data_tier.this[0].cost_items : {}
}
