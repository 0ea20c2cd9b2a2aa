# The seed's whole platform with no variable set: the network (10.0.0.0/16 over three
# zones), the EKS cluster ode-production-cluster with its system and worker node
# groups, PostgreSQL, Redis and the document buckets, and the ECR repositories.

terraform {
  required_version = ">= 1.5"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}

provider "ode" {
  region = "us-east-1"
}

module "platform" {
  source = "../../"
}

output "update_kubeconfig_command" {
  description = "Run it to reach the cluster with kubectl."
  value       = module.platform.update_kubeconfig_command
}

output "database_url" {
  description = "The database URL (no password in it)."
  value       = module.platform.database_url
}

output "repository_urls" {
  description = "Where docker push goes."
  value       = module.platform.repository_urls
}

output "estimated_monthly_cost" {
  description = "What the platform costs a month, in USD."
  value       = module.platform.estimated_monthly_cost
}
