# Every variable validation of the module rejects a bad value at plan time.
#
# Each run sets one bad value (the others keep their defaults) and expects exactly that
# variable to fail; a run whose value were accepted fails with "Missing expected
# failure". Every validation block has at least one run here (tests/modules checks it).

mock_provider "ode" {}

run "accepts_the_defaults" {
  command = plan
}

# -- project, environment, name ------------------------------------------------------

run "rejects_project_with_uppercase" {
  command = plan

  variables {
    project = "ODE"
  }

  expect_failures = [var.project]
}

run "rejects_project_too_short" {
  command = plan

  variables {
    project = "od"
  }

  expect_failures = [var.project]
}

run "rejects_environment_starting_with_a_digit" {
  command = plan

  variables {
    environment = "1prod"
  }

  expect_failures = [var.environment]
}

run "rejects_name_with_spaces" {
  command = plan

  variables {
    name = "ode production"
  }

  expect_failures = [var.name]
}

# -- addressing ----------------------------------------------------------------------------

run "rejects_cidr_block_too_large" {
  command = plan

  variables {
    cidr_block = "10.0.0.0/8"
  }

  expect_failures = [var.cidr_block]
}

run "rejects_cidr_block_not_a_cidr" {
  command = plan

  variables {
    cidr_block = "10.0.0.0"
  }

  expect_failures = [var.cidr_block]
}

run "rejects_duplicate_availability_zones" {
  command = plan

  variables {
    availability_zones = ["us-east-1a", "us-east-1a"]
  }

  expect_failures = [var.availability_zones]
}

run "rejects_empty_availability_zones" {
  command = plan

  variables {
    availability_zones = []
  }

  expect_failures = [var.availability_zones]
}

run "rejects_az_count_zero" {
  command = plan

  variables {
    az_count = 0
  }

  expect_failures = [var.az_count]
}

run "rejects_az_count_above_eight" {
  command = plan

  variables {
    az_count = 9
  }

  expect_failures = [var.az_count]
}

run "rejects_fractional_az_count" {
  command = plan

  variables {
    az_count = 2.5
  }

  expect_failures = [var.az_count]
}

run "rejects_unknown_nat_strategy" {
  command = plan

  variables {
    nat_gateways = "two"
  }

  expect_failures = [var.nat_gateways]
}

run "rejects_public_prefix_length_above_28" {
  command = plan

  variables {
    public_subnet_prefix_length = 29
  }

  expect_failures = [var.public_subnet_prefix_length]
}

run "rejects_private_prefix_length_below_16" {
  command = plan

  variables {
    private_subnet_prefix_length = 15
  }

  expect_failures = [var.private_subnet_prefix_length]
}

run "rejects_isolated_prefix_length_above_28" {
  command = plan

  variables {
    isolated_subnet_prefix_length = 32
  }

  expect_failures = [var.isolated_subnet_prefix_length]
}

# -- flow logs ----------------------------------------------------------------------------

run "rejects_flow_logs_to_another_service" {
  command = plan

  variables {
    flow_logs = {
      destination_arn = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0123"
    }
  }

  expect_failures = [var.flow_logs]
}

run "rejects_flow_logs_traffic_type" {
  command = plan

  variables {
    flow_logs = {
      destination_arn = "arn:aws:s3:::ode-flow-logs"
      traffic_type    = "all"
    }
  }

  expect_failures = [var.flow_logs]
}

run "rejects_flow_logs_role_that_is_not_a_role" {
  command = plan

  variables {
    flow_logs = {
      destination_arn = "arn:aws:s3:::ode-flow-logs"
      iam_role_arn    = "arn:aws:iam::123456789012:user/ode"
    }
  }

  expect_failures = [var.flow_logs]
}

run "rejects_flow_logs_to_a_log_group_without_a_role" {
  command = plan

  variables {
    flow_logs = {
      destination_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ode/vpc-flow-logs"
    }
  }

  expect_failures = [var.flow_logs]
}

# -- explicit CIDRs, tier tags, timeouts -------------------------------------------------

run "rejects_public_cidrs_keyed_by_a_letter" {
  command = plan

  variables {
    public_subnet_cidrs = { a = "10.0.0.0/22" }
  }

  expect_failures = [var.public_subnet_cidrs]
}

run "rejects_private_cidrs_that_are_not_cidrs" {
  command = plan

  variables {
    private_subnet_cidrs = { "us-east-1a" = "10.0.128.0" }
  }

  expect_failures = [var.private_subnet_cidrs]
}

run "rejects_isolated_cidrs_that_are_not_cidrs" {
  command = plan

  variables {
    isolated_subnet_cidrs = { "us-east-1a" = "10.0.300.0/21" }
  }

  expect_failures = [var.isolated_subnet_cidrs]
}

run "rejects_public_subnet_tag_with_aws_prefix" {
  command = plan

  variables {
    public_subnet_tags = { "aws:cloudformation:stack-name" = "x" }
  }

  expect_failures = [var.public_subnet_tags]
}

run "rejects_private_subnet_tag_key_too_long" {
  command = plan

  variables {
    private_subnet_tags = { (join("", [for i in range(129) : "k"])) = "x" }
  }

  expect_failures = [var.private_subnet_tags]
}

run "rejects_isolated_subnet_tag_empty_key" {
  command = plan

  variables {
    isolated_subnet_tags = { "" = "x" }
  }

  expect_failures = [var.isolated_subnet_tags]
}

run "rejects_timeouts_that_are_not_durations" {
  command = plan

  variables {
    timeouts = {
      create = "45 minutes"
    }
  }

  expect_failures = [var.timeouts]
}

# -- VPC endpoints ----------------------------------------------------------------------

run "rejects_gateway_endpoint_for_an_interface_service" {
  command = plan

  variables {
    gateway_endpoints = ["s3", "sts"]
  }

  expect_failures = [var.gateway_endpoints]
}

run "rejects_interface_endpoint_that_is_not_a_service_name" {
  command = plan

  variables {
    interface_endpoints = ["ECR API"]
  }

  expect_failures = [var.interface_endpoints]
}
