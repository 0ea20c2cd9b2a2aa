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

  costs = [
    module.network.estimated_monthly_cost,
    module.eks.estimated_monthly_cost,
    module.data_tier.estimated_monthly_cost,
    module.registry.estimated_monthly_cost,
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

  project            = var.project
  environment        = var.environment
  cidr_block         = var.cidr_block
  availability_zones = var.availability_zones
  az_count           = var.az_count
  nat_gateways       = var.nat_gateways

  public_subnet_tags  = local.cluster_subnet_tags
  private_subnet_tags = local.cluster_subnet_tags

  tags = var.tags
}

module "eks" {
  source = "../eks-stack"

  project            = var.project
  environment        = var.environment
  aws_region         = var.aws_region
  kubernetes_version = var.kubernetes_version
  subnet_ids         = module.network.private_subnet_ids

  node_groups      = var.node_groups
  access_entries   = { for arn in var.cluster_admin_arns : arn => {} }
  service_accounts = local.service_accounts

  tags = var.tags
}

module "data_tier" {
  source = "../data-tier"

  project     = var.project
  environment = var.environment
  vpc_id      = module.network.vpc_id
  subnet_ids  = module.network.isolated_subnet_ids

  # Only the cluster (its nodes and pods) can reach PostgreSQL and Redis.
  allowed_security_group_ids = [module.eks.cluster_security_group_id]

  database_name       = var.database_name
  database_username   = var.database_username
  database_password   = var.database_password
  buckets             = var.buckets
  deletion_protection = var.deletion_protection
  force_destroy       = var.force_destroy

  tags = var.tags
}

module "registry" {
  source = "../registry"

  project     = var.project
  environment = var.environment

  # The nodes pull the images (the kubelet uses the node role).
  pull_principal_arns = [module.eks.node_role_arn]
  force_destroy       = var.force_destroy

  tags = var.tags
}

check "document_buckets_match_the_policy" {
  assert {
    condition     = toset(values(module.data_tier.bucket_arns)) == toset(local.bucket_arns)
    error_message = "The data tier's buckets (${jsonencode(values(module.data_tier.bucket_arns))}) are not the ones the service accounts' policy names (${jsonencode(local.bucket_arns)}): the pods cannot reach them."
  }
}
