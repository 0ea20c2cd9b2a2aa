locals {
  bucket_name     = coalesce(var.bucket_name, "${var.project}-terraform-state")
  lock_table_name = coalesce(var.lock_table_name, "${var.project}-terraform-locks")
  state_key       = coalesce(var.state_key, "${var.project}/${var.environment}/terraform.tfstate")

  tags = merge(
    {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "Terraform"
    },
    var.tags,
  )
}

resource "ode_state_backend" "this" {
  count = var.create ? 1 : 0

  bucket        = local.bucket_name
  lock_table    = local.lock_table_name
  state_key     = local.state_key
  kms_key_arn   = var.kms_key_arn
  force_destroy = var.force_destroy
  tags          = local.tags
}

# A backend made before the create toggle (module 0.1.0) is at ode_state_backend.this in its
# state: move it to the single instance count makes, so that the upgrade plans no change.
moved {
  from = ode_state_backend.this
  to   = ode_state_backend.this[0]
}
