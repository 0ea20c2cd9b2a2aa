# Every variable validation of the module rejects a bad value at plan time.
#
# Each run sets one bad value (the others keep their defaults) and expects exactly that
# variable to fail; a run whose value were accepted fails with "Missing expected
# failure". Every validation block has at least one run here (tests/modules checks it).

mock_provider "ode" {}

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

run "rejects_environment_with_a_space" {
  command = plan

  variables {
    environment = "pre prod"
  }

  expect_failures = [var.environment]
}

run "rejects_name_with_uppercase" {
  command = plan

  variables {
    name = "ODE"
  }

  expect_failures = [var.name]
}

run "rejects_name_with_double_separator" {
  command = plan

  variables {
    name = "ode--images"
  }

  expect_failures = [var.name]
}

run "rejects_no_repositories" {
  command = plan

  variables {
    repositories = {}
  }

  expect_failures = [var.repositories]
}

run "rejects_repository_key_with_uppercase" {
  command = plan

  variables {
    repositories = { API = {} }
  }

  expect_failures = [var.repositories]
}

run "rejects_repository_keeping_no_images" {
  command = plan

  variables {
    repositories = { api = { keep_tagged_images = 0 } }
  }

  expect_failures = [var.repositories]
}

run "rejects_fractional_keep_tagged_images" {
  command = plan

  variables {
    keep_tagged_images = 2.5
  }

  expect_failures = [var.keep_tagged_images]
}

run "rejects_untagged_expiry_zero" {
  command = plan

  variables {
    untagged_expiry_days = 0
  }

  expect_failures = [var.untagged_expiry_days]
}

run "rejects_kms_key_arn_of_another_service" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:s3:::ode-images"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_pull_principal_that_is_a_service" {
  command = plan

  variables {
    pull_principal_arns = ["ec2.amazonaws.com"]
  }

  expect_failures = [var.pull_principal_arns]
}

run "rejects_tag_with_aws_prefix" {
  command = plan

  variables {
    tags = { "aws:foo" = "bar" }
  }

  expect_failures = [var.tags]
}

run "rejects_timeouts_that_are_not_durations" {
  command = plan

  variables {
    timeouts = { create = "10" }
  }

  expect_failures = [var.timeouts]
}
