terraform {
  required_version = ">= 1.5.0"

  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = ">= 0.1.0"
    }
  }
}
