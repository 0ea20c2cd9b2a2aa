output "name" {
  description = "Name of the tier, the prefix of its objects' names."
  value       = ode_data_tier.this.name
}

output "subnet_ids" {
  description = "Subnets of the database and Redis subnet groups."
  value       = ode_data_tier.this.subnet_ids
}

output "allowed_security_group_ids" {
  description = "Security groups whose members may reach PostgreSQL and Redis."
  value       = ode_data_tier.this.allowed_security_group_ids
}

output "allowed_cidr_blocks" {
  description = "CIDR blocks that may reach PostgreSQL and Redis."
  value       = ode_data_tier.this.allowed_cidr_blocks
}

output "rds_endpoint" {
  description = "PostgreSQL host name."
  value       = ode_data_tier.this.rds_endpoint
}

output "rds_port" {
  description = "PostgreSQL port (5432)."
  value       = ode_data_tier.this.rds_port
}

output "rds_arn" {
  description = "ARN of the DB instance."
  value       = ode_data_tier.this.rds_arn
}

output "database_name" {
  description = "Name of the PostgreSQL database."
  value       = var.database_name
}

output "database_username" {
  description = "Master user name of PostgreSQL."
  value       = var.database_username
}

output "database_url" {
  description = "postgresql://<user>@<host>:5432/<database>?sslmode=require, without a password."
  value       = ode_data_tier.this.database_url
}

output "master_secret_arn" {
  description = "Secrets Manager secret in which RDS keeps the master password (null when database_password is set)."
  value       = ode_data_tier.this.master_secret_arn
}

output "redis_endpoint" {
  description = "Redis primary endpoint host name."
  value       = ode_data_tier.this.redis_endpoint
}

output "redis_reader_endpoint" {
  description = "Redis reader endpoint host name."
  value       = ode_data_tier.this.redis_reader_endpoint
}

output "redis_port" {
  description = "Redis port (6379)."
  value       = ode_data_tier.this.redis_port
}

output "redis_url" {
  description = "rediss://<host>:6379 (redis:// without transit encryption), without the AUTH token."
  value       = ode_data_tier.this.redis_url
}

output "redis_auth_secret_arn" {
  description = "Secrets Manager secret holding the generated Redis AUTH token (null when redis_auth_token is set or transit encryption is off)."
  value       = ode_data_tier.this.redis_auth_secret_arn
}

output "bucket_names" {
  description = "Bucket names by key (documents = ode-production-documents, ...)."
  value       = ode_data_tier.this.bucket_names
}

output "bucket_arns" {
  description = "Bucket ARNs by key."
  value       = ode_data_tier.this.bucket_arns
}

output "security_group_ids" {
  description = "The tier's security group IDs by engine (postgres, redis)."
  value       = ode_data_tier.this.security_group_ids
}

output "kms_key_arn" {
  description = "The tier's KMS key (supplied or created): it encrypts the database, Redis, the buckets and the secrets."
  value       = ode_data_tier.this.secrets_kms_key_arn
}

output "exposure" {
  description = "\"verified\" when only the allowed sources can reach the databases, nothing is public and encryption is on; otherwise the violations (drift that apply repairs)."
  value       = ode_data_tier.this.exposure
}

output "pending_changes" {
  description = "Modifications AWS applies in the next maintenance window, by setting (for example postgres.instance_class); empty when none."
  value       = ode_data_tier.this.pending_changes
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the tier in USD (on-demand list prices, storage as configured; the provider's estimate)."
  value       = ode_data_tier.this.estimated_monthly_cost
}

output "cost_items" {
  description = "The estimate's items in USD per month (database, Redis, storage, ...), as the provider reports them."
  value       = ode_data_tier.this.cost_items
}
