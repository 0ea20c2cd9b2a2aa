output "bucket" {
  description = "Name of the state bucket."
  value       = ode_state_backend.this.bucket
}

output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = ode_state_backend.this.bucket_arn
}

output "lock_table" {
  description = "Name of the lock table."
  value       = ode_state_backend.this.lock_table
}

output "lock_table_arn" {
  description = "ARN of the lock table."
  value       = ode_state_backend.this.lock_table_arn
}

output "state_key" {
  description = "State object key used in backend_config."
  value       = ode_state_backend.this.state_key
}

output "region" {
  description = "Region of the bucket and table."
  value       = ode_state_backend.this.region
}

output "backend_config" {
  description = "A ready-to-paste terraform { backend \"s3\" { ... } } block."
  value       = ode_state_backend.this.backend_config
}
