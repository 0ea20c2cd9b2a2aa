variable "create" {
  description = "Create the registry. False plans nothing (a registry made earlier is destroyed, if its guards allow) and the outputs are null or empty."
  type        = bool
  default     = true
  nullable    = false
}

variable "project" {
  description = "Project name: the registry's name (repositories <project>-api, <project>-worker, ...) unless name is given, and a tag."
  type        = string
  default     = "ode"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "The project must be 3 to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name, used in tags only: one registry usually serves every environment of an account."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "The environment must be up to 32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "name" {
  description = "Name of the registry, the prefix of every repository's name (<name>-<key>). Defaults to project. Changing it replaces the registry."
  type        = string
  default     = null

  validation {
    condition     = var.name == null || can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.name)) && try(length(var.name) <= 200, false)
    error_message = "The registry name must be lowercase letters and digits, separated by single '.', '_', '-' or '/', at most 200 characters."
  }
}

variable "repositories" {
  description = "The ECR repositories by short name; each is named <name>-<key> (ode-api). keep_tagged_images and untagged_expiry_days override the registry's for one repository. The default is the platform's api, worker and viewer."
  type = map(object({
    keep_tagged_images   = optional(number)
    untagged_expiry_days = optional(number)
  }))
  default = {
    api    = {}
    worker = {}
    viewer = {}
  }
  nullable = false

  validation {
    condition     = length(var.repositories) >= 1 && alltrue([for key in keys(var.repositories) : can(regex("^[a-z0-9]+([._-][a-z0-9]+)*$", key)) && length(key) <= 50])
    error_message = "repositories must name at least one repository, each key up to 50 lowercase letters and digits, separated by single '.', '_' or '-'."
  }

  validation {
    condition = alltrue([for r in values(var.repositories) : alltrue([for n in [r.keep_tagged_images, r.untagged_expiry_days] :
    n == null || try(n >= 1 && n <= 10000 && floor(n) == n, false)])])
    error_message = "repositories[*].keep_tagged_images and untagged_expiry_days must be whole numbers from 1 to 10000."
  }
}

variable "keep_tagged_images" {
  description = "Tagged images each repository keeps; older ones expire."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.keep_tagged_images >= 1 && var.keep_tagged_images <= 10000 && floor(var.keep_tagged_images) == var.keep_tagged_images
    error_message = "keep_tagged_images must be a whole number from 1 to 10000."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images expire."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.untagged_expiry_days >= 1 && var.untagged_expiry_days <= 10000 && floor(var.untagged_expiry_days) == var.untagged_expiry_days
    error_message = "untagged_expiry_days must be a whole number of days from 1 to 10000."
  }
}

variable "immutable_tags" {
  description = "Refuse to overwrite an image tag (deploy by a new tag or by digest)."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_key_arn" {
  description = "KMS key for the repositories' encryption; null uses AES256 by ECR. Changing it replaces the registry."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "pull_principal_arns" {
  description = "IAM principals allowed to pull from every repository, for example the EKS node role (the eks-stack module's node_role_arn). Principals of the registry's own account with ECR permissions in their IAM policies can pull anyway."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.pull_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", arn))])
    error_message = "pull_principal_arns must be IAM role, user or account root ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "force_destroy" {
  description = "Let destroy delete repositories that still hold images. Off by default: destroy refuses, before deleting anything, while a repository holds images."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags for every repository (merged over Project, Environment and ManagedBy, and over the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "Tag keys must be 1 to 128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}

variable "timeouts" {
  description = "How long create, update and delete may take, as durations like 10m, 1h30m or 1.5h (at most 168h); null or a null attribute keeps the provider's 20m."
  type = object({
    create = optional(string)
    update = optional(string)
    delete = optional(string)
  })
  default = null

  validation {
    condition     = var.timeouts == null || alltrue([for d in [try(var.timeouts.create, null), try(var.timeouts.update, null), try(var.timeouts.delete, null)] : d == null || can(regex("^([0-9]+(\\.[0-9]+)?(h|m|s))+$", coalesce(d, "1m")))])
    error_message = "timeouts.create, timeouts.update and timeouts.delete must be durations like 10m, 1h30m, 90s or 1.5h."
  }
}
