output "bucket" {
  description = "Name of the state bucket."
  value       = var.create ? ode_state_backend.this[0].bucket : null
}

output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = var.create ? ode_state_backend.this[0].bucket_arn : null
}

output "lock_table" {
  description = "Name of the lock table."
  value       = var.create ? ode_state_backend.this[0].lock_table : null
}

output "lock_table_arn" {
  description = "ARN of the lock table."
  value       = var.create ? ode_state_backend.this[0].lock_table_arn : null
}

output "state_key" {
  description = "State object key used in backend_config."
  value       = var.create ? ode_state_backend.this[0].state_key : null
}

output "region" {
  description = "Region of the bucket and table."
  value       = var.create ? ode_state_backend.this[0].region : null
}

output "backend_config" {
  description = "A ready-to-paste terraform { backend \"s3\" { ... } } block."
  value       = var.create ? ode_state_backend.this[0].backend_config : null
}
