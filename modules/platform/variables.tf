variable "aws_region" {
  description = "Region the ode provider is configured for: named in update_kubeconfig_command and in the pods' KMS policy condition."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.aws_region))
    error_message = "aws_region must be an AWS region name like us-east-1 or eu-central-2."
  }
}

variable "project" {
  description = "Project name: the prefix of every name (ode-production, ode-production-cluster, ode-api, ...) and a tag."
  type        = string
  default     = "ode"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])+$", var.project)) && length(var.project) >= 3 && length(var.project) <= 16
    error_message = "The project must be 3 to 16 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (the data tier's names allow 30 characters for <project>-<environment>)."
  }
}

variable "environment" {
  description = "Environment name (for example production or staging), part of every name and a tag."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.environment)) && length(var.environment) <= 13
    error_message = "The environment must be up to 13 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (the data tier's names allow 30 characters for <project>-<environment>)."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC (the seed's 10.0.0.0/16)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && try(tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 20, false)
    error_message = "cidr_block must be an IPv4 CIDR block from /16 to /20 (three tiers in up to eight zones), for example 10.0.0.0/16."
  }
}

variable "availability_zones" {
  description = "Availability zones to use; null for the region's first az_count zones."
  type        = list(string)
  default     = null

  validation {
    condition     = var.availability_zones == null || try(length(var.availability_zones) >= 2 && length(var.availability_zones) == length(distinct(var.availability_zones)), false)
    error_message = "availability_zones must list at least two zones (EKS, RDS and ElastiCache need two), each zone once."
  }
}

variable "az_count" {
  description = "How many availability zones to use when availability_zones is null (the seed's 3)."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 8 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 8 (EKS, RDS and ElastiCache need two zones)."
  }
}

variable "nat_gateways" {
  description = "NAT strategy: one_per_az (the seed's: a zone's outage does not cut the others off) or single (cheaper). The nodes need one of them to pull images and reach AWS APIs."
  type        = string
  default     = "one_per_az"

  validation {
    condition     = contains(["one_per_az", "single"], var.nat_gateways)
    error_message = "nat_gateways must be one_per_az or single: the EKS nodes in the private subnets need a way out."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes version of the cluster, like \"1.35\" (the seed's 1.29 is past its end of support). Null (the default): the newest version EKS offers in standard support when the cluster is created, then kept. Raising it upgrades in place, one minor version at a time."
  type        = string
  default     = null

  validation {
    condition     = var.kubernetes_version == null || can(regex("^1\\.[0-9]+$", var.kubernetes_version))
    error_message = "kubernetes_version must be a Kubernetes minor version like \"1.35\"."
  }
}

variable "node_groups" {
  description = "The cluster's managed node groups (see the eks-stack module); null for the seed's system (2 x t3.medium) and worker (3 to 10 x t3.large) groups."
  type = map(object({
    instance_types     = optional(list(string))
    capacity_type      = optional(string)
    min_size           = number
    max_size           = number
    desired_size       = optional(number)
    disk_size          = optional(number)
    ami_type           = optional(string)
    labels             = optional(map(string))
    taints             = optional(list(object({ key = string, value = optional(string), effect = string })))
    max_unavailable    = optional(number)
    scaling_owner      = optional(string)
    kubernetes_version = optional(string)
  }))
  default = null

  validation {
    condition     = var.node_groups == null || try(length(var.node_groups) >= 1, false)
    error_message = "node_groups must hold at least one node group (coredns and the workloads need nodes), or be null for the seed's."
  }
}

variable "cluster_admin_arns" {
  description = "IAM roles or users that get cluster admin access (EKS access entries with AmazonEKSClusterAdminPolicy), besides the identity that creates the cluster."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.cluster_admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "cluster_admin_arns must be IAM role or user ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "database_name" {
  description = "Name of the PostgreSQL database (the seed's odedb)."
  type        = string
  default     = "odedb"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be 1 to 63 letters, digits or '_', starting with a letter."
  }
}

variable "database_username" {
  description = "Master user name of PostgreSQL (the seed's odeadmin)."
  type        = string
  default     = "odeadmin"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.database_username)) && !contains(["rdsadmin", "postgres", "admin", "root"], lower(var.database_username))
    error_message = "database_username must be 1 to 63 letters, digits or '_', starting with a letter, and not a reserved name (rdsadmin, postgres, admin, root)."
  }
}

variable "database_password" {
  description = "Master password of PostgreSQL, kept (sensitive) in state. Leave it null (the default): RDS generates the password and keeps it in Secrets Manager (the master_secret_arn output), and it never reaches state or a tfvars file."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.database_password == null || try(length(var.database_password) >= 8 && length(var.database_password) <= 128 && !can(regex("[/\"@ ]", var.database_password)), false)
    error_message = "database_password must be 8 to 128 characters without '/', '\"', '@' or spaces."
  }
}

variable "buckets" {
  description = "The document buckets by short name, <project>-<environment>-<key> (see the data-tier module); the API and worker service accounts may read and write all of them. The default is the seed's documents, exports and fonts."
  type = map(object({
    versioning                 = optional(bool)
    encryption                 = optional(string)
    transition_ia_days         = optional(number)
    transition_glacier_days    = optional(number)
    noncurrent_expiration_days = optional(number)
  }))
  default = {
    documents = {}
    exports   = {}
    fonts     = {}
  }
  nullable = false

  validation {
    condition     = length(var.buckets) >= 1
    error_message = "buckets must name at least one bucket."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the database: destroy fails, before deleting anything, until it is set to false and applied."
  type        = bool
  default     = true
  nullable    = false
}

variable "force_destroy" {
  description = "Let destroy delete buckets that still hold objects and repositories that still hold images."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags for every object of the platform (merged over Project, Environment and ManagedBy, and over the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "Tag keys must be 1 to 128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}
