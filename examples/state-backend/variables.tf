variable "aws_region" {
  description = "AWS region for the state bucket and lock table."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name, used in tags and the state key."
  type        = string
  default     = "ode"
}

variable "environment" {
  description = "Environment name, used in tags and the state key."
  type        = string
  default     = "production"
}

variable "state_bucket" {
  description = "Name of the S3 bucket that stores Terraform state."
  type        = string
  default     = "ode-terraform-state"
}

variable "lock_table" {
  description = "Name of the DynamoDB table used for state locking."
  type        = string
  default     = "ode-terraform-locks"
}

variable "endpoint_url" {
  description = "Endpoint of an AWS emulator (for example http://127.0.0.1:4566); null for real AWS."
  type        = string
  default     = null
}
