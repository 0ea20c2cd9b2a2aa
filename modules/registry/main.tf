locals {
  name = coalesce(var.name, var.project)

  tags = merge(
    {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "Terraform"
    },
    var.tags,
  )
}

resource "ode_registry" "this" {
  count = var.create ? 1 : 0

  name = local.name

  keep_tagged_images   = var.keep_tagged_images
  untagged_expiry_days = var.untagged_expiry_days
  immutable_tags       = var.immutable_tags
  kms_key_arn          = var.kms_key_arn
  pull_principal_arns  = length(var.pull_principal_arns) > 0 ? var.pull_principal_arns : null
  force_destroy        = var.force_destroy
  tags                 = local.tags

  repositories = var.repositories

  dynamic "timeouts" {
    for_each = var.timeouts == null ? [] : [var.timeouts]

    content {
      create = timeouts.value.create
      update = timeouts.value.update
      delete = timeouts.value.delete
    }
  }
}

# A registry made before the create toggle (module 0.1.0) is at ode_registry.this in its
# state: move it to the single instance count makes, so that the upgrade plans no change.
moved {
  from = ode_registry.this
  to   = ode_registry.this[0]
}
