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

variable "kubernetes_version" {
  description = "Kubernetes version of the cluster, like \"1.35\". Null: the newest version EKS offers in standard support when the cluster is made, then kept; raise it to upgrade, one minor version at a time."
  type        = string
  default     = null
}

variable "public_access_cidrs" {
  description = "Networks (CIDR blocks) that may reach the cluster's public API endpoint: your office, VPN and CI runners. Null leaves the endpoint open to the whole internet (the plan warns). For a private-only endpoint set eks = { endpoint_public_access = false } instead."
  type        = list(string)
  default     = null
}

variable "cluster_admin_arns" {
  description = "IAM roles or users that administer the cluster besides the identity that creates it: the CI role that applies this, your operators. Without an entry nobody else gets kubectl access."
  type        = list(string)
  default     = []
}

variable "node_groups" {
  description = "The cluster's node groups (see modules/platform: capacity_type, ami_type, disk_size, labels, taints, sizes); null for the seed's system and worker groups."
  type        = any
  default     = null
}

variable "addons" {
  description = "EKS add-ons merged over the platform's (vpc-cni, kube-proxy, coredns, aws-ebs-csi-driver, metrics-server); a name set to null is left out."
  type        = any
  default     = {}
}

variable "enable_load_balancer_controller" {
  description = "Make the AWS Load Balancer Controller's IAM role and Helm values (the seed's Ingress needs the controller)."
  type        = bool
  default     = true
}

variable "enable_cluster_autoscaler" {
  description = "Make the cluster autoscaler's IAM role and Helm values (the worker group is sized by it)."
  type        = bool
  default     = true
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

variable "restore_from_snapshot" {
  description = "Make PostgreSQL from this DB snapshot instead of empty (read only when the database is made)."
  type        = string
  default     = null
}

variable "network" {
  description = "More network settings (modules/platform's network object: subnet prefix lengths, flow_logs, extra subnet tags, ...)."
  type        = any
  default     = {}
}

variable "eks" {
  description = "More EKS settings (modules/platform's eks object: endpoint_public_access, enabled_log_types, log_retention_days, access_entries, ...)."
  type        = any
  default     = {}
}

variable "postgres" {
  description = "PostgreSQL settings (modules/platform's postgres object: instance_class, allocated_storage, multi_az, backup_retention_days, ...)."
  type        = any
  default     = {}
}

variable "redis" {
  description = "Redis settings (modules/platform's redis object: engine, node_type, num_cache_clusters, ...)."
  type        = any
  default     = {}
}

variable "registry" {
  description = "Registry settings (modules/platform's registry object: repositories, keep_tagged_images, untagged_expiry_days, ...)."
  type        = any
  default     = {}
}
