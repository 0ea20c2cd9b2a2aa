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

  # The EBS CSI driver's controller creates and attaches volumes through the EC2
  # API: unless the caller names a service account for it, it gets an IRSA role
  # with the AWS managed policy made for it.
  ebs_csi_service_account = "kube-system/ebs-csi-controller-sa"
  ebs_csi_role            = var.ebs_csi_driver_role && try(var.addons["aws-ebs-csi-driver"].service_account == null, false)
  partition               = startswith(var.aws_region, "cn-") ? "aws-cn" : startswith(var.aws_region, "us-gov-") ? "aws-us-gov" : "aws"

  addons = {
    for name, addon in var.addons : name => (
      name == "aws-ebs-csi-driver" && local.ebs_csi_role
      ? merge(addon, { service_account = local.ebs_csi_service_account })
      : addon
    )
  }
  service_accounts = merge(
    local.ebs_csi_role ? {
      (local.ebs_csi_service_account) = {
        policy_arns = ["arn:${local.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
        policy_json = null
        identity    = null
      }
    } : {},
    var.service_accounts,
  )
}

resource "ode_eks_stack" "this" {
  count = var.create ? 1 : 0

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
  addons           = local.addons
  access_entries   = var.access_entries
  service_accounts = local.service_accounts

  tags = local.tags

  lifecycle {
    # The variable lets an empty list through for create = false.
    precondition {
      condition     = length(var.subnet_ids) >= 2
      error_message = "EKS needs subnets in at least two availability zones; list at least two subnet IDs in subnet_ids (it may be empty only with create = false)."
    }
  }

  dynamic "timeouts" {
    for_each = var.timeouts == null ? [] : [var.timeouts]

    content {
      create = timeouts.value.create
      update = timeouts.value.update
      delete = timeouts.value.delete
    }
  }
}

# A stack made before the create toggle (module 0.1.0) is at ode_eks_stack.this in its
# state: move it to the single instance count makes, so that the upgrade plans no change.
moved {
  from = ode_eks_stack.this
  to   = ode_eks_stack.this[0]
}
