# How the module's variables become ode_state_backend arguments, and its outputs.
#
# Run with `tofu init && tofu test` in modules/state-backend (OpenTofu 1.8 or later;
# Terraform 1.5 has no .tftest.hcl tests). The provider is mocked, so no AWS account is
# used and nothing is created: these runs check the module's own HCL. Real applies are
# covered by tests/e2e.

mock_provider "ode" {
  # A mock makes up values for computed attributes; these stand for what the provider
  # reports, so that the outputs can be checked against known values.
  mock_resource "ode_state_backend" {
    defaults = {
      bucket_arn     = "arn:aws:s3:::ode-terraform-state"
      lock_table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/ode-terraform-locks"
      region         = "us-east-1"
      backend_config = <<-EOT
        terraform {
          backend "s3" {
            bucket         = "ode-terraform-state"
            key            = "ode/production/terraform.tfstate"
            region         = "us-east-1"
            dynamodb_table = "ode-terraform-locks"
            encrypt        = true
          }
        }
      EOT
    }
  }
}

run "defaults_name_everything_after_the_project" {
  command = plan

  assert {
    condition     = ode_state_backend.this[0].bucket == "ode-terraform-state"
    error_message = "The default bucket should be <project>-terraform-state, got ${ode_state_backend.this[0].bucket}."
  }

  assert {
    condition     = ode_state_backend.this[0].lock_table == "ode-terraform-locks"
    error_message = "The default lock table should be <project>-terraform-locks, got ${ode_state_backend.this[0].lock_table}."
  }

  assert {
    condition     = ode_state_backend.this[0].state_key == "ode/production/terraform.tfstate"
    error_message = "The default state key should be <project>/<environment>/terraform.tfstate, got ${ode_state_backend.this[0].state_key}."
  }

  assert {
    condition     = ode_state_backend.this[0].kms_key_arn == null
    error_message = "Without kms_key_arn the bucket should use SSE-S3 (null argument)."
  }

  assert {
    condition     = ode_state_backend.this[0].force_destroy == false
    error_message = "force_destroy should be off by default."
  }

  assert {
    condition = ode_state_backend.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "Terraform"
    })
    error_message = "Unexpected default tags: ${jsonencode(ode_state_backend.this[0].tags)}."
  }
}

run "names_follow_project_and_environment" {
  command = plan

  variables {
    project     = "acme"
    environment = "staging"
  }

  assert {
    condition     = ode_state_backend.this[0].bucket == "acme-terraform-state"
    error_message = "Expected bucket acme-terraform-state, got ${ode_state_backend.this[0].bucket}."
  }

  assert {
    condition     = ode_state_backend.this[0].lock_table == "acme-terraform-locks"
    error_message = "Expected lock table acme-terraform-locks, got ${ode_state_backend.this[0].lock_table}."
  }

  assert {
    condition     = ode_state_backend.this[0].state_key == "acme/staging/terraform.tfstate"
    error_message = "Expected state key acme/staging/terraform.tfstate, got ${ode_state_backend.this[0].state_key}."
  }

  assert {
    condition     = ode_state_backend.this[0].tags["Project"] == "acme" && ode_state_backend.this[0].tags["Environment"] == "staging"
    error_message = "Project and Environment tags should follow the variables."
  }
}

run "explicit_names_win" {
  command = plan

  variables {
    project         = "acme"
    bucket_name     = "acme.platform-state"
    lock_table_name = "Acme_Platform.Locks"
    state_key       = "platform/network.tfstate"
  }

  assert {
    condition     = ode_state_backend.this[0].bucket == "acme.platform-state"
    error_message = "bucket_name should be used as it is."
  }

  assert {
    condition     = ode_state_backend.this[0].lock_table == "Acme_Platform.Locks"
    error_message = "lock_table_name should be used as it is."
  }

  assert {
    condition     = ode_state_backend.this[0].state_key == "platform/network.tfstate"
    error_message = "state_key should be used as it is."
  }
}

run "kms_force_destroy_and_tags_pass_through" {
  command = plan

  variables {
    kms_key_arn   = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    force_destroy = true
    tags = {
      Team      = "platform"
      ManagedBy = "OpenTofu"
    }
  }

  assert {
    condition     = ode_state_backend.this[0].kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    error_message = "kms_key_arn should pass through."
  }

  assert {
    condition     = ode_state_backend.this[0].force_destroy == true
    error_message = "force_destroy should pass through."
  }

  assert {
    condition = ode_state_backend.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "OpenTofu"
      Team        = "platform"
    })
    error_message = "The tags variable should be merged over (and win against) the module's tags: ${jsonencode(ode_state_backend.this[0].tags)}."
  }
}

run "outputs_come_from_the_resource" {
  command = plan

  assert {
    condition     = output.bucket == "ode-terraform-state" && output.lock_table == "ode-terraform-locks"
    error_message = "bucket and lock_table should be the resource's."
  }

  assert {
    condition     = output.state_key == "ode/production/terraform.tfstate"
    error_message = "state_key should be the resource's."
  }

  assert {
    condition     = output.bucket_arn == "arn:aws:s3:::ode-terraform-state"
    error_message = "bucket_arn should be the resource's."
  }

  assert {
    condition     = output.lock_table_arn == "arn:aws:dynamodb:us-east-1:123456789012:table/ode-terraform-locks"
    error_message = "lock_table_arn should be the resource's."
  }

  assert {
    condition     = output.region == "us-east-1"
    error_message = "region should be the resource's."
  }

  assert {
    condition = (
      strcontains(output.backend_config, "backend \"s3\"") &&
      strcontains(output.backend_config, "bucket         = \"ode-terraform-state\"") &&
      strcontains(output.backend_config, "key            = \"ode/production/terraform.tfstate\"") &&
      strcontains(output.backend_config, "dynamodb_table = \"ode-terraform-locks\"")
    )
    error_message = "backend_config should be the resource's snippet: ${output.backend_config}"
  }
}

run "backend_config_follows_the_resource" {
  command = plan

  variables {
    project     = "acme"
    environment = "staging"
  }

  # What the provider plans for these names.
  override_resource {
    target = ode_state_backend.this
    values = {
      backend_config = "terraform {\n  backend \"s3\" {\n    bucket = \"acme-terraform-state\"\n    key    = \"acme/staging/terraform.tfstate\"\n  }\n}\n"
    }
  }

  assert {
    condition     = strcontains(output.backend_config, "key    = \"acme/staging/terraform.tfstate\"")
    error_message = "backend_config should be the resource's snippet: ${output.backend_config}"
  }
}

run "create_false_plans_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(ode_state_backend.this) == 0
    error_message = "create = false should plan no state backend."
  }

  assert {
    condition = alltrue([for v in [output.bucket, output.bucket_arn, output.lock_table, output.lock_table_arn, output.state_key,
    output.region, output.backend_config] : v == null])
    error_message = "Without a backend every output should be null."
  }
}
