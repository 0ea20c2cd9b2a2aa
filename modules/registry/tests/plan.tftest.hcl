# How the module's variables become ode_registry arguments, and its outputs.
#
# Run with `tofu init && tofu test` in modules/registry (OpenTofu 1.8 or later;
# Terraform 1.5 has no .tftest.hcl tests). The provider is mocked, so no AWS account is
# used and nothing is created: these runs check the module's own HCL. Real applies are
# covered by tests/e2e.

mock_provider "ode" {
  # A mock makes up values for computed attributes; these stand for what the provider
  # reports, so that the outputs can be checked against known values.
  mock_resource "ode_registry" {
    defaults = {
      registry_id            = "123456789012"
      repository_names       = { api = "ode-api", worker = "ode-worker", viewer = "ode-viewer" }
      repository_urls        = { api = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ode-api", worker = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ode-worker", viewer = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ode-viewer" }
      repository_arns        = { api = "arn:aws:ecr:us-east-1:123456789012:repository/ode-api", worker = "arn:aws:ecr:us-east-1:123456789012:repository/ode-worker", viewer = "arn:aws:ecr:us-east-1:123456789012:repository/ode-viewer" }
      compliance             = "verified"
      estimated_monthly_cost = 10
      cost_items             = { ECR = 10 }
    }
  }
}

run "defaults_are_the_platform_repositories" {
  command = plan

  # A setting the module leaves null is the provider's to decide (computed): this
  # stands for its decision, so the run can tell that the module left it null.
  override_resource {
    target = ode_registry.this
    values = { pull_principal_arns = ["provider-default"] }
  }

  assert {
    condition     = ode_registry.this[0].name == "ode"
    error_message = "The registry should be named after the project (repositories ode-api, ...), got ${ode_registry.this[0].name}."
  }

  assert {
    condition     = keys(ode_registry.this[0].repositories) == tolist(["api", "viewer", "worker"])
    error_message = "The platform's repositories are api, worker and viewer, got ${jsonencode(keys(ode_registry.this[0].repositories))}."
  }

  assert {
    condition     = alltrue([for r in values(ode_registry.this[0].repositories) : r.keep_tagged_images == null && r.untagged_expiry_days == null])
    error_message = "Repositories should follow the registry's lifecycle by default."
  }

  assert {
    condition = (
      ode_registry.this[0].keep_tagged_images == 30 &&
      ode_registry.this[0].untagged_expiry_days == 7 &&
      ode_registry.this[0].immutable_tags == true
    )
    error_message = "Keep 30 tagged images, expire untagged ones after 7 days, immutable tags: the defaults."
  }

  assert {
    condition = (
      ode_registry.this[0].kms_key_arn == null &&
      ode_registry.this[0].pull_principal_arns == toset(["provider-default"]) &&
      ode_registry.this[0].force_destroy == false &&
      ode_registry.this[0].timeouts == null
    )
    error_message = "No key, no extra pull principals, no force_destroy and the provider's timeouts by default."
  }

  assert {
    condition = ode_registry.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "Terraform"
    })
    error_message = "Unexpected default tags: ${jsonencode(ode_registry.this[0].tags)}."
  }
}

run "name_follows_the_project" {
  command = plan

  variables {
    project     = "shop"
    environment = "staging"
  }

  assert {
    condition     = ode_registry.this[0].name == "shop"
    error_message = "Expected shop, got ${ode_registry.this[0].name}."
  }

  assert {
    condition     = ode_registry.this[0].tags["Environment"] == "staging"
    error_message = "environment should reach the tags."
  }
}

run "explicit_name_wins" {
  command = plan

  variables {
    name = "platform/ode"
  }

  assert {
    condition     = ode_registry.this[0].name == "platform/ode"
    error_message = "An explicit name should be used as it is, got ${ode_registry.this[0].name}."
  }
}

run "settings_pass_through" {
  command = plan

  variables {
    repositories = {
      api        = { keep_tagged_images = 100 }
      "jobs.cli" = { untagged_expiry_days = 1 }
    }
    keep_tagged_images   = 50
    untagged_expiry_days = 14
    immutable_tags       = false
    kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    pull_principal_arns  = ["arn:aws:iam::123456789012:role/ode/ode-production-cluster/node", "arn:aws:iam::210987654321:root"]
    force_destroy        = true
    tags                 = { Team = "platform", ManagedBy = "OpenTofu" }
    timeouts             = { delete = "45m" }
  }

  assert {
    condition = ode_registry.this[0].repositories == tomap({
      api        = { keep_tagged_images = 100, untagged_expiry_days = null }
      "jobs.cli" = { keep_tagged_images = null, untagged_expiry_days = 1 }
    })
    error_message = "repositories should replace the default set: ${jsonencode(ode_registry.this[0].repositories)}."
  }

  assert {
    condition = (
      ode_registry.this[0].keep_tagged_images == 50 &&
      ode_registry.this[0].untagged_expiry_days == 14 &&
      ode_registry.this[0].immutable_tags == false &&
      ode_registry.this[0].force_destroy == true
    )
    error_message = "Lifecycle, tag mutability and force_destroy should pass through."
  }

  assert {
    condition     = ode_registry.this[0].kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    error_message = "kms_key_arn should pass through."
  }

  assert {
    condition     = ode_registry.this[0].pull_principal_arns == toset(["arn:aws:iam::123456789012:role/ode/ode-production-cluster/node", "arn:aws:iam::210987654321:root"])
    error_message = "pull_principal_arns should pass through."
  }

  assert {
    condition = ode_registry.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "OpenTofu"
      Team        = "platform"
    })
    error_message = "The tags variable should be merged over (and win against) the module's tags."
  }

  assert {
    condition     = ode_registry.this[0].timeouts.delete == "45m" && ode_registry.this[0].timeouts.create == null
    error_message = "timeouts should pass through, unset ones null."
  }
}

run "outputs_come_from_the_resource" {
  command = plan

  assert {
    condition     = output.name == "ode" && output.registry_id == "123456789012"
    error_message = "name and registry_id should be the resource's."
  }

  assert {
    condition     = output.repository_urls["api"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/ode-api" && length(output.repository_urls) == 3
    error_message = "repository_urls should be the resource's: ${jsonencode(output.repository_urls)}."
  }

  assert {
    condition     = output.repository_arns["worker"] == "arn:aws:ecr:us-east-1:123456789012:repository/ode-worker"
    error_message = "repository_arns should be the resource's."
  }

  assert {
    condition     = output.repository_names == tomap({ api = "ode-api", worker = "ode-worker", viewer = "ode-viewer" })
    error_message = "repository_names should be the resource's."
  }

  assert {
    condition     = output.compliance == "verified" && output.pull_principal_arns == ode_registry.this[0].pull_principal_arns
    error_message = "compliance and pull_principal_arns should be the resource's."
  }

  assert {
    condition     = output.estimated_monthly_cost == 10 && output.cost_items == tomap({ ECR = 10 })
    error_message = "The cost estimate should be the resource's."
  }
}

run "create_false_plans_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(ode_registry.this) == 0
    error_message = "create = false should plan no registry."
  }

  assert {
    condition     = alltrue([for v in [output.name, output.registry_id, output.compliance, output.estimated_monthly_cost] : v == null])
    error_message = "Without a registry the single-value outputs should be null."
  }

  assert {
    condition = alltrue([for v in [output.repository_names, output.repository_urls, output.repository_arns, output.pull_principal_arns,
    output.cost_items] : length(v) == 0])
    error_message = "Without a registry the map and list outputs should be empty."
  }
}
