variable "create" {
  description = "Create the EKS stack. False plans nothing (a stack made earlier is destroyed, if its guards allow) and the outputs are null or empty; subnet_ids may then be empty."
  type        = bool
  default     = true
  nullable    = false
}

variable "project" {
  description = "Project name, used in the cluster's name and tags."
  type        = string
  default     = "ode"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "The project must be 3 to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (for example production or staging), used in the cluster's name and tags."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "The environment must be up to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "name" {
  description = "Name of the cluster. Defaults to \"<project>-<environment>-cluster\" (ode-production-cluster). Changing it replaces the whole stack."
  type        = string
  default     = null

  validation {
    condition     = var.name == null || can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$", var.name))
    error_message = "The cluster name must be 1 to 100 letters, digits, '-' or '_', starting with a letter or digit."
  }
}

variable "aws_region" {
  description = "Region of the ode provider, named in update_kubeconfig_command."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.aws_region))
    error_message = "aws_region must be an AWS region name like us-east-1 or eu-central-2."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes version of the control plane, like \"1.35\". Null (the default): the newest version EKS offers in standard support when the cluster is created, then kept (it never moves by itself). Raising it upgrades in place, one minor version at a time; lowering it is refused; a version past its end of extended support is refused at plan."
  type        = string
  default     = null

  validation {
    condition     = var.kubernetes_version == null || (can(regex("^1\\.[0-9]+$", var.kubernetes_version)) && try(tonumber(split(".", var.kubernetes_version)[1]) >= 23, false))
    error_message = "kubernetes_version must be a Kubernetes minor version EKS offers, like \"1.35\"."
  }
}

variable "subnet_ids" {
  description = "Subnets for the control plane's network interfaces and the nodes: the private subnets of at least two availability zones (the network module's private_subnet_ids)."
  type        = list(string)

  validation {
    # Empty is for create = false (a disabled network module's private_subnet_ids); with
    # create the resource's precondition refuses it with the same message.
    condition     = length(var.subnet_ids) >= 2 || length(var.subnet_ids) == 0
    error_message = "EKS needs subnets in at least two availability zones; list at least two subnet IDs."
  }

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "subnet_ids must be subnet IDs (subnet-...)."
  }
}

variable "endpoint_private_access" {
  description = "Reach the API server from inside the VPC."
  type        = bool
  default     = true
  nullable    = false
}

variable "endpoint_public_access" {
  description = "Reach the API server from the internet (limited by public_access_cidrs)."
  type        = bool
  default     = true
  nullable    = false
}

variable "public_access_cidrs" {
  description = "CIDR blocks allowed to reach the public endpoint; null for anywhere."
  type        = list(string)
  default     = null

  validation {
    condition     = var.public_access_cidrs == null || try(alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0)) && strcontains(c, "/")]), false)
    error_message = "public_access_cidrs must be CIDR blocks, for example 203.0.113.0/24."
  }
}

variable "authentication_mode" {
  description = "How IAM principals authenticate to the cluster: API, API_AND_CONFIG_MAP or CONFIG_MAP."
  type        = string
  default     = "API_AND_CONFIG_MAP"
  nullable    = false

  validation {
    condition     = contains(["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"], var.authentication_mode)
    error_message = "authentication_mode must be one of API, API_AND_CONFIG_MAP, CONFIG_MAP."
  }
}

variable "enabled_log_types" {
  description = "Control plane log types sent to CloudWatch Logs (the seed's: api, controllerManager, scheduler)."
  type        = list(string)
  default     = ["api", "controllerManager", "scheduler"]
  nullable    = false

  validation {
    condition     = alltrue([for t in var.enabled_log_types : contains(["api", "audit", "authenticator", "controllerManager", "scheduler"], t)])
    error_message = "enabled_log_types may list api, audit, authenticator, controllerManager and scheduler."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the control plane logs (the log group /aws/eks/<name>/cluster belongs to the stack)."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a period CloudWatch Logs offers: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "KMS key for envelope encryption of Kubernetes secrets; null lets the stack create one. Changing it replaces the stack."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "cluster_role_arn" {
  description = "IAM role of the control plane; null lets the stack create one with AmazonEKSClusterPolicy. Changing it replaces the stack."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.cluster_role_arn))
    error_message = "cluster_role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "node_role_arn" {
  description = "IAM role of the nodes; null lets the stack create one with the worker node, CNI and ECR read-only policies. Changing it replaces the stack."
  type        = string
  default     = null

  validation {
    condition     = var.node_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.node_role_arn))
    error_message = "node_role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "node_groups" {
  description = "Managed node groups by name. Only min_size and max_size are required; attributes left null take the provider's defaults (instance_types [\"t3.medium\"], ON_DEMAND, desired_size = min_size, 20 GiB, AL2023, scaling_owner terraform). The default is the seed's: system (2 x t3.medium, label role=system) and worker (3 to 10 x t3.large, sized by the cluster autoscaler)."
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
      labels         = { role = "system" }
    }
    worker = {
      instance_types = ["t3.large"]
      min_size       = 3
      max_size       = 10
      desired_size   = 3
      scaling_owner  = "autoscaler"
      labels         = { role = "worker" }
    }
  }
  nullable = false

  validation {
    condition     = alltrue([for name in keys(var.node_groups) : can(regex("^[A-Za-z0-9_-]{1,63}$", name))])
    error_message = "Node group names must be 1 to 63 letters, digits, '-' or '_'."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.instance_types == null || try(length(g.instance_types) > 0 && alltrue([for t in g.instance_types : can(regex("^[A-Za-z0-9-]+\\.[A-Za-z0-9.-]+$", t))]), false)])
    error_message = "node_groups[*].instance_types must list at least one EC2 instance type, like t3.medium."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.capacity_type == null || contains(["ON_DEMAND", "SPOT"], coalesce(g.capacity_type, "ON_DEMAND"))])
    error_message = "node_groups[*].capacity_type must be ON_DEMAND or SPOT."
  }

  validation {
    condition = alltrue([for g in values(var.node_groups) : alltrue([
      for n in [g.min_size, g.max_size, coalesce(g.desired_size, g.min_size)] : n >= 0 && n <= 1000 && floor(n) == n
    ]) && g.max_size >= 1])
    error_message = "node_groups[*] sizes must be whole numbers from 0 to 1000, and max_size at least 1."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.min_size <= g.max_size])
    error_message = "node_groups[*].min_size must not exceed max_size."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.desired_size == null || try(g.desired_size >= g.min_size && g.desired_size <= g.max_size, false)])
    error_message = "node_groups[*].desired_size must lie between min_size and max_size."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.disk_size == null || try(g.disk_size >= 1 && g.disk_size <= 16384 && floor(g.disk_size) == g.disk_size, false)])
    error_message = "node_groups[*].disk_size must be a whole number of GiB from 1 to 16384."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.ami_type == null || can(regex("^((AL2|AL2023|BOTTLEROCKET|WINDOWS)_[A-Za-z0-9_]+|CUSTOM)$", coalesce(g.ami_type, "CUSTOM")))])
    error_message = "node_groups[*].ami_type must be an EKS AMI type, like AL2023_x86_64_STANDARD or BOTTLEROCKET_x86_64."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.labels == null || alltrue([for k in keys(coalesce(g.labels, {})) : can(regex("^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", k))])])
    error_message = "node_groups[*].labels keys must be Kubernetes label keys: an optional DNS prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.taints == null || alltrue([for t in coalesce(g.taints, []) : contains(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], t.effect)])])
    error_message = "node_groups[*].taints[*].effect must be NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.max_unavailable == null || try(g.max_unavailable >= 1 && g.max_unavailable <= 100 && floor(g.max_unavailable) == g.max_unavailable, false)])
    error_message = "node_groups[*].max_unavailable must be a whole number from 1 to 100."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.scaling_owner == null || contains(["terraform", "autoscaler"], coalesce(g.scaling_owner, "terraform"))])
    error_message = "node_groups[*].scaling_owner must be terraform or autoscaler."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.kubernetes_version == null || can(regex("^1\\.[0-9]+$", coalesce(g.kubernetes_version, "1.35")))])
    error_message = "node_groups[*].kubernetes_version must be a Kubernetes minor version like \"1.34\"."
  }
}

variable "addons" {
  description = "EKS add-ons by name: any add-on EKS offers for the cluster's Kubernetes version (the provider checks the name, an explicit version and the configuration at plan); the default installs vpc-cni, kube-proxy, coredns and aws-ebs-csi-driver. A null version follows the default version EKS names for the cluster's Kubernetes version; configuration_values is a JSON document; service_account names a service_accounts key whose IAM role the add-on assumes (see ebs_csi_driver_role)."
  type = map(object({
    version              = optional(string)
    configuration_values = optional(string)
    service_account      = optional(string)
  }))
  default = {
    "vpc-cni"            = {}
    "kube-proxy"         = {}
    "coredns"            = {}
    "aws-ebs-csi-driver" = {}
  }
  nullable = false

  validation {
    condition     = alltrue([for name in keys(var.addons) : can(regex("^[a-z0-9]([a-z0-9_-]{0,98}[a-z0-9])?$", name))])
    error_message = "addons must be keyed by EKS add-on names (lowercase letters, digits, '-' and '_', like metrics-server); which ones the cluster's version offers is checked at plan."
  }

  validation {
    condition     = alltrue([for a in values(var.addons) : a.configuration_values == null || can(jsondecode(coalesce(a.configuration_values, "{}")))])
    error_message = "addons[*].configuration_values must be a JSON document."
  }
}

variable "ebs_csi_driver_role" {
  description = "Give the aws-ebs-csi-driver add-on an IAM role for its controller (service account kube-system/ebs-csi-controller-sa, AWS managed policy AmazonEBSCSIDriverPolicy), unless addons names a service_account for it. Without permissions the driver cannot create volumes."
  type        = bool
  default     = true
  nullable    = false
}

variable "access_entries" {
  description = "Cluster access for IAM principals, keyed by role or user ARN: policy_arn (default AmazonEKSClusterAdminPolicy) and namespaces (default: the whole cluster)."
  type = map(object({
    policy_arn = optional(string)
    namespaces = optional(list(string))
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for arn in keys(var.access_entries) : can(regex("^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:(role|user|assumed-role)/.+$", arn))])
    error_message = "access_entries must be keyed by IAM role or user ARNs (arn:aws:iam::<account>:role/<name>)."
  }

  validation {
    condition     = alltrue([for e in values(var.access_entries) : e.policy_arn == null || can(regex("^arn:aws[a-z-]*:eks::aws:cluster-access-policy/.+$", coalesce(e.policy_arn, "-")))])
    error_message = "access_entries[*].policy_arn must be an EKS access policy ARN (arn:aws:eks::aws:cluster-access-policy/<name>)."
  }
}

variable "service_accounts" {
  description = "IAM roles for Kubernetes service accounts, keyed by \"namespace/name\": managed policy_arns and/or an inline policy_json, and identity: \"irsa\" (default; annotate the service account with its role from service_account_role_arns) or \"pod_identity\" (an EKS Pod Identity association; needs the eks-pod-identity-agent add-on)."
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
    error_message = "service_accounts must be keyed by \"namespace/name\", each a lowercase DNS label (like \"ode/ode-api\")."
  }

  validation {
    condition     = alltrue([for sa in values(var.service_accounts) : sa.policy_arns == null || alltrue([for p in coalesce(sa.policy_arns, []) : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", p))])])
    error_message = "service_accounts[*].policy_arns must be IAM policy ARNs (arn:aws:iam::aws:policy/<name> or arn:aws:iam::<account>:policy/<name>)."
  }

  validation {
    condition     = alltrue([for sa in values(var.service_accounts) : sa.policy_json == null || can(jsondecode(coalesce(sa.policy_json, "{}")).Statement)])
    error_message = "service_accounts[*].policy_json must be a JSON IAM policy document with a Statement."
  }
}

variable "tags" {
  description = "Tags for every object of the stack (merged over Project, Environment and ManagedBy, and over the provider's default_tags)."
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
