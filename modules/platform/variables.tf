variable "create" {
  description = "Create the platform. False plans nothing: no module makes anything (a platform made earlier is destroyed, if its guards allow), and every output is null or empty."
  type        = bool
  default     = true
  nullable    = false
}

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

variable "public_access_cidrs" {
  description = "CIDR blocks that may reach the cluster's public API endpoint: your office, VPN or CI runners (like [\"203.0.113.0/24\"]). Null (the default) leaves the endpoint open to the whole internet, which the provider warns about at every plan; for a private-only endpoint set eks.endpoint_public_access = false instead."
  type        = list(string)
  default     = null

  validation {
    condition     = var.public_access_cidrs == null || try(alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0)) && strcontains(c, "/")]) && length(var.public_access_cidrs) >= 1, false)
    error_message = "public_access_cidrs must list CIDR blocks, like 203.0.113.0/24 (null leaves the endpoint open to anywhere)."
  }
}

variable "node_groups" {
  description = "The cluster's managed node groups by name (see the eks-stack module). Every group is labelled ode.dev/pool = <its name> unless its labels set that key, and a group named system whose taints are null gets CriticalAddonsOnly=true:NO_SCHEDULE, so that only critical add-ons and the controllers run there (taints = [] leaves it untainted). capacity_type (ON_DEMAND or SPOT), ami_type, disk_size, labels and taints pass through. The default (also taken for null) is the seed's: system (2 x t3.medium, tainted) and worker (3 to 10 x t3.large, sized by the cluster autoscaler); the seed's deployments select ode.dev/pool = worker."
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
  default = {
    system = {
      instance_types = ["t3.medium"]
      min_size       = 2
      max_size       = 4
      desired_size   = 2
      labels         = { "ode.dev/pool" = "system" }
      taints         = [{ key = "CriticalAddonsOnly", value = "true", effect = "NO_SCHEDULE" }]
    }
    worker = {
      instance_types = ["t3.large"]
      min_size       = 3
      max_size       = 10
      desired_size   = 3
      scaling_owner  = "autoscaler"
      labels         = { "ode.dev/pool" = "worker" }
    }
  }
  nullable = false

  validation {
    condition     = length(var.node_groups) >= 1
    error_message = "node_groups must hold at least one node group (coredns and the workloads need nodes), or be null for the seed's."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.capacity_type == null || contains(["ON_DEMAND", "SPOT"], coalesce(g.capacity_type, "ON_DEMAND"))])
    error_message = "node_groups[*].capacity_type must be ON_DEMAND or SPOT."
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

# -- controllers, add-ons and service accounts ----------------------------------------------

variable "enable_load_balancer_controller" {
  description = "Make an IAM role (IRSA) for the AWS Load Balancer Controller's service account kube-system/aws-load-balancer-controller, with the permissions AWS documents for it (load balancers, target groups, listeners and their security groups, limited by the controller's elbv2.k8s.aws/cluster tag where AWS does so), and render its Helm values (output load_balancer_controller_helm_values). The seed's Ingress needs the controller."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_cluster_autoscaler" {
  description = "Make an IAM role (IRSA) for the cluster autoscaler's service account kube-system/cluster-autoscaler: describe calls on every Auto Scaling group, and SetDesiredCapacity / TerminateInstanceInAutoScalingGroup only on the groups tagged k8s.io/cluster-autoscaler/<cluster> = owned (this cluster's node groups), and render its Helm values (output cluster_autoscaler_helm_values)."
  type        = bool
  default     = true
  nullable    = false
}

variable "service_accounts" {
  description = "More IAM roles for Kubernetes service accounts, keyed by \"namespace/name\": managed policy_arns and/or an inline policy_json, and identity (\"irsa\", the default, or \"pod_identity\", which needs the eks-pod-identity-agent add-on). Merged over the platform's own (ode/ode-api, ode/ode-worker and the controllers'): a key the platform uses replaces its role's policies."
  type = map(object({
    policy_arns = optional(list(string))
    policy_json = optional(string)
    identity    = optional(string)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for sa in values(var.service_accounts) : sa.identity == null || contains(["irsa", "pod_identity"], coalesce(sa.identity, "irsa"))])
    error_message = "service_accounts[*].identity must be \"irsa\" or \"pod_identity\" (Pod Identity needs the eks-pod-identity-agent add-on)."
  }

  validation {
    condition     = alltrue([for key in keys(var.service_accounts) : can(regex("^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$", key))])
    error_message = "service_accounts must be keyed by \"namespace/name\", each a lowercase DNS label (like \"monitoring/prometheus\")."
  }

  validation {
    condition     = alltrue([for sa in values(var.service_accounts) : sa.policy_arns != null || sa.policy_json != null])
    error_message = "service_accounts[*] must give policy_arns or policy_json: a role without permissions is of no use."
  }
}

variable "addons" {
  description = "EKS add-ons by name, merged over the platform's: vpc-cni, kube-proxy, coredns (tolerating the system group's CriticalAddonsOnly taint through its configuration_values), aws-ebs-csi-driver (with its IRSA role) and metrics-server (for the API's CPU and memory autoscaler). Any add-on EKS offers for the cluster's version may be named; the attributes set here replace the platform's one by one (version null: EKS's default for the cluster's version; configuration_values: a JSON document; service_account: a service_accounts key whose role the add-on assumes). A name set to null leaves that add-on out."
  type = map(object({
    version              = optional(string)
    configuration_values = optional(string)
    service_account      = optional(string)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for name in keys(var.addons) : can(regex("^[a-z0-9]([a-z0-9_-]{0,98}[a-z0-9])?$", name))])
    error_message = "addons must be keyed by EKS add-on names: lowercase letters, digits and '-' (like metrics-server)."
  }

  validation {
    condition     = alltrue([for a in values(var.addons) : a == null || try(a.configuration_values == null || can(jsondecode(a.configuration_values)), false)])
    error_message = "addons[*].configuration_values must be a JSON document (jsonencode({ ... }))."
  }
}

# -- pass-through settings of the modules ----------------------------------------------------

variable "network" {
  description = "More settings of the network module (attributes left null keep its defaults): subnet prefix lengths and explicit CIDR blocks per tier, DNS settings, the default security group's lock-down, VPC endpoints (gateway_endpoints: null gives a new network S3's; interface_endpoints, e.g. [\"ecr.api\", \"ecr.dkr\", \"sts\", \"logs\"], about $7.30 a month per zone each), flow logs, extra subnet tags (merged with the cluster tag the platform sets) and timeouts. cidr_block, availability_zones, az_count and nat_gateways are top-level variables."
  type = object({
    public_subnet_prefix_length   = optional(number)
    private_subnet_prefix_length  = optional(number)
    isolated_subnet_prefix_length = optional(number)
    public_subnet_cidrs           = optional(map(string))
    private_subnet_cidrs          = optional(map(string))
    isolated_subnet_cidrs         = optional(map(string))
    enable_dns_hostnames          = optional(bool, true)
    enable_dns_support            = optional(bool)
    manage_default_security_group = optional(bool)
    public_subnet_tags            = optional(map(string), {})
    private_subnet_tags           = optional(map(string), {})
    isolated_subnet_tags          = optional(map(string))
    gateway_endpoints             = optional(set(string))
    interface_endpoints           = optional(set(string), [])
    flow_logs = optional(object({
      destination_arn = string
      traffic_type    = optional(string)
      iam_role_arn    = optional(string)
    }))
    timeouts = optional(object({
      create = optional(string)
      update = optional(string)
      delete = optional(string)
    }))
  })
  default  = {}
  nullable = false
}

variable "eks" {
  description = "More settings of the EKS stack (attributes left null keep the eks-stack module's defaults): endpoint_private_access / endpoint_public_access (false for a private-only API endpoint behind a VPN or bastion), authentication_mode, enabled_log_types and log_retention_days of the control plane logs, secrets_kms_key_arn, cluster_role_arn / node_role_arn (bring your own roles), access_entries with other EKS access policies than cluster admin, ebs_csi_driver_role and timeouts. kubernetes_version, public_access_cidrs and cluster_admin_arns are top-level variables."
  type = object({
    endpoint_private_access = optional(bool)
    endpoint_public_access  = optional(bool)
    authentication_mode     = optional(string)
    enabled_log_types       = optional(list(string))
    log_retention_days      = optional(number)
    secrets_kms_key_arn     = optional(string)
    cluster_role_arn        = optional(string)
    node_role_arn           = optional(string)
    access_entries = optional(map(object({
      policy_arn = optional(string)
      namespaces = optional(list(string))
    })), {})
    ebs_csi_driver_role = optional(bool)
    timeouts = optional(object({
      create = optional(string)
      update = optional(string)
      delete = optional(string)
    }))
  })
  default  = {}
  nullable = false
}

variable "postgres" {
  description = "PostgreSQL (RDS) settings passed to the data tier; attributes left null keep its defaults (the seed's: engine_version 15 at its newest minor, db.t3.medium, 100 GiB gp3, Multi-AZ, 7 days of backups in 03:00-04:00, maintenance sun:04:30-sun:05:30, a final snapshot on delete). database_name, database_username, database_password and restore_from_snapshot are top-level variables."
  type = object({
    engine_version             = optional(string)
    instance_class             = optional(string)
    allocated_storage          = optional(number)
    max_allocated_storage      = optional(number)
    storage_type               = optional(string)
    multi_az                   = optional(bool)
    backup_retention_days      = optional(number)
    backup_window              = optional(string)
    maintenance_window         = optional(string)
    apply_immediately          = optional(bool)
    auto_minor_version_upgrade = optional(bool)
    performance_insights       = optional(bool)
    parameters                 = optional(map(string))
    final_snapshot             = optional(bool)
  })
  default  = {}
  nullable = false
}

variable "restore_from_snapshot" {
  description = "Create PostgreSQL from this DB snapshot (identifier or ARN) instead of empty; settings a restore cannot take are applied right after. Only read when the database is made."
  type        = string
  default     = null

  validation {
    condition     = var.restore_from_snapshot == null || can(regex("^[A-Za-z][A-Za-z0-9:-]{0,254}$", coalesce(var.restore_from_snapshot, "x")))
    error_message = "restore_from_snapshot must be a DB snapshot identifier (letters, digits, '-' and ':', starting with a letter)."
  }
}

variable "redis" {
  description = "Redis (ElastiCache) settings passed to the data tier; attributes left null keep its defaults (the seed's: engine redis 7 at its newest minor, two cache.t3.medium nodes with automatic failover over two zones, encryption at rest and in transit with a generated AUTH token, 7 days of snapshots). engine = \"valkey\" is AWS's cheaper engine."
  type = object({
    engine                  = optional(string)
    engine_version          = optional(string)
    node_type               = optional(string)
    num_cache_clusters      = optional(number)
    automatic_failover      = optional(bool)
    multi_az                = optional(bool)
    at_rest_encryption      = optional(bool)
    transit_encryption      = optional(bool)
    snapshot_retention_days = optional(number)
    snapshot_window         = optional(string)
    maintenance_window      = optional(string)
    parameters              = optional(map(string))
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.redis.transit_encryption != false && var.redis.at_rest_encryption != false
    error_message = "redis.transit_encryption and redis.at_rest_encryption must stay on in the platform: the pods read the generated AUTH token, which exists only with transit encryption, and the seed promises encryption."
  }
}

variable "data_tier" {
  description = "More settings of the data tier: kms_key_arn (one key for RDS, Redis, the buckets and the secrets; null makes one), allowed_cidr_blocks (networks besides the cluster that may reach PostgreSQL and Redis, like a VPN's; never 0.0.0.0/0) and timeouts."
  type = object({
    kms_key_arn         = optional(string)
    allowed_cidr_blocks = optional(list(string), [])
    timeouts = optional(object({
      create = optional(string)
      update = optional(string)
      delete = optional(string)
    }))
  })
  default  = {}
  nullable = false
}

variable "registry" {
  description = "Settings of the registry module (attributes left null keep its defaults): repositories (the default is the seed's api, worker and viewer), keep_tagged_images (30), untagged_expiry_days (7), immutable_tags (true), kms_key_arn, pull_principal_arns (more principals that may pull, besides the node role) and timeouts. Every repository scans images on push."
  type = object({
    repositories = optional(map(object({
      keep_tagged_images   = optional(number)
      untagged_expiry_days = optional(number)
    })))
    keep_tagged_images   = optional(number)
    untagged_expiry_days = optional(number)
    immutable_tags       = optional(bool)
    kms_key_arn          = optional(string)
    pull_principal_arns  = optional(list(string), [])
    timeouts = optional(object({
      create = optional(string)
      update = optional(string)
      delete = optional(string)
    }))
  })
  default  = {}
  nullable = false
}
