# Every output of the platform module, for `terraform output` in this folder and for
# k8s/README.md.

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.platform.vpc_id
}

output "vpc_arn" {
  description = "ARN of the VPC."
  value       = module.platform.vpc_arn
}

output "vpc_cidr_block" {
  description = "CIDR block of the VPC."
  value       = module.platform.vpc_cidr_block
}

output "availability_zones" {
  description = "Availability zones the platform spans."
  value       = module.platform.availability_zones
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (load balancers, NAT gateways), in availability zone order."
  value       = module.platform.public_subnet_ids
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (EKS nodes), in availability zone order."
  value       = module.platform.private_subnet_ids
}

output "isolated_subnet_ids" {
  description = "IDs of the isolated subnets (PostgreSQL, Redis), in availability zone order."
  value       = module.platform.isolated_subnet_ids
}

output "public_subnet_cidrs" {
  description = "CIDR blocks of the public subnets, in availability zone order."
  value       = module.platform.public_subnet_cidrs
}

output "private_subnet_cidrs" {
  description = "CIDR blocks of the private subnets, in availability zone order."
  value       = module.platform.private_subnet_cidrs
}

output "isolated_subnet_cidrs" {
  description = "CIDR blocks of the isolated subnets, in availability zone order."
  value       = module.platform.isolated_subnet_cidrs
}

output "subnet_ids_by_az" {
  description = "Subnet IDs per tier, keyed by availability zone."
  value       = module.platform.subnet_ids_by_az
}

output "subnet_cidrs_by_az" {
  description = "Subnet CIDR blocks per tier, keyed by availability zone."
  value       = module.platform.subnet_cidrs_by_az
}

output "subnet_tags" {
  description = "Tags of each tier's subnets besides the network's own (load balancer roles and the cluster tag)."
  value       = module.platform.subnet_tags
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways."
  value       = module.platform.nat_gateway_ids
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways: the platform's outbound addresses, for allow-lists."
  value       = module.platform.nat_public_ips
}

output "internet_gateway_id" {
  description = "ID of the internet gateway."
  value       = module.platform.internet_gateway_id
}

output "public_route_table_id" {
  description = "ID of the public route table."
  value       = module.platform.public_route_table_id
}

output "private_route_table_ids" {
  description = "IDs of the private route tables."
  value       = module.platform.private_route_table_ids
}

output "isolated_route_table_id" {
  description = "ID of the isolated route table (no route to the internet)."
  value       = module.platform.isolated_route_table_id
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group (without rules unless network.manage_default_security_group is false)."
  value       = module.platform.default_security_group_id
}

output "flow_log_id" {
  description = "ID of the VPC flow log (null without network.flow_logs)."
  value       = module.platform.flow_log_id
}

output "vpc_endpoint_ids" {
  description = "IDs of the VPC endpoints, by service (the S3 gateway endpoint by default)."
  value       = module.platform.vpc_endpoint_ids
}

output "endpoint_security_group_id" {
  description = "ID of the interface endpoints' security group (null without interface endpoints)."
  value       = module.platform.endpoint_security_group_id
}

output "network_name" {
  description = "Name of the network (the prefix of its objects' Name tags)."
  value       = module.platform.network_name
}

output "network_isolation" {
  description = "\"verified\" when no isolated subnet can reach the internet."
  value       = module.platform.network_isolation
}

output "network_egress" {
  description = "\"verified\" when public subnets route to the internet gateway and private subnets to their NAT gateway."
  value       = module.platform.network_egress
}

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.platform.cluster_name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = module.platform.cluster_arn
}

output "kubernetes_version" {
  description = "Kubernetes version of the control plane (the one EKS offered when null was given, then kept)."
  value       = module.platform.kubernetes_version
}

output "cluster_platform_version" {
  description = "EKS platform version of the control plane."
  value       = module.platform.cluster_platform_version
}

output "cluster_subnet_ids" {
  description = "Subnets of the control plane's network interfaces and the nodes (the private subnets)."
  value       = module.platform.cluster_subnet_ids
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API server."
  value       = module.platform.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "The cluster's CA certificate, base64-encoded."
  value       = module.platform.cluster_certificate_authority_data
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider that IRSA roles trust."
  value       = module.platform.oidc_provider_arn
}

output "oidc_issuer_url" {
  description = "The cluster's OIDC issuer URL."
  value       = module.platform.oidc_issuer_url
}

output "cluster_security_group_id" {
  description = "Security group EKS made for the control plane and the nodes (the data tier admits it)."
  value       = module.platform.cluster_security_group_id
}

output "cluster_role_arn" {
  description = "IAM role of the control plane."
  value       = module.platform.cluster_role_arn
}

output "node_role_arn" {
  description = "IAM role of the nodes (it may pull from the registry)."
  value       = module.platform.node_role_arn
}

output "cluster_secrets_kms_key_arn" {
  description = "KMS key that encrypts the cluster's Kubernetes secrets."
  value       = module.platform.cluster_secrets_kms_key_arn
}

output "node_group_arns" {
  description = "ARNs of the managed node groups, by key (system, worker)."
  value       = module.platform.node_group_arns
}

output "node_group_status" {
  description = "Status of each managed node group, by key."
  value       = module.platform.node_group_status
}

output "addon_versions" {
  description = "Installed version of each EKS add-on, by name."
  value       = module.platform.addon_versions
}

output "service_accounts" {
  description = "The IRSA service accounts as configured (policy_arns and policy_json), by \"namespace/name\"."
  value       = module.platform.service_accounts
}

output "service_account_role_arns" {
  description = "IRSA role ARNs by \"namespace/name\" (ode/ode-api, ode/ode-worker, the controllers', the EBS CSI driver's): the eks.amazonaws.com/role-arn annotation of each service account."
  value       = module.platform.service_account_role_arns
}

output "cluster_iam_policies" {
  description = "\"verified\" when the stack's roles carry their policies and each IRSA role trusts the cluster's issuer; otherwise what is missing (drift that apply repairs)."
  value       = module.platform.cluster_iam_policies
}

output "kubeconfig" {
  description = "A kubeconfig for the cluster that gets tokens with `aws eks get-token` (no secret in it)."
  value       = module.platform.kubeconfig
}

output "update_kubeconfig_command" {
  description = "The AWS CLI command that adds the cluster to ~/.kube/config."
  value       = module.platform.update_kubeconfig_command
}

output "node_group_names" {
  description = "EKS node group names by key: the key, or <key>-<suffix> for a group made again when an immutable setting (instance types, capacity type, AMI type, disk size) changed."
  value       = module.platform.node_group_names
}

output "load_balancer_controller_role_arn" {
  description = "IAM role of the AWS Load Balancer Controller's service account kube-system/aws-load-balancer-controller (null with enable_load_balancer_controller = false)."
  value       = module.platform.load_balancer_controller_role_arn
}

output "cluster_autoscaler_role_arn" {
  description = "IAM role of the cluster autoscaler's service account kube-system/cluster-autoscaler (null with enable_cluster_autoscaler = false)."
  value       = module.platform.cluster_autoscaler_role_arn
}

output "load_balancer_controller_helm_values" {
  description = "Helm values (YAML) for the aws-load-balancer-controller chart: cluster, region, VPC, the service account with its role, the system nodes. terraform output -raw load_balancer_controller_helm_values > alb-controller.values.yaml; see examples/production/k8s/README.md."
  value       = module.platform.load_balancer_controller_helm_values
}

output "cluster_autoscaler_helm_values" {
  description = "Helm values (YAML) for the cluster-autoscaler chart: auto-discovery of this cluster's node groups, the image of the cluster's minor version, the service account with its role, the system nodes. terraform output -raw cluster_autoscaler_helm_values > cluster-autoscaler.values.yaml; see examples/production/k8s/README.md."
  value       = module.platform.cluster_autoscaler_helm_values
}

output "data_tier_name" {
  description = "Name of the data tier, the prefix of its objects' names."
  value       = module.platform.data_tier_name
}

output "data_tier_subnet_ids" {
  description = "Subnets of the database and Redis subnet groups (the isolated subnets)."
  value       = module.platform.data_tier_subnet_ids
}

output "data_tier_allowed_security_group_ids" {
  description = "Security groups whose members may reach PostgreSQL and Redis (the cluster's)."
  value       = module.platform.data_tier_allowed_security_group_ids
}

output "data_tier_allowed_cidr_blocks" {
  description = "CIDR blocks that may reach PostgreSQL and Redis (data_tier.allowed_cidr_blocks)."
  value       = module.platform.data_tier_allowed_cidr_blocks
}

output "rds_endpoint" {
  description = "PostgreSQL host name."
  value       = module.platform.rds_endpoint
}

output "rds_port" {
  description = "PostgreSQL port (5432)."
  value       = module.platform.rds_port
}

output "rds_arn" {
  description = "ARN of the DB instance."
  value       = module.platform.rds_arn
}

output "database_name" {
  description = "Name of the PostgreSQL database."
  value       = module.platform.database_name
}

output "database_username" {
  description = "Master user name of PostgreSQL."
  value       = module.platform.database_username
}

output "database_url" {
  description = "postgresql://<user>@<host>:5432/<database>?sslmode=require, without a password."
  value       = module.platform.database_url
}

output "master_secret_arn" {
  description = "Secrets Manager secret with the PostgreSQL master password (null when database_password is set)."
  value       = module.platform.master_secret_arn
}

output "redis_endpoint" {
  description = "Redis primary endpoint host name."
  value       = module.platform.redis_endpoint
}

output "redis_reader_endpoint" {
  description = "Redis reader endpoint host name."
  value       = module.platform.redis_reader_endpoint
}

output "redis_port" {
  description = "Redis port (6379)."
  value       = module.platform.redis_port
}

output "redis_url" {
  description = "rediss://<host>:6379, without the AUTH token."
  value       = module.platform.redis_url
}

output "redis_auth_secret_arn" {
  description = "Secrets Manager secret with the Redis AUTH token."
  value       = module.platform.redis_auth_secret_arn
}

output "bucket_names" {
  description = "The document buckets by key (documents, exports, fonts)."
  value       = module.platform.bucket_names
}

output "bucket_arns" {
  description = "The document buckets' ARNs by key."
  value       = module.platform.bucket_arns
}

output "data_tier_security_group_ids" {
  description = "The data tier's security group IDs by engine (postgres, redis)."
  value       = module.platform.data_tier_security_group_ids
}

output "data_tier_kms_key_arn" {
  description = "The data tier's KMS key: it encrypts the database, Redis, the buckets and the secrets."
  value       = module.platform.data_tier_kms_key_arn
}

output "data_tier_exposure" {
  description = "\"verified\" when only the allowed sources can reach the databases, nothing is public and encryption is on; otherwise the violations."
  value       = module.platform.data_tier_exposure
}

output "data_tier_pending_changes" {
  description = "Modifications AWS applies to the databases in their next maintenance window, by setting; empty when none."
  value       = module.platform.data_tier_pending_changes
}

output "registry_name" {
  description = "Name of the registry, the prefix of its repositories' names."
  value       = module.platform.registry_name
}

output "registry_id" {
  description = "The AWS account's registry ID (the account ID)."
  value       = module.platform.registry_id
}

output "repository_names" {
  description = "ECR repository names by key (api = ode-api, ...)."
  value       = module.platform.repository_names
}

output "repository_urls" {
  description = "ECR repository URLs by key (api, worker, viewer), for docker push and the deployments' images."
  value       = module.platform.repository_urls
}

output "repository_arns" {
  description = "ECR repository ARNs by key."
  value       = module.platform.repository_arns
}

output "registry_pull_principal_arns" {
  description = "The IAM principals allowed to pull (the node role and registry.pull_principal_arns)."
  value       = module.platform.registry_pull_principal_arns
}

output "registry_compliance" {
  description = "\"verified\" when every repository scans on push and has the configured tag mutability, lifecycle and pull policy; otherwise what differs."
  value       = module.platform.registry_compliance
}

output "kubernetes_secret_manifest" {
  description = "The ode-secrets Secret (namespace ode) with the database and Redis URLs, ready for kubectl apply -f -. It holds no password."
  value       = module.platform.kubernetes_secret_manifest
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the whole platform in USD: the sum of the network's, the cluster's, the data tier's and the registry's estimates (on-demand list prices; the provider's price table)."
  value       = module.platform.estimated_monthly_cost
}

output "estimated_monthly_cost_by_module" {
  description = "Each module's estimate in USD per month: network, eks, data_tier, registry."
  value       = module.platform.estimated_monthly_cost_by_module
}

output "cost_items_by_module" {
  description = "Each module's estimate items in USD per month, by module: network, eks, data_tier, registry."
  value       = module.platform.cost_items_by_module
}

output "cost_items" {
  description = "The estimate's items in USD per month (the seed's cost table: VPC, NAT Gateway, EKS, EC2 Nodes, RDS, ElastiCache, S3, ECR); an item two modules report is summed. Each module's own: cost_items_by_module."
  value       = module.platform.cost_items
}

output "node_groups" {
  description = "The node groups as the platform passes them to the EKS stack: the node_groups variable with each group's ode.dev/pool label and the system group's CriticalAddonsOnly taint."
  value       = module.platform.node_groups
}

output "addons" {
  description = "The EKS add-ons as the platform passes them to the EKS stack: its defaults with the addons variable over them."
  value       = module.platform.addons
}
