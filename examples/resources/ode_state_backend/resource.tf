resource "ode_state_backend" "this" {
  bucket     = "ode-terraform-state"
  lock_table = "ode-terraform-locks"
  state_key  = "ode/production/terraform.tfstate"

  tags = {
    Environment = "production"
  }
}

# A `terraform { backend "s3" { ... } }` block for the root modules that keep
# their state in this backend.
output "backend_config" {
  value = ode_state_backend.this.backend_config
}
