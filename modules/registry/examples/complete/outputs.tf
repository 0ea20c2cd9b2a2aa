output "repository_urls" {
  description = "Where docker push goes, by repository."
  value       = module.registry.repository_urls
}

output "repository_arns" {
  description = "Repository ARNs by key."
  value       = module.registry.repository_arns
}

output "pull_principal_arns" {
  description = "The IAM principals allowed to pull."
  value       = module.registry.pull_principal_arns
}

output "compliance" {
  description = "\"verified\" when every repository has the configured settings."
  value       = module.registry.compliance
}
