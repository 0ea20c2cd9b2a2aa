output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = ode_state_backend.this.bucket_arn
}

output "lock_table_arn" {
  description = "ARN of the lock table."
  value       = ode_state_backend.this.lock_table_arn
}

output "backend_config" {
  description = "Paste this block into the root modules that keep their state here."
  value       = ode_state_backend.this.backend_config
}
