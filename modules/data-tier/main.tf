locals {
  name = coalesce(var.name, "${var.project}-${var.environment}")

  tags = merge(
    {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "Terraform"
    },
    var.tags,
  )
}

resource "ode_data_tier" "this" {
  count = var.create ? 1 : 0

  name       = local.name
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids

  allowed_security_group_ids = var.allowed_security_group_ids
  allowed_cidr_blocks        = var.allowed_cidr_blocks

  kms_key_arn   = var.kms_key_arn
  force_destroy = var.force_destroy
  tags          = local.tags

  postgres {
    database_name = var.database_name
    username      = var.database_username
    # Whether a password is given is no secret; unmarking that (and not the
    # password) keeps a null password unmarked, so that a plan right after an
    # import on Terraform 1.5 has no sensitivity change to record.
    password            = nonsensitive(var.database_password == null) ? null : var.database_password
    deletion_protection = var.deletion_protection

    engine_version             = var.postgres.engine_version
    instance_class             = var.postgres.instance_class
    allocated_storage          = var.postgres.allocated_storage
    max_allocated_storage      = var.postgres.max_allocated_storage
    storage_type               = var.postgres.storage_type
    multi_az                   = var.postgres.multi_az
    backup_retention_days      = var.postgres.backup_retention_days
    backup_window              = var.postgres.backup_window
    maintenance_window         = var.postgres.maintenance_window
    apply_immediately          = var.postgres.apply_immediately
    auto_minor_version_upgrade = var.postgres.auto_minor_version_upgrade
    performance_insights       = var.postgres.performance_insights
    parameters                 = var.postgres.parameters
    final_snapshot             = var.postgres.final_snapshot
    restore_from_snapshot      = var.postgres.restore_from_snapshot
  }

  redis {
    auth_token = nonsensitive(var.redis_auth_token == null) ? null : var.redis_auth_token

    engine                  = var.redis.engine
    engine_version          = var.redis.engine_version
    node_type               = var.redis.node_type
    num_cache_clusters      = var.redis.num_cache_clusters
    automatic_failover      = var.redis.automatic_failover
    multi_az                = var.redis.multi_az
    at_rest_encryption      = var.redis.at_rest_encryption
    transit_encryption      = var.redis.transit_encryption
    snapshot_retention_days = var.redis.snapshot_retention_days
    snapshot_window         = var.redis.snapshot_window
    maintenance_window      = var.redis.maintenance_window
    parameters              = var.redis.parameters
  }

  buckets = var.buckets

  lifecycle {
    # The variables let a null vpc_id and empty subnet_ids through for create = false.
    precondition {
      condition     = var.vpc_id != null
      error_message = "vpc_id must be the VPC of the subnets (the network module's vpc_id); it may be null only with create = false."
    }

    precondition {
      condition     = length(var.subnet_ids) >= 2
      error_message = "RDS and ElastiCache need subnets in at least two availability zones; list at least two subnet IDs in subnet_ids (it may be empty only with create = false)."
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

# A tier made before the create toggle (module 0.1.0) is at ode_data_tier.this in its
# state: move it to the single instance count makes, so that the upgrade plans no change.
moved {
  from = ode_data_tier.this
  to   = ode_data_tier.this[0]
}
