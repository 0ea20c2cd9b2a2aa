output "name" {
  description = "Name of the registry, the prefix of its repositories' names."
  value       = var.create ? ode_registry.this[0].name : null
}

output "registry_id" {
  description = "The AWS account's registry ID (the account ID)."
  value       = var.create ? ode_registry.this[0].registry_id : null
}

output "repository_names" {
  description = "Repository names by key (api = ode-api, ...)."
  value       = var.create ? ode_registry.this[0].repository_names : {}
}

output "repository_urls" {
  description = "Repository URLs by key, for docker push and image references (<account>.dkr.ecr.<region>.amazonaws.com/ode-api)."
  value       = var.create ? ode_registry.this[0].repository_urls : {}
}

output "repository_arns" {
  description = "Repository ARNs by key."
  value       = var.create ? ode_registry.this[0].repository_arns : {}
}

output "pull_principal_arns" {
  description = "The IAM principals allowed to pull."
  value       = var.create ? ode_registry.this[0].pull_principal_arns : []
}

output "compliance" {
  description = "\"verified\" when every repository scans on push and has the configured tag mutability, lifecycle and pull policy; otherwise what differs (drift that apply repairs)."
  value       = var.create ? ode_registry.this[0].compliance : null
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the registry in USD (image storage; the provider's estimate)."
  value       = var.create ? ode_registry.this[0].estimated_monthly_cost : null
}

output "cost_items" {
  description = "The estimate's items in USD per month, as the provider reports them."
  value       = var.create ? ode_registry.this[0].cost_items : {}
}
