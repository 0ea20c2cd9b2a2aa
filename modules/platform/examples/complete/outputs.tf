output "update_kubeconfig_command" {
  description = "Run it to reach the cluster with kubectl."
  value       = module.platform.update_kubeconfig_command
}

output "node_groups" {
  description = "The node groups with the platform's pool labels and taints."
  value       = module.platform.node_groups
}

output "service_account_role_arns" {
  description = "IRSA roles by service account."
  value       = module.platform.service_account_role_arns
}

output "load_balancer_controller_helm_values" {
  description = "Helm values of the AWS Load Balancer Controller."
  value       = module.platform.load_balancer_controller_helm_values
}

output "cluster_autoscaler_helm_values" {
  description = "Helm values of the cluster autoscaler."
  value       = module.platform.cluster_autoscaler_helm_values
}

output "estimated_monthly_cost_by_module" {
  description = "USD per month by module."
  value       = module.platform.estimated_monthly_cost_by_module
}
