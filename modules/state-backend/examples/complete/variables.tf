variable "region" {
  description = "AWS region of the bucket and the table."
  type        = string
  default     = "us-east-1"
}

variable "bucket_name" {
  description = "Name of the state bucket (bucket names are global: pick one of your own); the lock table is <bucket_name>-locks."
  type        = string
  default     = "ode-complete-terraform-state"
}

variable "kms_key_arn" {
  description = "A KMS key of yours for SSE-KMS on the bucket; null for SSE-S3."
  type        = string
  default     = null
}
