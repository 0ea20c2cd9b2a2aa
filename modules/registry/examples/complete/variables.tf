variable "region" {
  description = "AWS region of the repositories."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the registry, the prefix of its repositories' names (<name>-api, ...)."
  type        = string
  default     = "ode-complete"
}

variable "pull_principal_arns" {
  description = "IAM principals of other accounts or roles that may pull, for example an EKS node role (arn:aws:iam::<account>:role/<name>) or an account (arn:aws:iam::<account>:root); principals of this account with ECR permissions can pull anyway."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "A KMS key of yours for the repositories' encryption; null for AES256."
  type        = string
  default     = null
}
