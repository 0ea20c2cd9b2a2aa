variable "aws_region" {
  description = "AWS region of the platform."
  type        = string
  default     = "us-east-1"
}

variable "office_cidrs" {
  description = "Networks that may reach the cluster's API endpoint."
  type        = list(string)
  default     = ["203.0.113.0/24"]
}

variable "cluster_admin_arns" {
  description = "IAM roles with cluster admin access besides the creator: the CI role that applies, the operators."
  type        = list(string)
  default     = ["arn:aws:iam::123456789012:role/platform-admin"]
}
