terraform {
  # Terraform 1.5 or later; every OpenTofu release (1.6 and later) satisfies it.
  required_version = ">= 1.5"

  required_providers {
    # The platform makes no resource itself (its modules do), but it states the
    # provider versions it was tested with, like every module of the library.
    # tflint-ignore: terraform_unused_required_providers
    ode = {
      # Fully qualified: a bare "ode/ode" means registry.terraform.io to Terraform
      # but registry.opentofu.org to OpenTofu.
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}
