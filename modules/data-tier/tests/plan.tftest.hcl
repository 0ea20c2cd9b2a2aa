# How the module's variables become ode_data_tier arguments, and its outputs.
#
# Run with `tofu init && tofu test` in modules/data-tier (OpenTofu 1.8 or later;
# Terraform 1.5 has no .tftest.hcl tests). The provider is mocked, so no AWS account is
# used and nothing is created: these runs check the module's own HCL. The provider's
# checks (window overlaps, token rules, ...) and real applies are covered by tests/e2e.

mock_provider "ode" {
  # A mock makes up values for computed attributes; these stand for what the provider
  # reports, so that the outputs can be checked against known values.
  mock_resource "ode_data_tier" {
    defaults = {
      rds_endpoint           = "ode-production-postgres.c0ffee.us-east-1.rds.amazonaws.com"
      rds_port               = 5432
      rds_arn                = "arn:aws:rds:us-east-1:123456789012:db:ode-production-postgres"
      database_url           = "postgresql://odeadmin@ode-production-postgres.c0ffee.us-east-1.rds.amazonaws.com:5432/odedb?sslmode=require"
      master_secret_arn      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf"
      redis_endpoint         = "master.ode-production-redis.c0ffee.use1.cache.amazonaws.com"
      redis_reader_endpoint  = "replica.ode-production-redis.c0ffee.use1.cache.amazonaws.com"
      redis_port             = 6379
      redis_url              = "rediss://master.ode-production-redis.c0ffee.use1.cache.amazonaws.com:6379"
      redis_auth_secret_arn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ode-production/redis-auth-token-AbCdEf"
      secrets_kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
      exposure               = "verified"
      estimated_monthly_cost = 361.03
      cost_items             = { RDS = 233.2, ElastiCache = 99.28, S3 = 28.55 }
    }
  }
}

variables {
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0000000a", "subnet-0000000b", "subnet-0000000c"]
  allowed_security_group_ids = ["sg-0123456789abcdef0"]
}

run "defaults_are_the_seed_tier" {
  command = plan

  # Settings the module leaves null are the provider's to decide (computed): these
  # stand for its decision, so the run can tell that the module left them null.
  override_resource {
    target = ode_data_tier.this
    values = {
      postgres = {
        engine_version    = "provider-default"
        instance_class    = "provider-default"
        allocated_storage = -1
      }
      redis = {
        engine_version     = "provider-default"
        node_type          = "provider-default"
        num_cache_clusters = -1
      }
    }
  }

  assert {
    condition     = ode_data_tier.this[0].name == "ode-production"
    error_message = "The default name should be <project>-<environment>, got ${ode_data_tier.this[0].name}."
  }

  assert {
    condition     = ode_data_tier.this[0].vpc_id == "vpc-0123456789abcdef0" && ode_data_tier.this[0].subnet_ids == tolist(["subnet-0000000a", "subnet-0000000b", "subnet-0000000c"])
    error_message = "vpc_id and subnet_ids should pass through."
  }

  assert {
    condition     = ode_data_tier.this[0].allowed_security_group_ids == tolist(["sg-0123456789abcdef0"]) && length(ode_data_tier.this[0].allowed_cidr_blocks) == 0
    error_message = "The allowed sources should pass through."
  }

  assert {
    condition     = ode_data_tier.this[0].postgres.database_name == "odedb" && ode_data_tier.this[0].postgres.username == "odeadmin"
    error_message = "The seed's database odedb and user odeadmin should be the defaults."
  }

  assert {
    condition     = ode_data_tier.this[0].postgres.password == null && ode_data_tier.this[0].postgres.password_wo == null
    error_message = "Without database_password no password attribute should be set (RDS keeps the password in Secrets Manager)."
  }

  assert {
    condition     = ode_data_tier.this[0].postgres.deletion_protection == true
    error_message = "Deletion protection should be on by default."
  }

  assert {
    condition     = ode_data_tier.this[0].force_destroy == false
    error_message = "force_destroy should be off by default."
  }

  assert {
    condition = (
      ode_data_tier.this[0].postgres.engine_version == "provider-default" &&
      ode_data_tier.this[0].postgres.instance_class == "provider-default" &&
      ode_data_tier.this[0].postgres.allocated_storage == -1
    )
    error_message = "PostgreSQL settings should be left to the provider's (the seed's) defaults: ${jsonencode(ode_data_tier.this[0].postgres)}."
  }

  assert {
    condition = (
      ode_data_tier.this[0].redis.engine_version == "provider-default" &&
      ode_data_tier.this[0].redis.node_type == "provider-default" &&
      ode_data_tier.this[0].redis.num_cache_clusters == -1 &&
      ode_data_tier.this[0].redis.auth_token == null
    )
    error_message = "Redis settings should be left to the provider's (the seed's) defaults."
  }

  assert {
    condition     = keys(ode_data_tier.this[0].buckets) == tolist(["documents", "exports", "fonts"])
    error_message = "The seed's buckets are documents, exports and fonts, got ${jsonencode(keys(ode_data_tier.this[0].buckets))}."
  }

  assert {
    condition     = ode_data_tier.this[0].kms_key_arn == null && ode_data_tier.this[0].timeouts == null
    error_message = "Without kms_key_arn the tier should make its key, without timeouts the provider's should apply."
  }

  assert {
    condition = ode_data_tier.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "Terraform"
    })
    error_message = "Unexpected default tags: ${jsonencode(ode_data_tier.this[0].tags)}."
  }
}

run "name_from_project_and_environment" {
  command = plan

  variables {
    project     = "shop"
    environment = "staging"
  }

  assert {
    condition     = ode_data_tier.this[0].name == "shop-staging"
    error_message = "Expected shop-staging, got ${ode_data_tier.this[0].name}."
  }
}

run "explicit_name_wins" {
  command = plan

  variables {
    name = "ode-prod-2"
  }

  assert {
    condition     = ode_data_tier.this[0].name == "ode-prod-2"
    error_message = "An explicit name should be used as it is, got ${ode_data_tier.this[0].name}."
  }
}

run "database_password_for_terraform_1_5" {
  command = plan

  variables {
    database_name     = "documents"
    database_username = "ode_owner"
    database_password = "correct-horse-battery"
  }

  assert {
    condition     = ode_data_tier.this[0].postgres.password == "correct-horse-battery"
    error_message = "database_password should reach postgres.password."
  }

  assert {
    condition     = ode_data_tier.this[0].postgres.database_name == "documents" && ode_data_tier.this[0].postgres.username == "ode_owner"
    error_message = "database_name and database_username should pass through."
  }
}

run "postgres_settings_pass_through" {
  command = plan

  variables {
    deletion_protection = false
    postgres = {
      engine_version             = "16.3"
      instance_class             = "db.r6g.large"
      allocated_storage          = 200
      max_allocated_storage      = 1000
      storage_type               = "io2"
      multi_az                   = false
      backup_retention_days      = 14
      backup_window              = "01:00-02:00"
      maintenance_window         = "sat:03:00-sat:04:00"
      apply_immediately          = true
      auto_minor_version_upgrade = false
      performance_insights       = true
      parameters                 = { "rds.force_ssl" = "1" }
      final_snapshot             = false
      restore_from_snapshot      = "ode-production-postgres-final-20261126"
    }
  }

  assert {
    condition = (
      ode_data_tier.this[0].postgres.engine_version == "16.3" &&
      ode_data_tier.this[0].postgres.instance_class == "db.r6g.large" &&
      ode_data_tier.this[0].postgres.allocated_storage == 200 &&
      ode_data_tier.this[0].postgres.max_allocated_storage == 1000 &&
      ode_data_tier.this[0].postgres.storage_type == "io2" &&
      ode_data_tier.this[0].postgres.multi_az == false
    )
    error_message = "Engine, class and storage settings should pass through."
  }

  assert {
    condition = (
      ode_data_tier.this[0].postgres.backup_retention_days == 14 &&
      ode_data_tier.this[0].postgres.backup_window == "01:00-02:00" &&
      ode_data_tier.this[0].postgres.maintenance_window == "sat:03:00-sat:04:00" &&
      ode_data_tier.this[0].postgres.apply_immediately == true &&
      ode_data_tier.this[0].postgres.auto_minor_version_upgrade == false &&
      ode_data_tier.this[0].postgres.performance_insights == true
    )
    error_message = "Backup and maintenance settings should pass through."
  }

  assert {
    condition = (
      ode_data_tier.this[0].postgres.parameters == tomap({ "rds.force_ssl" = "1" }) &&
      ode_data_tier.this[0].postgres.final_snapshot == false &&
      ode_data_tier.this[0].postgres.restore_from_snapshot == "ode-production-postgres-final-20261126" &&
      ode_data_tier.this[0].postgres.deletion_protection == false
    )
    error_message = "Parameters, snapshot settings and deletion_protection should pass through."
  }
}

run "redis_settings_pass_through" {
  command = plan

  variables {
    redis_auth_token = "0123456789abcdef-token"
    redis = {
      engine_version          = "7.1"
      node_type               = "cache.r7g.large"
      num_cache_clusters      = 3
      automatic_failover      = true
      multi_az                = true
      at_rest_encryption      = true
      transit_encryption      = true
      snapshot_retention_days = 0
      snapshot_window         = "04:00-05:00"
      maintenance_window      = "mon:06:00-mon:07:00"
      parameters              = { "maxmemory-policy" = "allkeys-lru" }
    }
  }

  assert {
    condition = (
      ode_data_tier.this[0].redis.engine_version == "7.1" &&
      ode_data_tier.this[0].redis.node_type == "cache.r7g.large" &&
      ode_data_tier.this[0].redis.num_cache_clusters == 3 &&
      ode_data_tier.this[0].redis.automatic_failover == true &&
      ode_data_tier.this[0].redis.multi_az == true &&
      ode_data_tier.this[0].redis.at_rest_encryption == true &&
      ode_data_tier.this[0].redis.transit_encryption == true
    )
    error_message = "Redis engine, nodes and encryption settings should pass through."
  }

  assert {
    condition = (
      ode_data_tier.this[0].redis.snapshot_retention_days == 0 &&
      ode_data_tier.this[0].redis.snapshot_window == "04:00-05:00" &&
      ode_data_tier.this[0].redis.maintenance_window == "mon:06:00-mon:07:00" &&
      ode_data_tier.this[0].redis.parameters == tomap({ "maxmemory-policy" = "allkeys-lru" })
    )
    error_message = "Redis snapshot, maintenance and parameter settings should pass through."
  }

  assert {
    condition     = ode_data_tier.this[0].redis.auth_token == "0123456789abcdef-token"
    error_message = "redis_auth_token should reach redis.auth_token."
  }
}

run "buckets_replace_the_seed_buckets" {
  command = plan

  variables {
    buckets = {
      documents = {
        transition_ia_days         = 90
        transition_glacier_days    = 365
        noncurrent_expiration_days = 30
      }
      scratch = {
        versioning = false
        encryption = "AES256"
      }
    }
  }

  assert {
    condition     = keys(ode_data_tier.this[0].buckets) == tolist(["documents", "scratch"])
    error_message = "buckets should replace the seed's set: ${jsonencode(keys(ode_data_tier.this[0].buckets))}."
  }

  assert {
    condition = (
      ode_data_tier.this[0].buckets["documents"].versioning == null &&
      ode_data_tier.this[0].buckets["documents"].encryption == null &&
      ode_data_tier.this[0].buckets["documents"].transition_ia_days == 90 &&
      ode_data_tier.this[0].buckets["documents"].transition_glacier_days == 365 &&
      ode_data_tier.this[0].buckets["documents"].noncurrent_expiration_days == 30
    )
    error_message = "Lifecycle settings should pass through: ${jsonencode(ode_data_tier.this[0].buckets["documents"])}."
  }

  assert {
    condition     = ode_data_tier.this[0].buckets["scratch"].versioning == false && ode_data_tier.this[0].buckets["scratch"].encryption == "AES256"
    error_message = "versioning and encryption should pass through."
  }
}

run "sources_key_force_destroy_tags_and_timeouts" {
  command = plan

  variables {
    allowed_security_group_ids = []
    allowed_cidr_blocks        = ["10.0.128.0/17"]
    kms_key_arn                = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    force_destroy              = true
    tags                       = { Team = "platform", ManagedBy = "OpenTofu" }
    timeouts = {
      create = "90m"
      delete = "2h"
    }
  }

  assert {
    condition     = length(ode_data_tier.this[0].allowed_security_group_ids) == 0 && ode_data_tier.this[0].allowed_cidr_blocks == tolist(["10.0.128.0/17"])
    error_message = "The allowed sources should pass through."
  }

  assert {
    condition     = ode_data_tier.this[0].kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789" && ode_data_tier.this[0].force_destroy == true
    error_message = "kms_key_arn and force_destroy should pass through."
  }

  assert {
    condition = ode_data_tier.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "OpenTofu"
      Team        = "platform"
    })
    error_message = "The tags variable should be merged over (and win against) the module's tags: ${jsonencode(ode_data_tier.this[0].tags)}."
  }

  assert {
    condition     = ode_data_tier.this[0].timeouts.create == "90m" && ode_data_tier.this[0].timeouts.update == null && ode_data_tier.this[0].timeouts.delete == "2h"
    error_message = "timeouts should pass through, unset ones null."
  }
}

run "outputs_come_from_the_resource" {
  command = plan

  assert {
    condition     = output.rds_endpoint == "ode-production-postgres.c0ffee.us-east-1.rds.amazonaws.com" && output.rds_port == 5432
    error_message = "rds_endpoint and rds_port should be the resource's."
  }

  assert {
    condition     = output.database_url == "postgresql://odeadmin@ode-production-postgres.c0ffee.us-east-1.rds.amazonaws.com:5432/odedb?sslmode=require"
    error_message = "database_url should be the resource's."
  }

  assert {
    condition     = output.master_secret_arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf"
    error_message = "master_secret_arn should be the resource's."
  }

  assert {
    condition = (
      output.redis_endpoint == "master.ode-production-redis.c0ffee.use1.cache.amazonaws.com" &&
      output.redis_reader_endpoint == "replica.ode-production-redis.c0ffee.use1.cache.amazonaws.com" &&
      output.redis_port == 6379 &&
      output.redis_url == "rediss://master.ode-production-redis.c0ffee.use1.cache.amazonaws.com:6379"
    )
    error_message = "The Redis outputs should be the resource's."
  }

  assert {
    condition     = output.redis_auth_secret_arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:ode-production/redis-auth-token-AbCdEf"
    error_message = "redis_auth_secret_arn should be the resource's."
  }

  assert {
    condition = (
      output.rds_arn == "arn:aws:rds:us-east-1:123456789012:db:ode-production-postgres" &&
      output.kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789" &&
      output.exposure == "verified"
    )
    error_message = "rds_arn, kms_key_arn and exposure should be the resource's."
  }

  assert {
    condition = (
      output.subnet_ids == tolist(["subnet-0000000a", "subnet-0000000b", "subnet-0000000c"]) &&
      output.allowed_security_group_ids == tolist(["sg-0123456789abcdef0"]) &&
      length(output.allowed_cidr_blocks) == 0
    )
    error_message = "subnet_ids and the allowed sources should be the resource's."
  }

  assert {
    condition     = output.name == "ode-production" && output.database_name == "odedb" && output.database_username == "odeadmin"
    error_message = "name, database_name and database_username should be the tier's."
  }

  assert {
    condition     = output.estimated_monthly_cost == 361.03
    error_message = "estimated_monthly_cost should be the resource's."
  }

  assert {
    condition     = output.cost_items == tomap({ RDS = 233.2, ElastiCache = 99.28, S3 = 28.55 })
    error_message = "cost_items should be the resource's: ${jsonencode(output.cost_items)}."
  }
}

run "computed_maps_come_from_the_resource" {
  command = plan

  override_resource {
    target = ode_data_tier.this
    values = {
      bucket_names       = { documents = "ode-production-documents", exports = "ode-production-exports", fonts = "ode-production-fonts" }
      bucket_arns        = { documents = "arn:aws:s3:::ode-production-documents", exports = "arn:aws:s3:::ode-production-exports", fonts = "arn:aws:s3:::ode-production-fonts" }
      security_group_ids = { postgres = "sg-0000000e", redis = "sg-0000000f" }
      pending_changes    = { "postgres.instance_class" = "db.t3.large" }
    }
  }

  assert {
    condition     = output.bucket_names["documents"] == "ode-production-documents" && length(output.bucket_names) == 3
    error_message = "bucket_names should be the resource's."
  }

  assert {
    condition     = output.bucket_arns["fonts"] == "arn:aws:s3:::ode-production-fonts"
    error_message = "bucket_arns should be the resource's."
  }

  assert {
    condition     = output.security_group_ids == tomap({ postgres = "sg-0000000e", redis = "sg-0000000f" })
    error_message = "security_group_ids should be the resource's."
  }

  assert {
    condition     = output.pending_changes == tomap({ "postgres.instance_class" = "db.t3.large" })
    error_message = "pending_changes should be the resource's."
  }
}

run "create_false_plans_nothing" {
  command = plan

  # What a disabled network module hands on: no VPC, no subnets.
  variables {
    create     = false
    vpc_id     = null
    subnet_ids = []
  }

  assert {
    condition     = length(ode_data_tier.this) == 0
    error_message = "create = false should plan no tier."
  }

  assert {
    condition = alltrue([for v in [output.name, output.rds_endpoint, output.rds_port, output.rds_arn, output.database_name,
      output.database_username, output.database_url, output.master_secret_arn, output.redis_endpoint,
      output.redis_reader_endpoint, output.redis_port, output.redis_url, output.redis_auth_secret_arn, output.kms_key_arn,
    output.exposure, output.estimated_monthly_cost] : v == null])
    error_message = "Without a tier the single-value outputs should be null."
  }

  assert {
    condition = alltrue([for v in [output.subnet_ids, output.allowed_security_group_ids, output.allowed_cidr_blocks,
    output.bucket_names, output.bucket_arns, output.security_group_ids, output.pending_changes, output.cost_items] : length(v) == 0])
    error_message = "Without a tier the map and list outputs should be empty."
  }
}
