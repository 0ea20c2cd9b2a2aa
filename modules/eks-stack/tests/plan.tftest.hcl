# How the module's variables become ode_eks_stack arguments, and its outputs.
#
# Run with `tofu init && tofu test` in modules/eks-stack (OpenTofu 1.8 or later;
# Terraform 1.5 has no .tftest.hcl tests). The provider is mocked, so no AWS account is
# used and nothing is created: these runs check the module's own HCL. The provider's
# checks (offered versions, subnet zones, ...) and real applies are covered by tests/e2e.

mock_provider "ode" {
  # A mock makes up values for computed attributes; these stand for what the provider
  # reports, so that the outputs can be checked against known values.
  mock_resource "ode_eks_stack" {
    defaults = {
      arn                        = "arn:aws:eks:us-east-1:123456789012:cluster/ode-production-cluster"
      endpoint                   = "https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com"
      certificate_authority_data = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"
      oidc_issuer_url            = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF"
      oidc_provider_arn          = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF"
      cluster_security_group_id  = "sg-0123456789abcdef0"
      secrets_kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
      iam_policies               = "verified"
      platform_version           = "eks.7"
      kubeconfig                 = "apiVersion: v1\nkind: Config\n"
      estimated_monthly_cost     = 327.04
      cost_items                 = { EKS = 73, "EC2 Nodes" = 254.04 }
    }
  }
}

variables {
  subnet_ids = ["subnet-0000000a", "subnet-0000000b", "subnet-0000000c"]
}

run "defaults_are_the_seed_cluster" {
  command = plan

  # A setting the module leaves null is the provider's to decide (computed): this
  # stands for its decision, so the run can tell that the module left it null.
  override_resource {
    target = ode_eks_stack.this
    values = { public_access_cidrs = ["provider-default"], kubernetes_version = "provider-default" }
  }

  assert {
    condition     = ode_eks_stack.this[0].name == "ode-production-cluster"
    error_message = "The default name should be <project>-<environment>-cluster, got ${ode_eks_stack.this[0].name}."
  }

  assert {
    condition     = ode_eks_stack.this[0].kubernetes_version == "provider-default"
    error_message = "The module should leave kubernetes_version to the provider (the newest version in standard support), got ${ode_eks_stack.this[0].kubernetes_version}."
  }

  assert {
    condition     = ode_eks_stack.this[0].subnet_ids == tolist(["subnet-0000000a", "subnet-0000000b", "subnet-0000000c"])
    error_message = "subnet_ids should pass through in order."
  }

  assert {
    condition     = ode_eks_stack.this[0].enabled_log_types == tolist(["api", "controllerManager", "scheduler"])
    error_message = "The seed's control plane logs should be on: ${jsonencode(ode_eks_stack.this[0].enabled_log_types)}."
  }

  assert {
    condition     = ode_eks_stack.this[0].log_retention_days == 90
    error_message = "Control plane logs should be kept 90 days by default."
  }

  assert {
    condition = (
      ode_eks_stack.this[0].endpoint_private_access == true &&
      ode_eks_stack.this[0].endpoint_public_access == true &&
      ode_eks_stack.this[0].public_access_cidrs == tolist(["provider-default"]) &&
      ode_eks_stack.this[0].authentication_mode == "API_AND_CONFIG_MAP"
    )
    error_message = "Unexpected default endpoint access or authentication mode."
  }

  assert {
    condition     = ode_eks_stack.this[0].kms_key_arn == null
    error_message = "Without kms_key_arn the stack should make its own key (null argument)."
  }

  assert {
    condition     = keys(ode_eks_stack.this[0].node_groups) == tolist(["system", "worker"])
    error_message = "The seed's node groups are system and worker, got ${jsonencode(keys(ode_eks_stack.this[0].node_groups))}."
  }

  assert {
    condition = (
      ode_eks_stack.this[0].node_groups["system"].instance_types == tolist(["t3.medium"]) &&
      ode_eks_stack.this[0].node_groups["system"].min_size == 2 &&
      ode_eks_stack.this[0].node_groups["system"].max_size == 4 &&
      ode_eks_stack.this[0].node_groups["system"].desired_size == 2 &&
      ode_eks_stack.this[0].node_groups["system"].labels == tomap({ role = "system" }) &&
      ode_eks_stack.this[0].node_groups["system"].scaling_owner == null
    )
    error_message = "system should be 2 x t3.medium (2 to 4) labelled role=system: ${jsonencode(ode_eks_stack.this[0].node_groups["system"])}."
  }

  assert {
    condition = (
      ode_eks_stack.this[0].node_groups["worker"].instance_types == tolist(["t3.large"]) &&
      ode_eks_stack.this[0].node_groups["worker"].min_size == 3 &&
      ode_eks_stack.this[0].node_groups["worker"].max_size == 10 &&
      ode_eks_stack.this[0].node_groups["worker"].desired_size == 3 &&
      ode_eks_stack.this[0].node_groups["worker"].scaling_owner == "autoscaler" &&
      ode_eks_stack.this[0].node_groups["worker"].labels == tomap({ role = "worker" })
    )
    error_message = "worker should be 3 x t3.large (3 to 10) sized by the autoscaler: ${jsonencode(ode_eks_stack.this[0].node_groups["worker"])}."
  }

  assert {
    condition = (
      ode_eks_stack.this[0].node_groups["worker"].capacity_type == null &&
      ode_eks_stack.this[0].node_groups["worker"].disk_size == null &&
      ode_eks_stack.this[0].node_groups["worker"].ami_type == null &&
      ode_eks_stack.this[0].node_groups["worker"].taints == null
    )
    error_message = "Attributes the seed does not set should be left to the provider (null)."
  }

  assert {
    condition     = toset(keys(ode_eks_stack.this[0].addons)) == toset(["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"])
    error_message = "The seed's add-ons should be installed: ${jsonencode(keys(ode_eks_stack.this[0].addons))}."
  }

  assert {
    condition     = alltrue([for a in values(ode_eks_stack.this[0].addons) : a.version == null && a.configuration_values == null])
    error_message = "Add-ons should follow the default versions EKS names (null version)."
  }

  assert {
    condition     = length(ode_eks_stack.this[0].access_entries) == 0 && keys(ode_eks_stack.this[0].service_accounts) == tolist(["kube-system/ebs-csi-controller-sa"])
    error_message = "No access entries by default, and only the EBS CSI driver's service account."
  }

  assert {
    condition     = ode_eks_stack.this[0].timeouts == null
    error_message = "Without timeouts the provider's should apply (no timeouts block)."
  }

  assert {
    condition = ode_eks_stack.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "Terraform"
    })
    error_message = "Unexpected default tags: ${jsonencode(ode_eks_stack.this[0].tags)}."
  }
}

run "name_from_project_and_environment" {
  command = plan

  variables {
    project     = "shop"
    environment = "staging"
  }

  assert {
    condition     = ode_eks_stack.this[0].name == "shop-staging-cluster"
    error_message = "Expected shop-staging-cluster, got ${ode_eks_stack.this[0].name}."
  }

  assert {
    condition     = ode_eks_stack.this[0].tags["Project"] == "shop" && ode_eks_stack.this[0].tags["Environment"] == "staging"
    error_message = "Project and Environment tags should follow the variables."
  }
}

run "explicit_name_wins" {
  command = plan

  variables {
    name = "Shop_EKS-1"
  }

  assert {
    condition     = ode_eks_stack.this[0].name == "Shop_EKS-1"
    error_message = "An explicit name should be used as it is, got ${ode_eks_stack.this[0].name}."
  }

  assert {
    condition     = output.update_kubeconfig_command == "aws eks update-kubeconfig --name Shop_EKS-1 --region us-east-1"
    error_message = "update_kubeconfig_command should name the cluster: ${output.update_kubeconfig_command}."
  }
}

run "cluster_settings_pass_through" {
  command = plan

  variables {
    kubernetes_version      = "1.34"
    endpoint_private_access = true
    endpoint_public_access  = false
    public_access_cidrs     = ["203.0.113.0/24"]
    authentication_mode     = "API"
    enabled_log_types       = ["api", "audit", "authenticator"]
    log_retention_days      = 365
    kms_key_arn             = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    cluster_role_arn        = "arn:aws:iam::123456789012:role/eks-cluster"
    node_role_arn           = "arn:aws:iam::123456789012:role/eks-node"
    tags = {
      Team      = "platform"
      ManagedBy = "OpenTofu"
    }
  }

  assert {
    condition     = ode_eks_stack.this[0].kubernetes_version == "1.34"
    error_message = "kubernetes_version should pass through."
  }

  assert {
    condition     = ode_eks_stack.this[0].endpoint_public_access == false && ode_eks_stack.this[0].public_access_cidrs == tolist(["203.0.113.0/24"])
    error_message = "Endpoint access settings should pass through."
  }

  assert {
    condition     = ode_eks_stack.this[0].authentication_mode == "API"
    error_message = "authentication_mode should pass through."
  }

  assert {
    condition     = ode_eks_stack.this[0].enabled_log_types == tolist(["api", "audit", "authenticator"]) && ode_eks_stack.this[0].log_retention_days == 365
    error_message = "Log settings should pass through."
  }

  assert {
    condition = (
      ode_eks_stack.this[0].kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789" &&
      ode_eks_stack.this[0].cluster_role_arn == "arn:aws:iam::123456789012:role/eks-cluster" &&
      ode_eks_stack.this[0].node_role_arn == "arn:aws:iam::123456789012:role/eks-node"
    )
    error_message = "Supplied key and roles should pass through."
  }

  assert {
    condition = ode_eks_stack.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "OpenTofu"
      Team        = "platform"
    })
    error_message = "The tags variable should be merged over (and win against) the module's tags: ${jsonencode(ode_eks_stack.this[0].tags)}."
  }
}

run "node_groups_replace_the_seed_groups" {
  command = plan

  variables {
    node_groups = {
      general = {
        min_size = 1
        max_size = 3
      }
      spot = {
        instance_types     = ["m5.large", "m5a.large"]
        capacity_type      = "SPOT"
        min_size           = 0
        max_size           = 20
        desired_size       = 2
        disk_size          = 50
        ami_type           = "BOTTLEROCKET_x86_64"
        labels             = { "node.kubernetes.io/lifecycle" = "spot" }
        taints             = [{ key = "spot", value = "true", effect = "NO_SCHEDULE" }, { key = "batch", effect = "PREFER_NO_SCHEDULE" }]
        max_unavailable    = 2
        scaling_owner      = "autoscaler"
        kubernetes_version = "1.32"
      }
    }
  }

  assert {
    condition     = keys(ode_eks_stack.this[0].node_groups) == tolist(["general", "spot"])
    error_message = "node_groups should replace the seed's groups: ${jsonencode(keys(ode_eks_stack.this[0].node_groups))}."
  }

  assert {
    condition = (
      ode_eks_stack.this[0].node_groups["general"].min_size == 1 &&
      ode_eks_stack.this[0].node_groups["general"].max_size == 3 &&
      ode_eks_stack.this[0].node_groups["general"].instance_types == null &&
      ode_eks_stack.this[0].node_groups["general"].desired_size == null
    )
    error_message = "A group with only sizes should leave the rest to the provider: ${jsonencode(ode_eks_stack.this[0].node_groups["general"])}."
  }

  assert {
    condition = ode_eks_stack.this[0].node_groups["spot"] == {
      instance_types     = tolist(["m5.large", "m5a.large"])
      capacity_type      = "SPOT"
      min_size           = 0
      max_size           = 20
      desired_size       = 2
      disk_size          = 50
      ami_type           = "BOTTLEROCKET_x86_64"
      labels             = tomap({ "node.kubernetes.io/lifecycle" = "spot" })
      taints             = tolist([{ key = "spot", value = "true", effect = "NO_SCHEDULE" }, { key = "batch", value = null, effect = "PREFER_NO_SCHEDULE" }])
      max_unavailable    = 2
      scaling_owner      = "autoscaler"
      kubernetes_version = "1.32"
    }
    error_message = "Every node group attribute should pass through: ${jsonencode(ode_eks_stack.this[0].node_groups["spot"])}."
  }
}

run "addons_access_entries_and_service_accounts" {
  command = plan

  variables {
    addons = {
      "vpc-cni" = {
        version              = "v1.18.1-eksbuild.1"
        configuration_values = "{\"env\":{\"ENABLE_PREFIX_DELEGATION\":\"true\"}}"
      }
      coredns          = {}
      "metrics-server" = {}
    }
    access_entries = {
      "arn:aws:iam::123456789012:role/platform-admin" = {}
      "arn:aws:iam::123456789012:role/ode-developers" = {
        policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
        namespaces = ["ode"]
      }
    }
    service_accounts = {
      "ode/ode-api" = {
        policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"
      }
      "kube-system/cluster-autoscaler" = {
        policy_arns = ["arn:aws:iam::123456789012:policy/cluster-autoscaler"]
      }
    }
  }

  assert {
    condition     = toset(keys(ode_eks_stack.this[0].addons)) == toset(["vpc-cni", "coredns", "metrics-server"])
    error_message = "addons should replace the default set, any add-on name passing through."
  }

  assert {
    condition     = ode_eks_stack.this[0].addons["vpc-cni"].version == "v1.18.1-eksbuild.1" && jsondecode(ode_eks_stack.this[0].addons["vpc-cni"].configuration_values).env.ENABLE_PREFIX_DELEGATION == "true"
    error_message = "Add-on version and configuration should pass through."
  }

  assert {
    condition = (
      ode_eks_stack.this[0].access_entries["arn:aws:iam::123456789012:role/platform-admin"].policy_arn == null &&
      ode_eks_stack.this[0].access_entries["arn:aws:iam::123456789012:role/ode-developers"].policy_arn == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy" &&
      ode_eks_stack.this[0].access_entries["arn:aws:iam::123456789012:role/ode-developers"].namespaces == tolist(["ode"])
    )
    error_message = "Access entries should pass through: ${jsonencode(ode_eks_stack.this[0].access_entries)}."
  }

  assert {
    condition = (
      jsondecode(ode_eks_stack.this[0].service_accounts["ode/ode-api"].policy_json).Statement[0].Action == "s3:GetObject" &&
      ode_eks_stack.this[0].service_accounts["ode/ode-api"].policy_arns == null &&
      ode_eks_stack.this[0].service_accounts["kube-system/cluster-autoscaler"].policy_arns == tolist(["arn:aws:iam::123456789012:policy/cluster-autoscaler"])
    )
    error_message = "Service accounts should pass through: ${jsonencode(ode_eks_stack.this[0].service_accounts)}."
  }

  assert {
    condition     = output.service_accounts["ode/ode-api"].policy_json == ode_eks_stack.this[0].service_accounts["ode/ode-api"].policy_json
    error_message = "The service_accounts output should be the resource's service accounts."
  }
}

run "timeouts_pass_through" {
  command = plan

  variables {
    timeouts = {
      create = "90m"
      update = "2h"
    }
  }

  assert {
    condition     = ode_eks_stack.this[0].timeouts.create == "90m" && ode_eks_stack.this[0].timeouts.update == "2h" && ode_eks_stack.this[0].timeouts.delete == null
    error_message = "timeouts should pass through, unset ones null: ${jsonencode(ode_eks_stack.this[0].timeouts)}."
  }
}

run "outputs_come_from_the_resource" {
  command = plan

  variables {
    kubernetes_version = "1.35"
  }

  assert {
    condition     = output.cluster_name == "ode-production-cluster"
    error_message = "cluster_name should be the resource's."
  }

  assert {
    condition     = output.cluster_arn == "arn:aws:eks:us-east-1:123456789012:cluster/ode-production-cluster"
    error_message = "cluster_arn should be the resource's."
  }

  assert {
    condition     = output.endpoint == "https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com" && output.certificate_authority_data == "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"
    error_message = "endpoint and certificate_authority_data should be the resource's."
  }

  assert {
    condition = (
      output.oidc_issuer_url == "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF" &&
      output.oidc_provider_arn == "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF"
    )
    error_message = "The OIDC outputs should be the resource's."
  }

  assert {
    condition     = output.cluster_security_group_id == "sg-0123456789abcdef0"
    error_message = "cluster_security_group_id should be the resource's."
  }

  assert {
    condition     = output.secrets_kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    error_message = "secrets_kms_key_arn should be the resource's."
  }

  assert {
    condition     = output.kubeconfig == "apiVersion: v1\nkind: Config\n" && output.iam_policies == "verified" && output.platform_version == "eks.7"
    error_message = "kubeconfig, iam_policies and platform_version should be the resource's."
  }

  assert {
    condition     = output.kubernetes_version == "1.35" && output.subnet_ids == tolist(["subnet-0000000a", "subnet-0000000b", "subnet-0000000c"])
    error_message = "kubernetes_version and subnet_ids should be the resource's."
  }

  assert {
    condition     = output.update_kubeconfig_command == "aws eks update-kubeconfig --name ode-production-cluster --region us-east-1"
    error_message = "Unexpected update_kubeconfig_command: ${output.update_kubeconfig_command}."
  }

  assert {
    condition     = output.estimated_monthly_cost == 327.04
    error_message = "estimated_monthly_cost should be the resource's."
  }

  assert {
    condition     = output.cost_items == tomap({ EKS = 73, "EC2 Nodes" = 254.04 })
    error_message = "cost_items should be the resource's: ${jsonencode(output.cost_items)}."
  }
}

run "roles_come_from_the_resource" {
  command = plan

  # The roles the stack makes when none is given (computed arguments; a mock default
  # cannot hold them, as a configuration that sets them may not be overridden).
  override_resource {
    target = ode_eks_stack.this
    values = {
      cluster_role_arn = "arn:aws:iam::123456789012:role/ode/ode-production-cluster/cluster"
      node_role_arn    = "arn:aws:iam::123456789012:role/ode/ode-production-cluster/node"
    }
  }

  assert {
    condition = (
      output.node_role_arn == "arn:aws:iam::123456789012:role/ode/ode-production-cluster/node" &&
      output.cluster_role_arn == "arn:aws:iam::123456789012:role/ode/ode-production-cluster/cluster"
    )
    error_message = "node_role_arn and cluster_role_arn should be the resource's."
  }
}

run "computed_maps_come_from_the_resource" {
  command = plan

  override_resource {
    target = ode_eks_stack.this
    values = {
      node_group_arns           = { system = "arn:aws:eks:us-east-1:123456789012:nodegroup/ode-production-cluster/system/1", worker = "arn:aws:eks:us-east-1:123456789012:nodegroup/ode-production-cluster/worker/2" }
      node_group_status         = { system = "ACTIVE", worker = "ACTIVE" }
      addon_versions            = { coredns = "v1.11.1-eksbuild.4" }
      service_account_role_arns = { "ode/ode-api" = "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-ode-ode-api" }
    }
  }

  assert {
    condition     = output.node_group_arns["worker"] == "arn:aws:eks:us-east-1:123456789012:nodegroup/ode-production-cluster/worker/2" && output.node_group_status["system"] == "ACTIVE"
    error_message = "node_group_arns and node_group_status should be the resource's."
  }

  assert {
    condition     = output.addon_versions == tomap({ coredns = "v1.11.1-eksbuild.4" })
    error_message = "addon_versions should be the resource's."
  }

  assert {
    condition     = output.service_account_role_arns["ode/ode-api"] == "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-ode-ode-api"
    error_message = "service_account_role_arns should be the resource's."
  }
}

run "region_in_the_kubeconfig_command" {
  command = plan

  variables {
    aws_region = "eu-central-1"
  }

  assert {
    condition     = output.update_kubeconfig_command == "aws eks update-kubeconfig --name ode-production-cluster --region eu-central-1"
    error_message = "update_kubeconfig_command should name aws_region: ${output.update_kubeconfig_command}."
  }
}

run "ebs_csi_driver_gets_its_role" {
  command = plan

  assert {
    condition     = ode_eks_stack.this[0].addons["aws-ebs-csi-driver"].service_account == "kube-system/ebs-csi-controller-sa"
    error_message = "The EBS CSI driver should assume the role of kube-system/ebs-csi-controller-sa."
  }

  assert {
    condition     = ode_eks_stack.this[0].service_accounts["kube-system/ebs-csi-controller-sa"].policy_arns == tolist(["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"])
    error_message = "The EBS CSI driver's role should carry AmazonEBSCSIDriverPolicy."
  }

  assert {
    condition     = ode_eks_stack.this[0].addons["coredns"].service_account == null
    error_message = "Other add-ons should assume no role unless told."
  }
}

run "ebs_csi_driver_role_turned_off" {
  command = plan

  variables {
    ebs_csi_driver_role = false
  }

  assert {
    condition     = ode_eks_stack.this[0].addons["aws-ebs-csi-driver"].service_account == null && !contains(keys(ode_eks_stack.this[0].service_accounts), "kube-system/ebs-csi-controller-sa")
    error_message = "With ebs_csi_driver_role = false the module should add no role."
  }
}

run "ebs_csi_driver_with_the_callers_role" {
  command = plan

  variables {
    addons = {
      "aws-ebs-csi-driver" = { service_account = "kube-system/ebs-csi-custom" }
    }
    service_accounts = {
      "kube-system/ebs-csi-custom" = { policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
    }
  }

  assert {
    condition     = ode_eks_stack.this[0].addons["aws-ebs-csi-driver"].service_account == "kube-system/ebs-csi-custom" && keys(ode_eks_stack.this[0].service_accounts) == tolist(["kube-system/ebs-csi-custom"])
    error_message = "A service account the caller names for the driver should be used as is, with no second role."
  }
}

run "create_false_plans_nothing" {
  command = plan

  # What a disabled network module hands on: no subnets.
  variables {
    create     = false
    subnet_ids = []
  }

  assert {
    condition     = length(ode_eks_stack.this) == 0
    error_message = "create = false should plan no stack."
  }

  assert {
    condition = alltrue([for v in [output.cluster_name, output.cluster_arn, output.kubernetes_version, output.platform_version,
      output.endpoint, output.certificate_authority_data, output.oidc_provider_arn, output.oidc_issuer_url,
      output.cluster_security_group_id, output.cluster_role_arn, output.node_role_arn, output.secrets_kms_key_arn,
    output.iam_policies, output.kubeconfig, output.update_kubeconfig_command, output.estimated_monthly_cost] : v == null])
    error_message = "Without a stack the single-value outputs should be null."
  }

  assert {
    condition = alltrue([for v in [output.subnet_ids, output.node_group_arns, output.node_group_status, output.addon_versions,
    output.service_accounts, output.service_account_role_arns, output.cost_items] : length(v) == 0])
    error_message = "Without a stack the map and list outputs should be empty."
  }
}
