# Every variable validation of the module rejects a bad value at plan time.
#
# Each run sets one bad value (the others keep their defaults) and expects exactly that
# variable to fail; a run whose value were accepted fails with "Missing expected
# failure". Every validation block has at least one run here (tests/modules checks it).

mock_provider "ode" {}

variables {
  subnet_ids = ["subnet-0000000a", "subnet-0000000b"]
}

run "accepts_the_defaults" {
  command = plan
}

# -- names --------------------------------------------------------------------------------

run "rejects_project_with_uppercase" {
  command = plan

  variables {
    project = "ODE"
  }

  expect_failures = [var.project]
}

run "rejects_environment_with_underscore" {
  command = plan

  variables {
    environment = "pre_prod"
  }

  expect_failures = [var.environment]
}

run "rejects_name_starting_with_a_hyphen" {
  command = plan

  variables {
    name = "-ode"
  }

  expect_failures = [var.name]
}

run "rejects_aws_region_that_is_a_zone" {
  command = plan

  variables {
    aws_region = "us-east-1a"
  }

  expect_failures = [var.aws_region]
}

# -- cluster ------------------------------------------------------------------------------

run "rejects_kubernetes_version_with_a_patch" {
  command = plan

  variables {
    kubernetes_version = "1.29.3"
  }

  expect_failures = [var.kubernetes_version]
}

run "rejects_kubernetes_version_too_old" {
  command = plan

  variables {
    kubernetes_version = "1.21"
  }

  expect_failures = [var.kubernetes_version]
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
    subnet_ids = ["subnet-0000000a", "vpc-0000000b"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_public_access_cidr_without_prefix" {
  command = plan

  variables {
    public_access_cidrs = ["203.0.113.7"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_unknown_authentication_mode" {
  command = plan

  variables {
    authentication_mode = "IAM"
  }

  expect_failures = [var.authentication_mode]
}

run "rejects_unknown_log_type" {
  command = plan

  variables {
    enabled_log_types = ["api", "controller-manager"]
  }

  expect_failures = [var.enabled_log_types]
}

run "rejects_log_retention_cloudwatch_does_not_offer" {
  command = plan

  variables {
    log_retention_days = 10
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_kms_key_arn_of_another_service" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:s3:::ode-keys"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_cluster_role_that_is_a_user" {
  command = plan

  variables {
    cluster_role_arn = "arn:aws:iam::123456789012:user/eks"
  }

  expect_failures = [var.cluster_role_arn]
}

run "rejects_node_role_that_is_a_name" {
  command = plan

  variables {
    node_role_arn = "eks-node"
  }

  expect_failures = [var.node_role_arn]
}

# -- node groups --------------------------------------------------------------------------

run "rejects_node_group_name_with_a_dot" {
  command = plan

  variables {
    node_groups = {
      "system.a" = { min_size = 1, max_size = 2 }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_empty_instance_types" {
  command = plan

  variables {
    node_groups = {
      system = { min_size = 1, max_size = 2, instance_types = [] }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_instance_type_without_a_size" {
  command = plan

  variables {
    node_groups = {
      system = { min_size = 1, max_size = 2, instance_types = ["t3"] }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_lowercase_capacity_type" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 2, capacity_type = "spot" }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_negative_min_size" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = -1, max_size = 2 }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_max_size_zero" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 0, max_size = 0 }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_min_size_above_max_size" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 5, max_size = 4 }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_desired_size_above_max_size" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 4, desired_size = 5 }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_disk_size_zero" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 4, disk_size = 0 }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_unknown_ami_type" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 4, ami_type = "ubuntu" }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_label_key_with_a_space" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 4, labels = { "node role" = "worker" } }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_taint_effect_in_kubernetes_spelling" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 4, taints = [{ key = "dedicated", value = "batch", effect = "NoSchedule" }] }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_max_unavailable_zero" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 4, max_unavailable = 0 }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_unknown_scaling_owner" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 4, scaling_owner = "karpenter" }
    }
  }

  expect_failures = [var.node_groups]
}

run "rejects_node_group_kubernetes_version_with_v" {
  command = plan

  variables {
    node_groups = {
      worker = { min_size = 1, max_size = 4, kubernetes_version = "v1.28" }
    }
  }

  expect_failures = [var.node_groups]
}

# -- add-ons, access, service accounts ---------------------------------------------------

run "rejects_addon_name_that_eks_cannot_have" {
  command = plan

  variables {
    addons = {
      "Metrics Server" = {}
    }
  }

  expect_failures = [var.addons]
}

run "rejects_addon_configuration_that_is_not_json" {
  command = plan

  variables {
    addons = {
      coredns = { configuration_values = "replicaCount: 3" }
    }
  }

  expect_failures = [var.addons]
}

run "rejects_access_entry_keyed_by_a_name" {
  command = plan

  variables {
    access_entries = {
      "platform-admin" = {}
    }
  }

  expect_failures = [var.access_entries]
}

run "rejects_access_entry_with_an_iam_policy" {
  command = plan

  variables {
    access_entries = {
      "arn:aws:iam::123456789012:role/platform-admin" = { policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess" }
    }
  }

  expect_failures = [var.access_entries]
}

run "rejects_service_account_without_namespace" {
  command = plan

  variables {
    service_accounts = {
      "ode-api" = {}
    }
  }

  expect_failures = [var.service_accounts]
}

run "rejects_service_account_policy_arn_that_is_a_role" {
  command = plan

  variables {
    service_accounts = {
      "ode/ode-api" = { policy_arns = ["arn:aws:iam::123456789012:role/s3"] }
    }
  }

  expect_failures = [var.service_accounts]
}

run "rejects_service_account_policy_json_without_statement" {
  command = plan

  variables {
    service_accounts = {
      "ode/ode-api" = { policy_json = "{\"Version\":\"2012-10-17\"}" }
    }
  }

  expect_failures = [var.service_accounts]
}

# -- tags, timeouts -----------------------------------------------------------------------

run "rejects_tag_with_aws_prefix" {
  command = plan

  variables {
    tags = { "aws:createdBy" = "me" }
  }

  expect_failures = [var.tags]
}

run "rejects_timeouts_that_are_not_durations" {
  command = plan

  variables {
    timeouts = {
      delete = "an hour"
    }
  }

  expect_failures = [var.timeouts]
}

run "rejects_service_account_identity_that_is_unknown" {
  command = plan

  variables {
    service_accounts = {
      "ode/ode-api" = { policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}", identity = "kiam" }
    }
  }

  expect_failures = [var.service_accounts]
}
