# The platform's image repositories: ode-api, ode-worker and ode-viewer, scanned on
# push, with immutable tags, 30 tagged images kept and untagged images expired after
# 7 days.

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

module "registry" {
  source = "../../"

  project = "ode"

  # Who may pull besides the account's own principals: here the nodes of a cluster
  # made elsewhere (the eks-stack module's node_role_arn).
  pull_principal_arns = ["arn:aws:iam::123456789012:role/ode/ode-production-cluster/node"]
}

output "repository_urls" {
  description = "Where docker push goes, by repository."
  value       = module.registry.repository_urls
}
