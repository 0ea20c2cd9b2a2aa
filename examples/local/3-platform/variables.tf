variable "aws_region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name: prefixes every object's name."
  type        = string
  default     = "ode"
}

variable "environment" {
  description = "Environment name (production, staging, ...)."
  type        = string
  default     = "production"
}

variable "az_count" {
  description = "Availability zones to spread over (the seed: 3)."
  type        = number
  default     = 3
}

variable "database_name" {
  description = "Name of the PostgreSQL database."
  type        = string
  default     = "odedb"
}

variable "database_username" {
  description = "PostgreSQL master user. Its password is kept by RDS in Secrets Manager."
  type        = string
  default     = "odeadmin"
}

variable "deletion_protection" {
  description = "Refuse to destroy the database. The local demo turns it off."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let destroy delete buckets and repositories that still hold data. The local demo turns it on."
  type        = bool
  default     = false
}

variable "endpoint_url" {
  description = "URL of an AWS emulator for every service; null for AWS."
  type        = string
  default     = null
}

variable "public_access_cidrs" {
  description = "CIDR blocks allowed to reach the cluster's public API endpoint (the plan warns while it is open to 0.0.0.0/0)."
  type        = list(string)
  default     = ["127.0.0.1/32"]
}
