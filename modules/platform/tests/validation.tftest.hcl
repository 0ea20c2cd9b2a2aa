# Every variable validation of the module rejects a bad value at plan time.
#
# Each run sets one bad value (the others keep their defaults) and expects exactly that
# variable to fail; a run whose value were accepted fails with "Missing expected
# failure". Every validation block has at least one run here (tests/modules checks it).

mock_provider "ode" {
  # IDs of the right shape for the child modules' own validations (a mock would make
  # up random strings, which the real provider never reports).
  mock_resource "ode_network" {
    defaults = {
      vpc_id              = "vpc-0123456789abcdef0"
      private_subnet_ids  = ["subnet-0bbb000000000000a", "subnet-0bbb000000000000b", "subnet-0bbb000000000000c"]
      isolated_subnet_ids = ["subnet-0ccc000000000000a", "subnet-0ccc000000000000b", "subnet-0ccc000000000000c"]
    }
  }

  mock_resource "ode_eks_stack" {
    defaults = {
      arn                       = "arn:aws:eks:us-east-1:123456789012:cluster/ode-production-cluster"
      cluster_security_group_id = "sg-0eee0000000000001"
      node_role_arn             = "arn:aws:iam::123456789012:role/ode/ode-production-cluster/node"
    }
  }

  mock_resource "ode_data_tier" {
    defaults = {
      bucket_arns = { documents = "arn:aws:s3:::ode-production-documents", exports = "arn:aws:s3:::ode-production-exports", fonts = "arn:aws:s3:::ode-production-fonts" }
    }
  }
}

run "accepts_the_defaults" {
  command = plan
}

run "rejects_aws_region_that_is_a_zone" {
  command = plan

  variables {
    aws_region = "us-east-1a"
  }

  expect_failures = [var.aws_region]
}

run "rejects_project_too_long_for_the_data_tier" {
  command = plan

  variables {
    project = "documentengine-prod"
  }

  expect_failures = [var.project]
}

run "rejects_project_ending_with_a_hyphen" {
  command = plan

  variables {
    project = "ode-"
  }

  expect_failures = [var.project]
}

run "rejects_environment_too_long_for_the_data_tier" {
  command = plan

  variables {
    environment = "productionprod"
  }

  expect_failures = [var.environment]
}

run "rejects_cidr_block_too_small_for_the_tiers" {
  command = plan

  variables {
    cidr_block = "10.0.0.0/24"
  }

  expect_failures = [var.cidr_block]
}

run "rejects_a_single_availability_zone" {
  command = plan

  variables {
    availability_zones = ["us-east-1a"]
  }

  expect_failures = [var.availability_zones]
}

run "rejects_az_count_one" {
  command = plan

  variables {
    az_count = 1
  }

  expect_failures = [var.az_count]
}

run "rejects_no_nat_gateways" {
  command = plan

  variables {
    nat_gateways = "none"
  }

  expect_failures = [var.nat_gateways]
}

run "rejects_kubernetes_version_with_a_patch" {
  command = plan

  variables {
    kubernetes_version = "1.29.3"
  }

  expect_failures = [var.kubernetes_version]
}

run "rejects_no_node_groups" {
  command = plan

  variables {
    node_groups = {}
  }

  expect_failures = [var.node_groups]
}

run "rejects_cluster_admin_that_is_a_policy" {
  command = plan

  variables {
    cluster_admin_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
  }

  expect_failures = [var.cluster_admin_arns]
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
    database_username = "admin"
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

run "rejects_no_buckets" {
  command = plan

  variables {
    buckets = {}
  }

  expect_failures = [var.buckets]
}

run "rejects_tag_with_aws_prefix" {
  command = plan

  variables {
    tags = { "aws:foo" = "bar" }
  }

  expect_failures = [var.tags]
}

run "rejects_node_group_on_reserved_capacity" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 3, capacity_type = "RESERVED" }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_public_access_cidr_without_a_prefix" {
  command = plan

  variables {
    public_access_cidrs = ["203.0.113.7"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_service_account_without_permissions" {
  command = plan

  variables {
    service_accounts = { "monitoring/prometheus" = {} }
  }

  expect_failures = [var.service_accounts]
}

run "rejects_service_account_key_without_a_namespace" {
  command = plan

  variables {
    service_accounts = { "prometheus" = { policy_arns = ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"] } }
  }

  expect_failures = [var.service_accounts]
}

run "rejects_addon_name_with_capitals" {
  command = plan

  variables {
    addons = { "Metrics-Server" = {} }
  }

  expect_failures = [var.addons]
}

run "rejects_addon_configuration_that_is_not_json" {
  command = plan

  variables {
    addons = { coredns = { configuration_values = "replicaCount: 3" } }
  }

  expect_failures = [var.addons]
}

run "rejects_restore_from_a_snapshot_path" {
  command = plan

  variables {
    restore_from_snapshot = "snapshots/ode-production"
  }

  expect_failures = [var.restore_from_snapshot]
}

run "rejects_redis_without_transit_encryption" {
  command = plan

  variables {
    redis = { transit_encryption = false }
  }

  expect_failures = [var.redis]
}

run "rejects_service_account_identity_that_is_unknown" {
  command = plan

  variables {
    service_accounts = { "monitoring/prometheus" = { policy_arns = ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"], identity = "kiam" } }
  }

  expect_failures = [var.service_accounts]
}
