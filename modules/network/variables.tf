variable "create" {
  description = "Create the network. False plans nothing (a network made earlier is destroyed) and the outputs are null or empty."
  type        = bool
  default     = true
  nullable    = false
}

variable "project" {
  description = "Project name, used in the network's name and tags."
  type        = string
  default     = "ode"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "The project must be 3 to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (for example production or staging), used in the network's name and tags."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "The environment must be up to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "name" {
  description = "Name of the network. Defaults to \"<project>-<environment>\". Changing it replaces the network."
  type        = string
  default     = null

  validation {
    condition     = var.name == null || can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "The name must be 1 to 64 letters, digits, '-' or '_'."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC (/16 to /28)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && try(tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 28, false)
    error_message = "cidr_block must be an IPv4 CIDR block with a prefix length from /16 to /28, for example 10.0.0.0/16."
  }
}

variable "availability_zones" {
  description = "Availability zones to use. When null, the first az_count zones of the region."
  type        = list(string)
  default     = null

  validation {
    condition     = var.availability_zones == null || try(length(var.availability_zones) == length(distinct(var.availability_zones)) && length(var.availability_zones) > 0, false)
    error_message = "availability_zones must list at least one zone, each zone once."
  }
}

variable "az_count" {
  description = "How many availability zones to use when availability_zones is null."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 1 && var.az_count <= 8 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 1 to 8."
  }
}

variable "nat_gateways" {
  description = "NAT strategy: one_per_az (the seed's layout), single, or none."
  type        = string
  default     = "one_per_az"

  validation {
    condition     = contains(["one_per_az", "single", "none"], var.nat_gateways)
    error_message = "nat_gateways must be one of one_per_az, single, none."
  }
}

variable "public_subnet_prefix_length" {
  description = "Prefix length of the public subnets; null for the layout's default (/21 in a /16)."
  type        = number
  default     = null

  validation {
    condition     = var.public_subnet_prefix_length == null || try(var.public_subnet_prefix_length >= 16 && var.public_subnet_prefix_length <= 28, false)
    error_message = "Subnet prefix lengths must be from 16 to 28."
  }
}

variable "private_subnet_prefix_length" {
  description = "Prefix length of the private subnets; null for the layout's default (/20 in a /16)."
  type        = number
  default     = null

  validation {
    condition     = var.private_subnet_prefix_length == null || try(var.private_subnet_prefix_length >= 16 && var.private_subnet_prefix_length <= 28, false)
    error_message = "Subnet prefix lengths must be from 16 to 28."
  }
}

variable "isolated_subnet_prefix_length" {
  description = "Prefix length of the isolated subnets; null for the layout's default (/21 in a /16)."
  type        = number
  default     = null

  validation {
    condition     = var.isolated_subnet_prefix_length == null || try(var.isolated_subnet_prefix_length >= 16 && var.isolated_subnet_prefix_length <= 28, false)
    error_message = "Subnet prefix lengths must be from 16 to 28."
  }
}

variable "public_subnet_cidrs" {
  description = "Explicit CIDR blocks of the public subnets, keyed by availability zone (zones not listed use the layout); they must lie inside the VPC's public range."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for az, cidr in var.public_subnet_cidrs : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$", az)) && can(cidrhost(cidr, 0)) && strcontains(cidr, "/")])
    error_message = "public_subnet_cidrs must map availability zone names (like us-east-1a) to IPv4 CIDR blocks (like 10.0.128.0/19)."
  }
}

variable "private_subnet_cidrs" {
  description = "Explicit CIDR blocks of the private subnets, keyed by availability zone (zones not listed use the layout); they must lie inside the VPC's private range."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for az, cidr in var.private_subnet_cidrs : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$", az)) && can(cidrhost(cidr, 0)) && strcontains(cidr, "/")])
    error_message = "private_subnet_cidrs must map availability zone names (like us-east-1a) to IPv4 CIDR blocks (like 10.0.128.0/19)."
  }
}

variable "isolated_subnet_cidrs" {
  description = "Explicit CIDR blocks of the isolated subnets, keyed by availability zone (zones not listed use the layout); they must lie inside the VPC's isolated range."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for az, cidr in var.isolated_subnet_cidrs : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$", az)) && can(cidrhost(cidr, 0)) && strcontains(cidr, "/")])
    error_message = "isolated_subnet_cidrs must map availability zone names (like us-east-1a) to IPv4 CIDR blocks (like 10.0.128.0/19)."
  }
}

variable "create_isolated_subnets" {
  description = "Create the isolated tier (databases and caches, no internet route)."
  type        = bool
  default     = true
}

variable "enable_dns_hostnames" {
  description = "Give instances in the VPC public DNS hostnames."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every object of the network (merged over the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "flow_logs" {
  description = "VPC flow logs, or null for none: destination_arn (an S3 bucket ARN, arn:aws:s3:::<bucket>, or a CloudWatch Logs log group ARN), traffic_type (ALL, ACCEPT or REJECT; default ALL) and iam_role_arn (a role the flow logs service can assume; required for a log group)."
  type = object({
    destination_arn = string
    traffic_type    = optional(string, "ALL")
    iam_role_arn    = optional(string)
  })
  default = null

  validation {
    condition     = var.flow_logs == null || can(regex("^arn:aws[a-z-]*:(s3:::[a-z0-9][a-z0-9.-]+[a-z0-9](/.*)?|logs:[a-z0-9-]+:[0-9]{12}:log-group:.+)$", var.flow_logs.destination_arn))
    error_message = "flow_logs.destination_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>) or a CloudWatch Logs log group ARN (arn:aws:logs:<region>:<account>:log-group:<name>)."
  }

  validation {
    condition     = var.flow_logs == null || try(contains(["ALL", "ACCEPT", "REJECT"], var.flow_logs.traffic_type), false)
    error_message = "flow_logs.traffic_type must be one of ALL, ACCEPT, REJECT."
  }

  validation {
    condition     = var.flow_logs == null || try(var.flow_logs.iam_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.flow_logs.iam_role_arn)), false)
    error_message = "flow_logs.iam_role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }

  validation {
    condition     = var.flow_logs == null || try(!can(regex("^arn:aws[a-z-]*:logs:", var.flow_logs.destination_arn)) || var.flow_logs.iam_role_arn != null, false)
    error_message = "Flow logs to a CloudWatch Logs log group need flow_logs.iam_role_arn, a role the flow logs service can assume."
  }
}

variable "enable_dns_support" {
  description = "Enable the Amazon DNS server in the VPC (EKS and RDS endpoints need it)."
  type        = bool
  default     = true
  nullable    = false
}

variable "manage_default_security_group" {
  description = "Remove every rule from the VPC's default security group, so that nothing uses it by accident."
  type        = bool
  default     = true
  nullable    = false
}

variable "public_subnet_tags" {
  description = "Extra tags for the public subnets, merged over \"kubernetes.io/role/elb\" = \"1\" (for example \"kubernetes.io/cluster/<cluster>\" = \"shared\")."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.public_subnet_tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "Tag keys must be 1 to 128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}

variable "private_subnet_tags" {
  description = "Extra tags for the private subnets, merged over \"kubernetes.io/role/internal-elb\" = \"1\" (for example \"kubernetes.io/cluster/<cluster>\" = \"shared\")."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.private_subnet_tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "Tag keys must be 1 to 128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}

variable "isolated_subnet_tags" {
  description = "Extra tags for the isolated subnets."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.isolated_subnet_tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "Tag keys must be 1 to 128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}

variable "timeouts" {
  description = "How long create, update and delete may take, as durations like 45m, 1h30m or 1.5h (at most 168h); null or a null attribute keeps the provider's 30m."
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

variable "gateway_endpoints" {
  description = "Services reached through a free gateway VPC endpoint on the private and isolated route tables: \"s3\", \"dynamodb\". Null: a new network gets [\"s3\"], an existing one keeps what it has (none for networks made before endpoints existed)."
  type        = set(string)
  default     = null

  validation {
    condition     = var.gateway_endpoints == null || alltrue([for s in coalesce(var.gateway_endpoints, []) : contains(["s3", "dynamodb"], s)])
    error_message = "gateway_endpoints may hold \"s3\" and \"dynamodb\" only; list other services in interface_endpoints."
  }
}

variable "interface_endpoints" {
  description = "Services reached through an interface VPC endpoint in the private subnets (private DNS, HTTPS from the VPC), e.g. [\"ecr.api\", \"ecr.dkr\", \"sts\", \"logs\"]. Each costs about $7.30 a month per zone."
  type        = set(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z][a-z0-9.-]{0,63}$", s))])
    error_message = "interface_endpoints are service names like \"ecr.api\" or \"sts\", without the com.amazonaws.<region>. prefix."
  }
}
