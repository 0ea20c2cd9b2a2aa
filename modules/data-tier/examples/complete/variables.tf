variable "region" {
  description = "AWS region of the tier; its zones a and b are used."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the tier, the prefix of its objects' names (the network is <name>-network)."
  type        = string
  default     = "ode-complete-data"
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may reach PostgreSQL and Redis besides the private subnets, for example an EKS cluster's security group."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "A KMS key of yours for the database, Redis, the buckets and the secrets; null lets the tier make one."
  type        = string
  default     = null
}
