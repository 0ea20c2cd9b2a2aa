terraform {
  required_version = ">= 1.5"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}
