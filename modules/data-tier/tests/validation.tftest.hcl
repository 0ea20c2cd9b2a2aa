# Every variable validation of the module rejects a bad value at plan time.
#
# Each run sets one bad value (the others keep their defaults) and expects exactly that
# variable to fail; a run whose value were accepted fails with "Missing expected
# failure". Every validation block has at least one run here (tests/modules checks it).

mock_provider "ode" {}

variables {
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0000000a", "subnet-0000000b"]
  allowed_security_group_ids = ["sg-0123456789abcdef0"]
}

run "accepts_the_defaults" {
  command = plan
}

run "rejects_project_with_uppercase" {
  command = plan

  variables {
    project = "ODE"
  }

  expect_failures = [var.project]
}

run "rejects_environment_with_a_dot" {
  command = plan

  variables {
    environment = "prod.1"
  }

  expect_failures = [var.environment]
}

run "rejects_name_with_double_hyphen" {
  command = plan

  variables {
    name = "ode--production"
  }

  expect_failures = [var.name]
}

run "rejects_name_longer_than_30" {
  command = plan

  variables {
    name = "ode-production-with-a-long-suffix"
  }

  expect_failures = [var.name]
}

run "rejects_vpc_id_that_is_a_subnet" {
  command = plan

  variables {
    vpc_id = "subnet-0123"
  }

  expect_failures = [var.vpc_id]
}

run "rejects_a_single_subnet" {
  command = plan

  variables {
    subnet_ids = ["subnet-0000000a"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_subnet_ids_that_are_not_subnets" {
  command = plan

  variables {
    subnet_ids = ["subnet-0000000a", "sg-0000000b"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_allowed_security_group_that_is_a_vpc" {
  command = plan

  variables {
    allowed_security_group_ids = ["vpc-0123"]
  }

  expect_failures = [var.allowed_security_group_ids]
}

run "rejects_allowed_cidr_open_to_everyone" {
  command = plan

  variables {
    allowed_cidr_blocks = ["0.0.0.0/0"]
  }

  expect_failures = [var.allowed_cidr_blocks]
}

run "rejects_allowed_cidr_without_prefix" {
  command = plan

  variables {
    allowed_cidr_blocks = ["10.0.0.1"]
  }

  expect_failures = [var.allowed_cidr_blocks]
}

run "rejects_database_name_with_a_hyphen" {
  command = plan

  variables {
    database_name = "ode-db"
  }

  expect_failures = [var.database_name]
}

run "rejects_reserved_database_username" {
  command = plan

  variables {
    database_username = "postgres"
  }

  expect_failures = [var.database_username]
}

run "rejects_database_username_starting_with_a_digit" {
  command = plan

  variables {
    database_username = "1admin"
  }

  expect_failures = [var.database_username]
}

run "rejects_short_database_password" {
  command = plan

  variables {
    database_password = "short"
  }

  expect_failures = [var.database_password]
}

run "rejects_database_password_with_an_at_sign" {
  command = plan

  variables {
    database_password = "correct@horse-battery"
  }

  expect_failures = [var.database_password]
}

run "rejects_postgres_engine_version_11" {
  command = plan

  variables {
    postgres = { engine_version = "11.22" }
  }

  expect_failures = [var.postgres]
}

run "rejects_postgres_instance_class_without_db_prefix" {
  command = plan

  variables {
    postgres = { instance_class = "t3.medium" }
  }

  expect_failures = [var.postgres]
}

run "rejects_postgres_allocated_storage_below_20" {
  command = plan

  variables {
    postgres = { allocated_storage = 10 }
  }

  expect_failures = [var.postgres]
}

run "rejects_postgres_max_storage_below_allocated" {
  command = plan

  variables {
    postgres = { allocated_storage = 200, max_allocated_storage = 150 }
  }

  expect_failures = [var.postgres]
}

run "rejects_postgres_storage_type_standard" {
  command = plan

  variables {
    postgres = { storage_type = "standard" }
  }

  expect_failures = [var.postgres]
}

run "rejects_postgres_backup_retention_zero" {
  command = plan

  variables {
    postgres = { backup_retention_days = 0 }
  }

  expect_failures = [var.postgres]
}

run "rejects_postgres_backup_window_with_hours_only" {
  command = plan

  variables {
    postgres = { backup_window = "3-4" }
  }

  expect_failures = [var.postgres]
}

run "rejects_postgres_maintenance_window_without_days" {
  command = plan

  variables {
    postgres = { maintenance_window = "04:30-05:30" }
  }

  expect_failures = [var.postgres]
}

run "rejects_postgres_parameter_name_with_a_space" {
  command = plan

  variables {
    postgres = { parameters = { "force ssl" = "1" } }
  }

  expect_failures = [var.postgres]
}

run "rejects_postgres_snapshot_identifier_with_underscore" {
  command = plan

  variables {
    postgres = { restore_from_snapshot = "ode_final" }
  }

  expect_failures = [var.postgres]
}

run "rejects_redis_engine_memcached" {
  command = plan

  variables {
    redis = { engine = "memcached" }
  }

  expect_failures = [var.redis]
}

run "rejects_redis_engine_version_5" {
  command = plan

  variables {
    redis = { engine_version = "5.0.6" }
  }

  expect_failures = [var.redis]
}

run "rejects_redis_node_type_without_cache_prefix" {
  command = plan

  variables {
    redis = { node_type = "t3.medium" }
  }

  expect_failures = [var.redis]
}

run "rejects_redis_seven_nodes" {
  command = plan

  variables {
    redis = { num_cache_clusters = 7 }
  }

  expect_failures = [var.redis]
}

run "rejects_redis_single_node_with_failover" {
  command = plan

  variables {
    redis = { num_cache_clusters = 1 }
  }

  expect_failures = [var.redis]
}

run "rejects_redis_multi_az_without_failover" {
  command = plan

  variables {
    redis = { automatic_failover = false, multi_az = true }
  }

  expect_failures = [var.redis]
}

run "rejects_redis_snapshot_retention_above_35" {
  command = plan

  variables {
    redis = { snapshot_retention_days = 36 }
  }

  expect_failures = [var.redis]
}

run "rejects_redis_snapshot_window_out_of_range" {
  command = plan

  variables {
    redis = { snapshot_window = "24:00-25:00" }
  }

  expect_failures = [var.redis]
}

run "rejects_redis_maintenance_window_with_full_day_names" {
  command = plan

  variables {
    redis = { maintenance_window = "sunday:05:30-sunday:06:30" }
  }

  expect_failures = [var.redis]
}

run "rejects_redis_parameter_name_in_uppercase" {
  command = plan

  variables {
    redis = { parameters = { MAXMEMORY = "1gb" } }
  }

  expect_failures = [var.redis]
}

run "rejects_short_redis_auth_token" {
  command = plan

  variables {
    redis_auth_token = "short"
  }

  expect_failures = [var.redis_auth_token]
}

run "rejects_redis_auth_token_with_a_slash" {
  command = plan

  variables {
    redis_auth_token = "0123456789/abcdef-token"
  }

  expect_failures = [var.redis_auth_token]
}

run "rejects_no_buckets" {
  command = plan

  variables {
    buckets = {}
  }

  expect_failures = [var.buckets]
}

run "rejects_bucket_key_with_uppercase" {
  command = plan

  variables {
    buckets = { Documents = {} }
  }

  expect_failures = [var.buckets]
}

run "rejects_bucket_encryption_name" {
  command = plan

  variables {
    buckets = { documents = { encryption = "kms" } }
  }

  expect_failures = [var.buckets]
}

run "rejects_bucket_ia_transition_before_30_days" {
  command = plan

  variables {
    buckets = { documents = { transition_ia_days = 7 } }
  }

  expect_failures = [var.buckets]
}

run "rejects_bucket_glacier_before_ia" {
  command = plan

  variables {
    buckets = { documents = { transition_ia_days = 90, transition_glacier_days = 60 } }
  }

  expect_failures = [var.buckets]
}

run "rejects_bucket_noncurrent_expiration_zero" {
  command = plan

  variables {
    buckets = { documents = { noncurrent_expiration_days = 0 } }
  }

  expect_failures = [var.buckets]
}

run "rejects_kms_key_arn_of_another_service" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:iam::123456789012:role/kms"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_tag_value_too_long" {
  command = plan

  variables {
    tags = { Note = join("", [for i in range(257) : "x"]) }
  }

  expect_failures = [var.tags]
}

run "rejects_timeouts_that_are_not_durations" {
  command = plan

  variables {
    timeouts = { update = "30 min" }
  }

  expect_failures = [var.timeouts]
}
