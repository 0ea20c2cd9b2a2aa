variable "create" {
  description = "Create the state backend. False plans nothing (a backend made earlier is destroyed, if its guards allow) and the outputs are null."
  type        = bool
  default     = true
  nullable    = false
}

variable "project" {
  description = "Project name; names the bucket and table unless they are given."
  type        = string
  default     = "ode"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "The project must be 3 to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (for example production or staging); part of the default state key."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "The environment must be up to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "bucket_name" {
  description = "Name of the S3 state bucket. Defaults to \"<project>-terraform-state\"."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "The bucket name must be 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB lock table. Defaults to \"<project>-terraform-locks\"."
  type        = string
  default     = null

  validation {
    condition     = var.lock_table_name == null || can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "The lock table name must be 3 to 255 letters, digits, '_', '-' or '.'."
  }
}

variable "state_key" {
  description = "Key of the state object in the backend snippet. Defaults to \"<project>/<environment>/terraform.tfstate\"."
  type        = string
  default     = null

  validation {
    condition     = var.state_key == null || try(length(var.state_key) >= 1 && length(var.state_key) <= 1024 && !startswith(var.state_key, "/"), false)
    error_message = "The state key must be 1 to 1024 characters and must not start with '/'."
  }
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS on the bucket; null uses SSE-S3 (AES256)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "force_destroy" {
  description = "Allow destroy to delete every state object version in the bucket."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the bucket and the table (merged over the provider's default_tags)."
  type        = map(string)
  default     = {}
}
