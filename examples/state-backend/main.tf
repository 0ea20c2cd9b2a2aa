# Remote state storage for the ODE platform: the S3 bucket and DynamoDB lock
# table that the seed guide creates by hand with `aws s3api` / `aws dynamodb`.
#
# Real AWS:   terraform init && terraform apply
# Emulator:   make demo (sets endpoint_url to the local emulator)

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}

provider "ode" {
  region = var.aws_region

  # Only set when talking to an emulator; null leaves the AWS defaults.
  s3_use_path_style = var.endpoint_url != null
  endpoints {
    s3       = var.endpoint_url
    dynamodb = var.endpoint_url
    sts      = var.endpoint_url
  }

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "Terraform"
    }
  }
}

resource "ode_state_backend" "this" {
  bucket     = var.state_bucket
  lock_table = var.lock_table
  state_key  = "${var.project}/${var.environment}/terraform.tfstate"
}
