variable "aws_region" {
  description = "AWS region (the seed: us-east-1)."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name: prefixes every object's name."
  type        = string
  default     = "ode"
}

variable "environment" {
  description = "Environment name."
  type        = string
  default     = "production"
}

variable "az_count" {
  description = "Availability zones to spread over (the seed: 3)."
  type        = number
  default     = 3
}

variable "cluster_admin_arns" {
  description = "IAM roles or users that administer the cluster, besides the identity that creates it."
  type        = list(string)
  default     = []
}

variable "database_name" {
  description = "Name of the PostgreSQL database."
  type        = string
  default     = "odedb"
}

variable "database_username" {
  description = "PostgreSQL master user."
  type        = string
  default     = "odeadmin"
}

variable "database_password" {
  description = "PostgreSQL master password. Leave null (recommended): RDS generates it and keeps it in Secrets Manager. If you must set it, pass TF_VAR_database_password from your secret store, never in a file."
  type        = string
  default     = null
  sensitive   = true
}
