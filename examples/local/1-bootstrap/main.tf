# Step 1: the S3 bucket and DynamoDB table that hold and lock the state of
# every other stack. Its own state stays local.

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

  # Set only against an emulator; null keeps the AWS endpoints.
  s3_use_path_style = var.endpoint_url != null
  endpoints {
    s3       = var.endpoint_url
    dynamodb = var.endpoint_url
    sts      = var.endpoint_url
  }
}

module "state_backend" {
  source = "../../../modules/state-backend"

  project       = var.project
  environment   = var.environment
  bucket_name   = var.state_bucket
  state_key     = "${var.project}/${var.environment}/network.tfstate"
  force_destroy = var.force_destroy
}
