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
    project = "Ode"
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

run "rejects_environment_with_underscore" {
  command = plan

  variables {
    environment = "pre_prod"
  }

  expect_failures = [var.environment]
}

run "rejects_bucket_name_with_uppercase" {
  command = plan

  variables {
    bucket_name = "ODE-terraform-state"
  }

  expect_failures = [var.bucket_name]
}

run "rejects_bucket_name_too_long" {
  command = plan

  variables {
    bucket_name = "ode-terraform-state-with-a-name-far-longer-than-s3-allows-for-buckets"
  }

  expect_failures = [var.bucket_name]
}

run "rejects_lock_table_name_with_a_slash" {
  command = plan

  variables {
    lock_table_name = "ode/locks"
  }

  expect_failures = [var.lock_table_name]
}

run "rejects_lock_table_name_too_short" {
  command = plan

  variables {
    lock_table_name = "ab"
  }

  expect_failures = [var.lock_table_name]
}

run "rejects_absolute_state_key" {
  command = plan

  variables {
    state_key = "/ode/production/terraform.tfstate"
  }

  expect_failures = [var.state_key]
}

run "rejects_empty_state_key" {
  command = plan

  variables {
    state_key = ""
  }

  expect_failures = [var.state_key]
}

run "rejects_kms_key_arn_of_another_service" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:s3:::ode-terraform-state"
  }

  expect_failures = [var.kms_key_arn]
}
