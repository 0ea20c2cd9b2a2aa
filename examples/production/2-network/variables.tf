variable "aws_region" {
  description = "AWS region of the network."
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

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones."
  type        = number
  default     = 3
}

variable "nat_gateways" {
  description = "NAT strategy: one_per_az, single or none."
  type        = string
  default     = "one_per_az"
}
