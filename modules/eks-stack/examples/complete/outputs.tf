output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "kubernetes_version" {
  description = "Kubernetes version of the control plane."
  value       = module.eks.kubernetes_version
}

output "node_group_arns" {
  description = "ARNs of the managed node groups, by name."
  value       = module.eks.node_group_arns
}

output "addon_versions" {
  description = "Installed version of each add-on."
  value       = module.eks.addon_versions
}

output "service_account_role_arns" {
  description = "IRSA role ARNs by \"namespace/name\" (annotate the service accounts with them)."
  value       = module.eks.service_account_role_arns
}

output "update_kubeconfig_command" {
  description = "Run it to reach the cluster with kubectl."
  value       = module.eks.update_kubeconfig_command
}

output "estimated_monthly_cost" {
  description = "The provider's estimate of the stack's monthly cost in USD."
  value       = module.eks.estimated_monthly_cost
}
