terraform {
  # Terraform 1.5 or later; every OpenTofu release (1.6 and later) satisfies it.
  required_version = ">= 1.5"

  required_providers {
    ode = {
      # Fully qualified: a bare "ode/ode" means registry.terraform.io to Terraform
      # but registry.opentofu.org to OpenTofu.
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}
