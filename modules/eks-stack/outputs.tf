output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = var.create ? ode_eks_stack.this[0].name : null
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = var.create ? ode_eks_stack.this[0].arn : null
}

output "kubernetes_version" {
  description = "Kubernetes version of the control plane."
  value       = var.create ? ode_eks_stack.this[0].kubernetes_version : null
}

output "platform_version" {
  description = "EKS platform version of the control plane."
  value       = var.create ? ode_eks_stack.this[0].platform_version : null
}

output "subnet_ids" {
  description = "Subnets of the control plane's network interfaces and the nodes."
  value       = var.create ? ode_eks_stack.this[0].subnet_ids : []
}

output "endpoint" {
  description = "Endpoint of the Kubernetes API server."
  value       = var.create ? ode_eks_stack.this[0].endpoint : null
}

output "certificate_authority_data" {
  description = "The cluster's CA certificate, base64-encoded."
  value       = var.create ? ode_eks_stack.this[0].certificate_authority_data : null
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider that IRSA roles trust."
  value       = var.create ? ode_eks_stack.this[0].oidc_provider_arn : null
}

output "oidc_issuer_url" {
  description = "The cluster's OIDC issuer URL."
  value       = var.create ? ode_eks_stack.this[0].oidc_issuer_url : null
}

output "cluster_security_group_id" {
  description = "Security group EKS made for the control plane and the nodes: allow it at the data tier."
  value       = var.create ? ode_eks_stack.this[0].cluster_security_group_id : null
}

output "cluster_role_arn" {
  description = "IAM role of the control plane."
  value       = var.create ? ode_eks_stack.this[0].cluster_role_arn : null
}

output "node_role_arn" {
  description = "IAM role of the nodes: allow it to pull from the registry."
  value       = var.create ? ode_eks_stack.this[0].node_role_arn : null
}

output "secrets_kms_key_arn" {
  description = "KMS key that encrypts the cluster's Kubernetes secrets."
  value       = var.create ? ode_eks_stack.this[0].secrets_kms_key_arn : null
}

output "node_group_arns" {
  description = "ARNs of the managed node groups, by name."
  value       = var.create ? ode_eks_stack.this[0].node_group_arns : {}
}

output "node_group_status" {
  description = "Status of each managed node group, by name."
  value       = var.create ? ode_eks_stack.this[0].node_group_status : {}
}

output "addon_versions" {
  description = "Installed version of each add-on, by name."
  value       = var.create ? ode_eks_stack.this[0].addon_versions : {}
}

output "service_accounts" {
  description = "The IRSA service accounts as configured (policy_arns and policy_json), by \"namespace/name\"."
  value       = var.create ? ode_eks_stack.this[0].service_accounts : {}
}

output "service_account_role_arns" {
  description = "IRSA role ARNs by \"namespace/name\": the eks.amazonaws.com/role-arn annotation of each service account."
  value       = var.create ? ode_eks_stack.this[0].service_account_role_arns : {}
}

output "iam_policies" {
  description = "\"verified\" when the roles the stack made carry their managed policies; otherwise what is missing (drift that apply repairs)."
  value       = var.create ? ode_eks_stack.this[0].iam_policies : null
}

output "kubeconfig" {
  description = "A kubeconfig for the cluster that gets tokens with `aws eks get-token` (no secret in it)."
  value       = var.create ? ode_eks_stack.this[0].kubeconfig : null
}

output "update_kubeconfig_command" {
  description = "The AWS CLI command that adds the cluster to ~/.kube/config."
  value       = var.create ? "aws eks update-kubeconfig --name ${ode_eks_stack.this[0].name} --region ${var.aws_region}" : null
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the stack in USD (on-demand list prices; the provider's estimate)."
  value       = var.create ? ode_eks_stack.this[0].estimated_monthly_cost : null
}

output "cost_items" {
  description = "The estimate's items in USD per month (control plane, each node group, ...), as the provider reports them."
  value       = var.create ? ode_eks_stack.this[0].cost_items : {}
}
