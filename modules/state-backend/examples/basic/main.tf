# The seed's state backend: ode-terraform-state + ode-terraform-locks in us-east-1.

terraform {
  required_version = ">= 1.5"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}

provider "ode" {
  region = "us-east-1"
}

module "state_backend" {
  source = "../../"

  project     = "ode"
  environment = "production"
}

output "backend_config" {
  description = "Paste into the root modules that keep their state here."
  value       = module.state_backend.backend_config
}
