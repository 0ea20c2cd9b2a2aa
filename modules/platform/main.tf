locals {
  cluster_name = "${var.project}-${var.environment}-cluster"
  tier_name    = "${var.project}-${var.environment}"

  # EKS finds the subnets for its load balancers by this tag (besides the role tags
  # the network module sets).
  cluster_subnet_tags = { "kubernetes.io/cluster/${local.cluster_name}" = "shared" }

  # The data tier names its buckets <tier>-<key>, so their ARNs are known before the
  # tier exists. The IRSA policy below needs them before the cluster is made, and the
  # tier needs the cluster's security group: taking the ARNs from the tier would be a
  # cycle. A check block compares them with the tier's bucket_arns.
  partition   = startswith(var.aws_region, "cn-") ? "aws-cn" : startswith(var.aws_region, "us-gov-") ? "aws-us-gov" : "aws"
  bucket_keys = sort(keys(var.buckets))
  bucket_arns = [for key in local.bucket_keys : "arn:${local.partition}:s3:::${local.tier_name}-${key}"]

  # What the platform's pods may do: the document buckets, and the two secrets the
  # ode-secrets manifest leaves out (the database password RDS keeps, the Redis AUTH
  # token the tier generated). Buckets and secrets are encrypted with the tier's KMS
  # key, so the pods may use that key too, but only as S3 and Secrets Manager use it
  # for them. The secrets' ARNs are not known before the tier exists: the Redis token
  # is matched by its name, the RDS-managed secret (rds!db-<id>) by the instance RDS
  # tags it with.
  arn_prefix = "arn:${local.partition}"
  app_policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListTheDocumentBuckets"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = local.bucket_arns
      },
      {
        Sid      = "ReadWriteDocuments"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = [for arn in local.bucket_arns : "${arn}/*"]
      },
      {
        Sid      = "UseTheTierKeyThroughS3"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = "*"
        Condition = {
          StringEquals = { "kms:ViaService" = "s3.${var.aws_region}.amazonaws.com" }
          ArnLike      = { "kms:EncryptionContext:aws:s3:arn" = concat(local.bucket_arns, [for arn in local.bucket_arns : "${arn}/*"]) }
        }
      },
      {
        Sid      = "ReadTheRedisAuthToken"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
        Resource = "${local.arn_prefix}:secretsmanager:${var.aws_region}:*:secret:${local.tier_name}/redis-auth-token-??????"
      },
      {
        Sid      = "ReadTheDatabasePassword"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
        Resource = "${local.arn_prefix}:secretsmanager:${var.aws_region}:*:secret:rds!db-*"
        Condition = {
          StringLike = { "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn" = "${local.arn_prefix}:rds:${var.aws_region}:*:db:${local.tier_name}-postgres" }
        }
      },
      {
        Sid      = "UseTheTierKeyThroughSecretsManager"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = "*"
        Condition = {
          StringEquals = { "kms:ViaService" = "secretsmanager.${var.aws_region}.amazonaws.com" }
        }
      },
    ]
  })

  # The pods that touch documents: the API and the worker.
  service_accounts = {
    "ode/ode-api"    = { policy_json = local.app_policy_json }
    "ode/ode-worker" = { policy_json = local.app_policy_json }
  }

  # The controllers the seed's workloads need (controllers.tf holds their policies), then
  # the caller's accounts, which replace a key of the platform's.
  controller_service_accounts = merge(
    var.enable_load_balancer_controller ? { (local.load_balancer_controller_account) = { policy_json = local.load_balancer_controller_policy_json } } : {},
    var.enable_cluster_autoscaler ? { (local.cluster_autoscaler_account) = { policy_json = local.cluster_autoscaler_policy_json } } : {},
  )
  all_service_accounts = merge(local.service_accounts, local.controller_service_accounts, var.service_accounts)

  # Node groups: each labelled with its pool (what the seed's deployments select), the
  # system group tainted so that only critical add-ons and the controllers land there.
  critical_addons_taint = { key = "CriticalAddonsOnly", value = "true", effect = "NO_SCHEDULE" }
  node_groups = {
    for name, group in var.node_groups : name => merge(group, {
      labels = tomap(merge({ "ode.dev/pool" = name }, group.labels == null ? {} : group.labels))
      taints = group.taints != null ? group.taints : name == "system" ? [local.critical_addons_taint] : null
    })
  }
  # The controllers run on the system group when there is one (they tolerate its taint).
  controller_node_selector = contains(keys(local.node_groups), "system") ? { "ode.dev/pool" = local.node_groups["system"].labels["ode.dev/pool"] } : {}

  # Add-ons: the platform's, with the caller's attributes over them one by one; a name
  # the caller sets to null is left out. A coredns configuration replaces its list of
  # tolerations, so it repeats EKS's own two: coredns may run on the tainted system
  # nodes (and on the control plane's, where EKS has any).
  default_addons = {
    "vpc-cni"            = {}
    "kube-proxy"         = {}
    "coredns"            = { configuration_values = local.coredns_configuration }
    "aws-ebs-csi-driver" = {}
    "metrics-server"     = {}
  }
  coredns_configuration = jsonencode({
    tolerations = [
      { key = "CriticalAddonsOnly", operator = "Exists" },
      { key = "node-role.kubernetes.io/control-plane", effect = "NoSchedule" },
    ]
  })
  caller_addons  = { for name, addon in var.addons : name => { for k, v in addon : k => v if v != null } if addon != null }
  removed_addons = [for name, addon in var.addons : name if addon == null]
  addons = {
    for name in setsubtract(distinct(concat(keys(local.default_addons), keys(var.addons))), local.removed_addons) : name => merge(
      { version = null, configuration_values = null, service_account = null },
      try(local.default_addons[name], {}),
      try(local.caller_addons[name], {}),
    )
  }

  costs = [
    for cost in [
      module.network.estimated_monthly_cost,
      module.eks.estimated_monthly_cost,
      module.data_tier.estimated_monthly_cost,
      module.registry.estimated_monthly_cost,
    ] : cost if cost != null
  ]
  cost_items = [
    module.network.cost_items,
    module.eks.cost_items,
    module.data_tier.cost_items,
    module.registry.cost_items,
  ]
}

module "network" {
  source = "../network"

  create             = var.create
  project            = var.project
  environment        = var.environment
  cidr_block         = var.cidr_block
  availability_zones = var.availability_zones
  az_count           = var.az_count
  nat_gateways       = var.nat_gateways

  public_subnet_prefix_length   = var.network.public_subnet_prefix_length
  private_subnet_prefix_length  = var.network.private_subnet_prefix_length
  isolated_subnet_prefix_length = var.network.isolated_subnet_prefix_length
  public_subnet_cidrs           = var.network.public_subnet_cidrs
  private_subnet_cidrs          = var.network.private_subnet_cidrs
  isolated_subnet_cidrs         = var.network.isolated_subnet_cidrs
  enable_dns_hostnames          = var.network.enable_dns_hostnames
  enable_dns_support            = var.network.enable_dns_support
  manage_default_security_group = var.network.manage_default_security_group
  gateway_endpoints             = var.network.gateway_endpoints
  interface_endpoints           = var.network.interface_endpoints
  flow_logs                     = var.network.flow_logs
  timeouts                      = var.network.timeouts

  public_subnet_tags   = merge(var.network.public_subnet_tags, local.cluster_subnet_tags)
  private_subnet_tags  = merge(var.network.private_subnet_tags, local.cluster_subnet_tags)
  isolated_subnet_tags = var.network.isolated_subnet_tags

  tags = var.tags
}

module "eks" {
  source = "../eks-stack"

  create             = var.create
  project            = var.project
  environment        = var.environment
  aws_region         = var.aws_region
  kubernetes_version = var.kubernetes_version
  subnet_ids         = module.network.private_subnet_ids

  endpoint_private_access = var.eks.endpoint_private_access
  endpoint_public_access  = var.eks.endpoint_public_access
  public_access_cidrs     = var.public_access_cidrs
  authentication_mode     = var.eks.authentication_mode
  enabled_log_types       = var.eks.enabled_log_types
  log_retention_days      = var.eks.log_retention_days
  kms_key_arn             = var.eks.secrets_kms_key_arn
  cluster_role_arn        = var.eks.cluster_role_arn
  node_role_arn           = var.eks.node_role_arn
  ebs_csi_driver_role     = var.eks.ebs_csi_driver_role
  timeouts                = var.eks.timeouts

  node_groups      = local.node_groups
  addons           = local.addons
  access_entries   = merge({ for arn in var.cluster_admin_arns : arn => {} }, var.eks.access_entries)
  service_accounts = local.all_service_accounts

  tags = var.tags
}

module "data_tier" {
  source = "../data-tier"

  create      = var.create
  project     = var.project
  environment = var.environment
  vpc_id      = module.network.vpc_id
  subnet_ids  = module.network.isolated_subnet_ids

  # Only the cluster (its nodes and pods) can reach PostgreSQL and Redis, and the
  # networks the caller names (a VPN, say).
  allowed_security_group_ids = var.create ? [module.eks.cluster_security_group_id] : []
  allowed_cidr_blocks        = var.data_tier.allowed_cidr_blocks

  database_name       = var.database_name
  database_username   = var.database_username
  database_password   = var.database_password
  postgres            = merge(var.postgres, { restore_from_snapshot = var.restore_from_snapshot })
  redis               = var.redis
  buckets             = var.buckets
  kms_key_arn         = var.data_tier.kms_key_arn
  deletion_protection = var.deletion_protection
  force_destroy       = var.force_destroy
  timeouts            = var.data_tier.timeouts

  tags = var.tags
}

module "registry" {
  source = "../registry"

  create      = var.create
  project     = var.project
  environment = var.environment

  repositories         = var.registry.repositories
  keep_tagged_images   = var.registry.keep_tagged_images
  untagged_expiry_days = var.registry.untagged_expiry_days
  immutable_tags       = var.registry.immutable_tags
  kms_key_arn          = var.registry.kms_key_arn
  timeouts             = var.registry.timeouts

  # The nodes pull the images (the kubelet uses the node role), and whoever else the
  # caller names.
  pull_principal_arns = distinct(concat(var.create ? [module.eks.node_role_arn] : [], var.registry.pull_principal_arns))
  force_destroy       = var.force_destroy

  tags = var.tags
}

check "document_buckets_match_the_policy" {
  assert {
    condition     = !var.create || toset(values(module.data_tier.bucket_arns)) == toset(local.bucket_arns)
    error_message = "The data tier's buckets (${jsonencode(values(module.data_tier.bucket_arns))}) are not the ones the service accounts' policy names (${jsonencode(local.bucket_arns)}): the pods cannot reach them."
  }
}
