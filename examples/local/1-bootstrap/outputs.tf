output "state_bucket" {
  description = "Bucket that holds the state files."
  value       = module.state_backend.bucket
}

output "lock_table" {
  description = "Table that locks them."
  value       = module.state_backend.lock_table
}

output "backend_config" {
  description = "The backend block for step 2 (on real AWS)."
  value       = module.state_backend.backend_config
}
