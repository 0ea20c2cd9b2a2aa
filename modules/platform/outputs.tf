# -- network ------------------------------------------------------------------------------

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (load balancers, NAT gateways), in availability zone order."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (EKS nodes), in availability zone order."
  value       = module.network.private_subnet_ids
}

output "isolated_subnet_ids" {
  description = "IDs of the isolated subnets (PostgreSQL, Redis), in availability zone order."
  value       = module.network.isolated_subnet_ids
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways: the platform's outbound addresses, for allow-lists."
  value       = module.network.nat_public_ips
}

# -- cluster ------------------------------------------------------------------------------

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API server."
  value       = module.eks.endpoint
}

output "update_kubeconfig_command" {
  description = "The AWS CLI command that adds the cluster to ~/.kube/config."
  value       = module.eks.update_kubeconfig_command
}

output "service_account_role_arns" {
  description = "IRSA role ARNs of the ode/ode-api and ode/ode-worker service accounts (their eks.amazonaws.com/role-arn annotations)."
  value       = module.eks.service_account_role_arns
}

# -- data tier ----------------------------------------------------------------------------

output "rds_endpoint" {
  description = "PostgreSQL host name."
  value       = module.data_tier.rds_endpoint
}

output "redis_endpoint" {
  description = "Redis primary endpoint host name."
  value       = module.data_tier.redis_endpoint
}

output "database_url" {
  description = "postgresql://<user>@<host>:5432/<database>?sslmode=require, without a password."
  value       = module.data_tier.database_url
}

output "redis_url" {
  description = "rediss://<host>:6379, without the AUTH token."
  value       = module.data_tier.redis_url
}

output "master_secret_arn" {
  description = "Secrets Manager secret with the PostgreSQL master password (null when database_password is set)."
  value       = module.data_tier.master_secret_arn
}

output "redis_auth_secret_arn" {
  description = "Secrets Manager secret with the Redis AUTH token."
  value       = module.data_tier.redis_auth_secret_arn
}

output "bucket_names" {
  description = "The document buckets by key (documents, exports, fonts)."
  value       = module.data_tier.bucket_names
}

# -- registry -----------------------------------------------------------------------------

output "repository_urls" {
  description = "ECR repository URLs by key (api, worker, viewer), for docker push and the deployments' images."
  value       = module.registry.repository_urls
}

# -- Kubernetes and cost ------------------------------------------------------------------

output "kubernetes_secret_manifest" {
  description = "The ode-secrets Secret (namespace ode) with the database and Redis URLs, ready for kubectl apply -f -. It holds no password."
  value = templatefile("${path.module}/templates/ode-secrets.yaml.tftpl", {
    namespace    = "ode"
    database_url = module.data_tier.database_url
    redis_url    = module.data_tier.redis_url
  })
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the whole platform in USD: the sum of the network's, the cluster's, the data tier's and the registry's estimates (on-demand list prices; the provider's price table)."
  value       = sum(local.costs)
}

output "cost_items" {
  description = "The estimate's items in USD per month (the seed's cost table: VPC, NAT Gateway, EKS, EC2 Nodes, RDS, ElastiCache, S3, ECR); an item two modules report is summed."
  value = {
    for item in distinct(flatten([for items in local.cost_items : keys(items)])) :
    item => sum([for items in local.cost_items : lookup(items, item, 0)])
  }
}
