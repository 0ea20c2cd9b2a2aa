# The registry module with most of its inputs set: four repositories, two of them
# with their own lifecycle, shorter lifecycles for the rest, a pull policy for the
# principals given, and force_destroy on (a registry to try out and destroy).

provider "ode" {
  region = var.region
}

module "registry" {
  source = "../../"

  create      = true
  project     = "ode"
  environment = "staging"
  name        = var.name

  repositories = {
    api        = {}
    worker     = { keep_tagged_images = 50 }
    viewer     = {}
    migrations = { keep_tagged_images = 5, untagged_expiry_days = 1 }
  }
  keep_tagged_images   = 20
  untagged_expiry_days = 3
  immutable_tags       = true

  # Null: AES256 by ECR.
  kms_key_arn         = var.kms_key_arn
  pull_principal_arns = var.pull_principal_arns

  # Destroy deletes the repositories with their images. Keep it off in production.
  force_destroy = true

  tags = { Team = "platform", CostCenter = "ode-staging" }

  timeouts = {
    create = "20m"
    delete = "30m"
  }
}
