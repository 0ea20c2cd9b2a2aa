output "vpc_id" {
  description = "The platform's VPC."
  value       = module.platform.vpc_id
}

output "cluster_name" {
  description = "The EKS cluster."
  value       = module.platform.cluster_name
}

output "update_kubeconfig_command" {
  description = "Run this, then apply the Kubernetes manifests."
  value       = module.platform.update_kubeconfig_command
}

output "rds_endpoint" {
  description = "PostgreSQL host name."
  value       = module.platform.rds_endpoint
}

output "redis_endpoint" {
  description = "Redis primary endpoint."
  value       = module.platform.redis_endpoint
}

output "bucket_names" {
  description = "The document buckets by key."
  value       = module.platform.bucket_names
}

output "repository_urls" {
  description = "The ECR repositories by key."
  value       = module.platform.repository_urls
}

output "estimated_monthly_cost" {
  description = "The plan-time estimate in USD per month (us-east-1 list prices)."
  value       = module.platform.estimated_monthly_cost
}

output "cost_items" {
  description = "The estimate by item."
  value       = module.platform.cost_items
}
