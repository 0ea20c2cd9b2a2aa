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

variable "state_bucket" {
  description = "Name of the state bucket."
  type        = string
  default     = "ode-terraform-state"
}

variable "force_destroy" {
  description = "Allow destroying the bucket with the state files in it (for tearing the demo down)."
  type        = bool
  default     = false
}

variable "endpoint_url" {
  description = "AWS emulator endpoint, e.g. http://127.0.0.1:4566; null for real AWS."
  type        = string
  default     = null
}
