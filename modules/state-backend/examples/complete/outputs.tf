output "bucket" {
  description = "Name of the state bucket."
  value       = module.state_backend.bucket
}

output "lock_table" {
  description = "Name of the lock table."
  value       = module.state_backend.lock_table
}

output "backend_config" {
  description = "The backend \"s3\" block to paste into the root modules that keep their state here."
  value       = module.state_backend.backend_config
}
