locals {
  name = coalesce(var.name, "${var.project}-${var.environment}-cluster")

  tags = merge(
    {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "Terraform"
    },
    var.tags,
  )
}

resource "ode_eks_stack" "this" {
  name               = local.name
  kubernetes_version = var.kubernetes_version
  subnet_ids         = var.subnet_ids

  endpoint_private_access = var.endpoint_private_access
  endpoint_public_access  = var.endpoint_public_access
  public_access_cidrs     = var.public_access_cidrs
  authentication_mode     = var.authentication_mode

  enabled_log_types  = var.enabled_log_types
  log_retention_days = var.log_retention_days

  kms_key_arn      = var.kms_key_arn
  cluster_role_arn = var.cluster_role_arn
  node_role_arn    = var.node_role_arn

  node_groups      = var.node_groups
  addons           = var.addons
  access_entries   = var.access_entries
  service_accounts = var.service_accounts

  tags = local.tags

  dynamic "timeouts" {
    for_each = var.timeouts == null ? [] : [var.timeouts]

    content {
      create = timeouts.value.create
      update = timeouts.value.update
      delete = timeouts.value.delete
    }
  }
}
