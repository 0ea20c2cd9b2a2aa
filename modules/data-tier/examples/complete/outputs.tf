output "database_url" {
  description = "The database URL (no password in it)."
  value       = module.data_tier.database_url
}

output "master_secret_arn" {
  description = "The Secrets Manager secret that holds the master password."
  value       = module.data_tier.master_secret_arn
}

output "redis_url" {
  description = "The Redis URL (no AUTH token in it)."
  value       = module.data_tier.redis_url
}

output "redis_auth_secret_arn" {
  description = "The Secrets Manager secret that holds the Redis AUTH token."
  value       = module.data_tier.redis_auth_secret_arn
}

output "bucket_names" {
  description = "The tier's buckets, by key."
  value       = module.data_tier.bucket_names
}

output "exposure" {
  description = "\"verified\" when only the allowed sources can reach the databases."
  value       = module.data_tier.exposure
}

output "estimated_monthly_cost" {
  description = "The provider's estimate of the tier's monthly cost in USD."
  value       = module.data_tier.estimated_monthly_cost
}
