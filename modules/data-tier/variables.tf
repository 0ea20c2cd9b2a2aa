variable "create" {
  description = "Create the data tier. False plans nothing (a tier made earlier is destroyed, if its guards allow) and the outputs are null or empty; vpc_id may then be null and subnet_ids empty."
  type        = bool
  default     = true
  nullable    = false
}

variable "project" {
  description = "Project name, used in the tier's name and tags."
  type        = string
  default     = "ode"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "The project must be 3 to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (for example production or staging), used in the tier's name and tags."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "The environment must be up to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "name" {
  description = "Name of the tier, the prefix of every object's name (<name>-postgres, <name>-redis, <name>-<bucket>). Defaults to \"<project>-<environment>\". Changing it replaces the tier."
  type        = string
  default     = null

  validation {
    condition     = var.name == null || try(can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.name)) && length(var.name) <= 30, false)
    error_message = "The tier name must be 1 to 30 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "vpc_id" {
  description = "The VPC of the subnets (the network module's vpc_id); the tier's security groups live there."
  type        = string

  validation {
    # Null is for create = false (a disabled network module's vpc_id); with create the
    # resource's precondition refuses it.
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Subnets for PostgreSQL and Redis: the isolated subnets of at least two availability zones (the network module's isolated_subnet_ids)."
  type        = list(string)

  validation {
    # Empty is for create = false; with create the resource's precondition refuses it.
    condition     = length(var.subnet_ids) >= 2 || length(var.subnet_ids) == 0
    error_message = "RDS and ElastiCache need subnets in at least two availability zones; list at least two subnet IDs."
  }

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "subnet_ids must be subnet IDs (subnet-...)."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may reach PostgreSQL (5432) and Redis (6379), for example the EKS cluster security group."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "allowed_security_group_ids must be security group IDs (sg-...)."
  }
}

variable "allowed_cidr_blocks" {
  description = "CIDR blocks that may reach PostgreSQL and Redis (never 0.0.0.0/0). With neither these nor allowed_security_group_ids nothing can connect."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.allowed_cidr_blocks : can(cidrhost(c, 0)) && strcontains(c, "/") && !contains(["0.0.0.0/0", "::/0"], c)])
    error_message = "allowed_cidr_blocks must be CIDR blocks of the networks that need the databases (like 10.0.0.0/16), not 0.0.0.0/0."
  }
}

variable "database_name" {
  description = "Name of the PostgreSQL database created with the instance (the seed's odedb). Changing it replaces the tier."
  type        = string
  default     = "odedb"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be 1 to 63 letters, digits or '_', starting with a letter."
  }
}

variable "database_username" {
  description = "Master user name of PostgreSQL (the seed's odeadmin). Changing it replaces the tier."
  type        = string
  default     = "odeadmin"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.database_username)) && !contains(["rdsadmin", "postgres", "admin", "root"], lower(var.database_username))
    error_message = "database_username must be 1 to 63 letters, digits or '_', starting with a letter, and not a reserved name (rdsadmin, postgres, admin, root)."
  }
}

variable "database_password" {
  description = "Master password of PostgreSQL, kept (sensitive) in state: the Terraform 1.5 way. Leave it null (the default) and RDS keeps a generated password in Secrets Manager (the master_secret_arn output), which never reaches state."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.database_password == null || try(length(var.database_password) >= 8 && length(var.database_password) <= 128 && !can(regex("[/\"@ ]", var.database_password)), false)
    error_message = "database_password must be 8 to 128 characters without '/', '\"', '@' or spaces."
  }
}

variable "postgres" {
  description = "PostgreSQL (RDS) settings; attributes left null keep the provider's defaults, the seed's: engine_version 15 (the newest 15.x RDS offers when the database is made), instance_class db.t3.medium, allocated_storage 100 GiB gp3, multi_az true, 7 days of backups in 03:00-04:00, maintenance sun:04:30-sun:05:30, final_snapshot true."
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
    restore_from_snapshot      = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.postgres.engine_version == null || can(regex("^1[2-8](\\.[0-9]+)?$", coalesce(var.postgres.engine_version, "15")))
    error_message = "postgres.engine_version must be a PostgreSQL major from 12 to 18 or one of its minors, like 15 or 15.15."
  }

  validation {
    condition     = var.postgres.instance_class == null || can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", coalesce(var.postgres.instance_class, "db.t3.medium")))
    error_message = "postgres.instance_class must be an RDS instance class, like db.t3.medium."
  }

  validation {
    condition = alltrue([for n in [var.postgres.allocated_storage, var.postgres.max_allocated_storage] :
    n == null || try(n >= 20 && n <= 65536 && floor(n) == n, false)])
    error_message = "postgres.allocated_storage and postgres.max_allocated_storage must be whole GiB from 20 to 65536."
  }

  validation {
    condition     = var.postgres.max_allocated_storage == null || try(var.postgres.max_allocated_storage >= coalesce(var.postgres.allocated_storage, 100), false)
    error_message = "postgres.max_allocated_storage must be at least allocated_storage (100 GiB by default)."
  }

  validation {
    condition     = var.postgres.storage_type == null || contains(["gp2", "gp3", "io1", "io2"], coalesce(var.postgres.storage_type, "gp3"))
    error_message = "postgres.storage_type must be gp2, gp3, io1 or io2."
  }

  validation {
    condition     = var.postgres.backup_retention_days == null || try(var.postgres.backup_retention_days >= 1 && var.postgres.backup_retention_days <= 35 && floor(var.postgres.backup_retention_days) == var.postgres.backup_retention_days, false)
    error_message = "postgres.backup_retention_days must be a whole number of days from 1 to 35."
  }

  validation {
    condition     = var.postgres.backup_window == null || can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", coalesce(var.postgres.backup_window, "03:00-04:00")))
    error_message = "postgres.backup_window must be a daily UTC window like 03:00-04:00."
  }

  validation {
    condition     = var.postgres.maintenance_window == null || can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", coalesce(var.postgres.maintenance_window, "sun:04:30-sun:05:30")))
    error_message = "postgres.maintenance_window must be a weekly UTC window like sun:04:30-sun:05:30."
  }

  validation {
    condition     = var.postgres.parameters == null || alltrue([for k in keys(coalesce(var.postgres.parameters, {})) : can(regex("^[A-Za-z0-9._]+$", k))])
    error_message = "postgres.parameters keys must be PostgreSQL parameter names (letters, digits, '.' and '_'), like rds.force_ssl."
  }

  validation {
    condition     = var.postgres.restore_from_snapshot == null || can(regex("^[A-Za-z][A-Za-z0-9:-]{0,254}$", coalesce(var.postgres.restore_from_snapshot, "x")))
    error_message = "postgres.restore_from_snapshot must be a DB snapshot identifier (letters, digits, '-' and ':', starting with a letter)."
  }
}

variable "redis" {
  description = "Redis (ElastiCache) settings; attributes left null keep the provider's defaults, the seed's: engine redis (Redis OSS; valkey is AWS's recommended, cheaper engine), engine_version 7 (the newest 7.x offered when the group is made), two cache.t3.medium nodes with automatic failover over two zones, encryption at rest and in transit (with a generated AUTH token in Secrets Manager), 7 days of snapshots."
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
    condition     = var.redis.engine == null || contains(["redis", "valkey"], coalesce(var.redis.engine, "redis"))
    error_message = "redis.engine must be redis or valkey."
  }

  validation {
    condition     = var.redis.engine_version == null || can(regex("^[678](\\.[0-9]+)?$", coalesce(var.redis.engine_version, "7")))
    error_message = "redis.engine_version must be a major from 6 to 8 or one of its minors, like 7 or 7.1 (Valkey: 7.2, 8 or 8.1)."
  }

  validation {
    condition     = var.redis.node_type == null || can(regex("^cache\\.[a-z0-9-]+\\.[a-z0-9]+$", coalesce(var.redis.node_type, "cache.t3.medium")))
    error_message = "redis.node_type must be an ElastiCache node type, like cache.t3.medium."
  }

  validation {
    condition     = var.redis.num_cache_clusters == null || try(var.redis.num_cache_clusters >= 1 && var.redis.num_cache_clusters <= 6 && floor(var.redis.num_cache_clusters) == var.redis.num_cache_clusters, false)
    error_message = "redis.num_cache_clusters must be a whole number from 1 to 6 (one primary, the rest replicas)."
  }

  validation {
    condition     = try(var.redis.num_cache_clusters >= 2, true) || (var.redis.automatic_failover == false && var.redis.multi_az == false)
    error_message = "Automatic failover and Multi-AZ (both on by default) need redis.num_cache_clusters of at least 2; for a single node set automatic_failover = false and multi_az = false."
  }

  validation {
    condition     = !(var.redis.multi_az == true && var.redis.automatic_failover == false)
    error_message = "ElastiCache turns redis.multi_az on only with automatic_failover = true."
  }

  validation {
    condition     = var.redis.snapshot_retention_days == null || try(var.redis.snapshot_retention_days >= 0 && var.redis.snapshot_retention_days <= 35 && floor(var.redis.snapshot_retention_days) == var.redis.snapshot_retention_days, false)
    error_message = "redis.snapshot_retention_days must be a whole number of days from 0 (no snapshots) to 35."
  }

  validation {
    condition     = var.redis.snapshot_window == null || can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", coalesce(var.redis.snapshot_window, "02:00-03:00")))
    error_message = "redis.snapshot_window must be a daily UTC window like 02:00-03:00."
  }

  validation {
    condition     = var.redis.maintenance_window == null || can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", coalesce(var.redis.maintenance_window, "sun:05:30-sun:06:30")))
    error_message = "redis.maintenance_window must be a weekly UTC window like sun:05:30-sun:06:30."
  }

  validation {
    condition     = var.redis.parameters == null || alltrue([for k in keys(coalesce(var.redis.parameters, {})) : can(regex("^[a-z0-9_-]+$", k))])
    error_message = "redis.parameters keys must be Redis parameter names (lowercase letters, digits, '-' and '_'), like maxmemory-policy."
  }
}

variable "redis_auth_token" {
  description = "Redis AUTH token, kept (sensitive) in state. Leave it null (the default) and the tier generates one into Secrets Manager (the redis_auth_secret_arn output)."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.redis_auth_token == null || try(length(var.redis_auth_token) >= 16 && length(var.redis_auth_token) <= 128 && can(regex("^[!#-.0-?A-~]+$", var.redis_auth_token)), false)
    error_message = "redis_auth_token must be 16 to 128 printable ASCII characters without spaces, '/', '\"' or '@'."
  }
}

variable "buckets" {
  description = "The tier's S3 buckets by short name; each is named <name>-<key> (ode-production-documents). Always versioned-by-default, encrypted, private and TLS-only; attributes: versioning, encryption (aws:kms with the tier's key, or AES256), transition_ia_days, transition_glacier_days, noncurrent_expiration_days. The default is the seed's documents, exports and fonts."
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
    condition     = length(var.buckets) >= 1 && alltrue([for key in keys(var.buckets) : can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", key))])
    error_message = "buckets must name at least one bucket, each key 1 to 32 lowercase letters, digits or hyphens, not starting or ending with a hyphen."
  }

  validation {
    condition     = alltrue([for b in values(var.buckets) : b.encryption == null || contains(["aws:kms", "AES256"], coalesce(b.encryption, "aws:kms"))])
    error_message = "buckets[*].encryption must be aws:kms (the tier's key) or AES256."
  }

  validation {
    condition     = alltrue([for b in values(var.buckets) : b.transition_ia_days == null || try(b.transition_ia_days >= 30 && floor(b.transition_ia_days) == b.transition_ia_days, false)])
    error_message = "buckets[*].transition_ia_days must be a whole number of at least 30 (S3's minimum for STANDARD_IA)."
  }

  validation {
    condition     = alltrue([for b in values(var.buckets) : b.transition_glacier_days == null || try(b.transition_glacier_days >= 1 && floor(b.transition_glacier_days) == b.transition_glacier_days && b.transition_glacier_days > coalesce(b.transition_ia_days, 0), false)])
    error_message = "buckets[*].transition_glacier_days must be a whole number of days, later than transition_ia_days."
  }

  validation {
    condition     = alltrue([for b in values(var.buckets) : b.noncurrent_expiration_days == null || try(b.noncurrent_expiration_days >= 1 && floor(b.noncurrent_expiration_days) == b.noncurrent_expiration_days, false)])
    error_message = "buckets[*].noncurrent_expiration_days must be a whole number of days, at least 1."
  }
}

variable "kms_key_arn" {
  description = "One KMS key for RDS, Redis, the buckets and the tier's secrets; null lets the tier create one (alias/<name>-data)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the database. Destroy fails, before anything is deleted, until it is set to false and applied."
  type        = bool
  default     = true
  nullable    = false
}

variable "force_destroy" {
  description = "Let destroy delete buckets that still hold objects. Off by default: destroy refuses, before deleting anything, while a bucket holds objects."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags for every object of the tier (merged over Project, Environment and ManagedBy, and over the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "Tag keys must be 1 to 128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}

variable "timeouts" {
  description = "How long create, update and delete may take, as durations like 45m, 1h30m or 1.5h (at most 168h); null or a null attribute keeps the provider's 60m."
  type = object({
    create = optional(string)
    update = optional(string)
    delete = optional(string)
  })
  default = null

  validation {
    condition     = var.timeouts == null || alltrue([for d in [try(var.timeouts.create, null), try(var.timeouts.update, null), try(var.timeouts.delete, null)] : d == null || can(regex("^([0-9]+(\\.[0-9]+)?(h|m|s))+$", coalesce(d, "1m")))])
    error_message = "timeouts.create, timeouts.update and timeouts.delete must be durations like 45m, 1h30m, 90s or 1.5h."
  }
}
