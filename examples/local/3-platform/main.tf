# Step 3: the whole platform (network, EKS, data tier, registry) with its state in
# the bucket from step 1, locked by its table. Backend settings come from
# -backend-config=backend.hcl.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }

  backend "s3" {}
}

provider "ode" {
  region = var.aws_region

  # Set only against an emulator; null keeps the AWS endpoints.
  s3_use_path_style = var.endpoint_url != null
  endpoints {
    ec2            = var.endpoint_url
    eks            = var.endpoint_url
    iam            = var.endpoint_url
    kms            = var.endpoint_url
    logs           = var.endpoint_url
    rds            = var.endpoint_url
    elasticache    = var.endpoint_url
    s3             = var.endpoint_url
    secretsmanager = var.endpoint_url
    ecr            = var.endpoint_url
    sts            = var.endpoint_url
  }

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "Terraform"
    }
  }
}

module "platform" {
  source = "../../../modules/platform"

  aws_region  = var.aws_region
  project     = var.project
  environment = var.environment
  az_count    = var.az_count

  database_name     = var.database_name
  database_username = var.database_username

  # Who may reach the cluster's public API endpoint: here, this machine.
  public_access_cidrs = var.public_access_cidrs

  # A local playground: make and break it freely. Keep both off for real data.
  deletion_protection = var.deletion_protection
  force_destroy       = var.force_destroy
}
