terraform {
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}

provider "ode" {
  region = "us-east-1"

  # Optional: run as a role instead of the base credentials.
  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/ode-terraform"
    session_name = "ode-platform"
  }

  default_tags {
    tags = {
      Project   = "ode"
      ManagedBy = "Terraform"
    }
  }
}
