# Step 1 on real AWS: create the state bucket and lock table (local state).

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = ">= 0.1.0"
    }
  }
}

provider "ode" {
  region = var.aws_region
}

module "state_backend" {
  source = "../../../modules/state-backend"

  project     = var.project
  environment = var.environment
  state_key   = "${var.project}/${var.environment}/network.tfstate"
}

variable "aws_region" {
  description = "AWS region of the state bucket and lock table."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name."
  type        = string
  default     = "ode"
}

variable "environment" {
  description = "Environment name."
  type        = string
  default     = "production"
}

output "backend_config" {
  description = "The backend block step 2 uses."
  value       = module.state_backend.backend_config
}
