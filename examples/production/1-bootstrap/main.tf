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
  state_key   = var.state_key
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

variable "state_key" {
  description = "Key of the platform's state in the bucket: the key of the backend block in ../2-platform/main.tf (a backend block cannot read variables, so both say it)."
  type        = string
  default     = "ode/production/platform.tfstate"
}

output "backend_config" {
  description = "The whole backend block of the platform's state, for reference."
  value       = module.state_backend.backend_config
}

output "backend_hcl" {
  description = "Step 2's backend.hcl: terraform output -raw backend_hcl > ../2-platform/backend.hcl, then terraform -chdir=../2-platform init -backend-config=backend.hcl."
  value       = "bucket = ${jsonencode(module.state_backend.bucket)}\n"
}
