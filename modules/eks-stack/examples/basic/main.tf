# The seed's EKS stack: ode-production-cluster (the newest Kubernetes version in
# standard support) on the private subnets of the seed's network, with the system and worker node groups and the four add-ons.

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

module "network" {
  source = "../../../network"

  project     = "ode"
  environment = "production"

  # EKS finds the subnets for its load balancers by these tags.
  public_subnet_tags  = { "kubernetes.io/cluster/ode-production-cluster" = "shared" }
  private_subnet_tags = { "kubernetes.io/cluster/ode-production-cluster" = "shared" }
}

module "eks" {
  source = "../../"

  project     = "ode"
  environment = "production"
  aws_region  = "us-east-1"
  subnet_ids  = module.network.private_subnet_ids
}

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "update_kubeconfig_command" {
  description = "Run it to reach the cluster with kubectl."
  value       = module.eks.update_kubeconfig_command
}
