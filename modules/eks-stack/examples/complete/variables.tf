variable "region" {
  description = "AWS region of the cluster; its zones a and b are used."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the cluster (the network is <name>-network)."
  type        = string
  default     = "ode-complete-eks"
}

variable "kubernetes_version" {
  description = "Kubernetes version, like \"1.35\"; null for the newest EKS offers in standard support."
  type        = string
  default     = null
}

variable "public_access_cidrs" {
  description = "CIDR blocks that may reach the API server's public endpoint: put your office or VPN range here (the default is a documentation range that reaches nothing)."
  type        = list(string)
  default     = ["203.0.113.0/24"]
}

variable "kms_key_arn" {
  description = "A KMS key of yours for the secrets' envelope encryption; null lets the stack make one."
  type        = string
  default     = null
}

variable "admin_role_arns" {
  description = "IAM roles given cluster admin access (EKS access entries with AmazonEKSClusterAdminPolicy), for example a CI role; the creator has it anyway."
  type        = list(string)
  default     = []
}
