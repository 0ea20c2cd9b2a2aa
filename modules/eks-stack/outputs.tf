output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = ode_eks_stack.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = ode_eks_stack.this.arn
}

output "kubernetes_version" {
  description = "Kubernetes version of the control plane."
  value       = ode_eks_stack.this.kubernetes_version
}

output "platform_version" {
  description = "EKS platform version of the control plane."
  value       = ode_eks_stack.this.platform_version
}

output "subnet_ids" {
  description = "Subnets of the control plane's network interfaces and the nodes."
  value       = ode_eks_stack.this.subnet_ids
}

output "endpoint" {
  description = "Endpoint of the Kubernetes API server."
  value       = ode_eks_stack.this.endpoint
}

output "certificate_authority_data" {
  description = "The cluster's CA certificate, base64-encoded."
  value       = ode_eks_stack.this.certificate_authority_data
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider that IRSA roles trust."
  value       = ode_eks_stack.this.oidc_provider_arn
}

output "oidc_issuer_url" {
  description = "The cluster's OIDC issuer URL."
  value       = ode_eks_stack.this.oidc_issuer_url
}

output "cluster_security_group_id" {
  description = "Security group EKS made for the control plane and the nodes: allow it at the data tier."
  value       = ode_eks_stack.this.cluster_security_group_id
}

output "cluster_role_arn" {
  description = "IAM role of the control plane."
  value       = ode_eks_stack.this.cluster_role_arn
}

output "node_role_arn" {
  description = "IAM role of the nodes: allow it to pull from the registry."
  value       = ode_eks_stack.this.node_role_arn
}

output "secrets_kms_key_arn" {
  description = "KMS key that encrypts the cluster's Kubernetes secrets."
  value       = ode_eks_stack.this.secrets_kms_key_arn
}

output "node_group_arns" {
  description = "ARNs of the managed node groups, by name."
  value       = ode_eks_stack.this.node_group_arns
}

output "node_group_status" {
  description = "Status of each managed node group, by name."
  value       = ode_eks_stack.this.node_group_status
}

output "addon_versions" {
  description = "Installed version of each add-on, by name."
  value       = ode_eks_stack.this.addon_versions
}

output "service_accounts" {
  description = "The IRSA service accounts as configured (policy_arns and policy_json), by \"namespace/name\"."
  value       = ode_eks_stack.this.service_accounts
}

output "service_account_role_arns" {
  description = "IRSA role ARNs by \"namespace/name\": the eks.amazonaws.com/role-arn annotation of each service account."
  value       = ode_eks_stack.this.service_account_role_arns
}

output "iam_policies" {
  description = "\"verified\" when the roles the stack made carry their managed policies; otherwise what is missing (drift that apply repairs)."
  value       = ode_eks_stack.this.iam_policies
}

output "kubeconfig" {
  description = "A kubeconfig for the cluster that gets tokens with `aws eks get-token` (no secret in it)."
  value       = ode_eks_stack.this.kubeconfig
}

output "update_kubeconfig_command" {
  description = "The AWS CLI command that adds the cluster to ~/.kube/config."
  value       = "aws eks update-kubeconfig --name ${ode_eks_stack.this.name} --region ${var.aws_region}"
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the stack in USD (on-demand list prices; the provider's estimate)."
  value       = ode_eks_stack.this.estimated_monthly_cost
}

output "cost_items" {
  description = "The estimate's items in USD per month (control plane, each node group, ...), as the provider reports them."
  value       = ode_eks_stack.this.cost_items
}
