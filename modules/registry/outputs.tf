output "name" {
  description = "Name of the registry, the prefix of its repositories' names."
  value       = ode_registry.this.name
}

output "registry_id" {
  description = "The AWS account's registry ID (the account ID)."
  value       = ode_registry.this.registry_id
}

output "repository_names" {
  description = "Repository names by key (api = ode-api, ...)."
  value       = ode_registry.this.repository_names
}

output "repository_urls" {
  description = "Repository URLs by key, for docker push and image references (<account>.dkr.ecr.<region>.amazonaws.com/ode-api)."
  value       = ode_registry.this.repository_urls
}

output "repository_arns" {
  description = "Repository ARNs by key."
  value       = ode_registry.this.repository_arns
}

output "pull_principal_arns" {
  description = "The IAM principals allowed to pull."
  value       = ode_registry.this.pull_principal_arns
}

output "compliance" {
  description = "\"verified\" when every repository scans on push and has the configured tag mutability, lifecycle and pull policy; otherwise what differs (drift that apply repairs)."
  value       = ode_registry.this.compliance
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the registry in USD (image storage; the provider's estimate)."
  value       = ode_registry.this.estimated_monthly_cost
}

output "cost_items" {
  description = "The estimate's items in USD per month, as the provider reports them."
  value       = ode_registry.this.cost_items
}
