# How the platform wires the network, the EKS stack, the data tier and the registry,
# and its outputs.
#
# Run with `tofu init && tofu test` in modules/platform (OpenTofu 1.8 or later;
# Terraform 1.5 has no .tftest.hcl tests). The provider is mocked, so no AWS account is
# used and nothing is created. Assertions reach the child modules through their
# outputs (a test cannot read a child module's resources); each child's own mapping of
# variables onto its resource is tested in its own tests/.

mock_provider "ode" {
  # What the provider would report after an apply, so that the wiring between the
  # modules can be checked with known values.
  mock_resource "ode_network" {
    defaults = {
      vpc_id                 = "vpc-0123456789abcdef0"
      public_subnet_ids      = ["subnet-0aaa000000000000a", "subnet-0aaa000000000000b", "subnet-0aaa000000000000c"]
      private_subnet_ids     = ["subnet-0bbb000000000000a", "subnet-0bbb000000000000b", "subnet-0bbb000000000000c"]
      isolated_subnet_ids    = ["subnet-0ccc000000000000a", "subnet-0ccc000000000000b", "subnet-0ccc000000000000c"]
      nat_public_ips         = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
      estimated_monthly_cost = 109.5
      cost_items             = { "NAT Gateway" = 98.55, VPC = 10.95 }
    }
  }

  mock_resource "ode_eks_stack" {
    defaults = {
      arn                       = "arn:aws:eks:us-east-1:123456789012:cluster/ode-production-cluster"
      endpoint                  = "https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com"
      cluster_security_group_id = "sg-0eee0000000000001"
      node_role_arn             = "arn:aws:iam::123456789012:role/ode/ode-production-cluster/node"
      node_group_arns           = { system = "arn:aws:eks:us-east-1:123456789012:nodegroup/ode-production-cluster/system/0a1b2c3d", worker = "arn:aws:eks:us-east-1:123456789012:nodegroup/ode-production-cluster/worker-5f3e9d2a/4e5f6a7b" }
      service_account_role_arns = {
        "ode/ode-api"                              = "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-ode-ode-api"
        "kube-system/aws-load-balancer-controller" = "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-alb"
        "kube-system/cluster-autoscaler"           = "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-ca"
      }
      estimated_monthly_cost = 327.04
      cost_items             = { EKS = 73, "EC2 Nodes" = 254.04 }
    }
  }

  mock_resource "ode_data_tier" {
    defaults = {
      rds_endpoint           = "ode-production-postgres.c0ffee.us-east-1.rds.amazonaws.com"
      redis_endpoint         = "master.ode-production-redis.c0ffee.use1.cache.amazonaws.com"
      database_url           = "postgresql://odeadmin@ode-production-postgres.c0ffee.us-east-1.rds.amazonaws.com:5432/odedb?sslmode=require"
      redis_url              = "rediss://master.ode-production-redis.c0ffee.use1.cache.amazonaws.com:6379"
      master_secret_arn      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf"
      redis_auth_secret_arn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ode-production/redis-auth-token-AbCdEf"
      bucket_names           = { documents = "ode-production-documents", exports = "ode-production-exports", fonts = "ode-production-fonts" }
      bucket_arns            = { documents = "arn:aws:s3:::ode-production-documents", exports = "arn:aws:s3:::ode-production-exports", fonts = "arn:aws:s3:::ode-production-fonts" }
      estimated_monthly_cost = 361.03
      cost_items             = { RDS = 233.2, ElastiCache = 99.28, S3 = 28.55 }
    }
  }

  mock_resource "ode_registry" {
    defaults = {
      repository_urls        = { api = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ode-api", worker = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ode-worker", viewer = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ode-viewer" }
      estimated_monthly_cost = 10
      cost_items             = { ECR = 10 }
    }
  }
}

run "no_variables_give_the_seed_topology" {
  command = plan


  assert {
    condition     = output.cluster_name == "ode-production-cluster"
    error_message = "The cluster should be ode-production-cluster, got ${output.cluster_name}."
  }

  assert {
    condition     = module.eks.kubernetes_version != null
    error_message = "The cluster's version should be the one the provider resolves (the module leaves it null)."
  }

  assert {
    condition     = output.update_kubeconfig_command == "aws eks update-kubeconfig --name ode-production-cluster --region us-east-1"
    error_message = "Unexpected update_kubeconfig_command: ${output.update_kubeconfig_command}."
  }

  assert {
    condition     = module.data_tier.name == "ode-production" && module.data_tier.database_name == "odedb" && module.data_tier.database_username == "odeadmin"
    error_message = "The data tier should be ode-production with the seed's database odedb and user odeadmin."
  }

  assert {
    condition     = module.registry.name == "ode"
    error_message = "The repositories should be ode-api, ode-worker and ode-viewer (registry name ode), got ${module.registry.name}."
  }

  assert {
    condition = (
      module.network.subnet_tags.public["kubernetes.io/cluster/ode-production-cluster"] == "shared" &&
      module.network.subnet_tags.private["kubernetes.io/cluster/ode-production-cluster"] == "shared" &&
      module.network.subnet_tags.public["kubernetes.io/role/elb"] == "1" &&
      module.network.subnet_tags.private["kubernetes.io/role/internal-elb"] == "1"
    )
    error_message = "Public and private subnets should carry the cluster tag and their load balancer role tags: ${jsonencode(module.network.subnet_tags)}."
  }

  assert {
    condition     = module.network.subnet_tags.isolated == null
    error_message = "The isolated subnets are nothing EKS should use: no cluster tag."
  }
}

run "the_modules_are_wired_together" {
  command = plan

  assert {
    condition     = module.eks.subnet_ids == tolist(["subnet-0bbb000000000000a", "subnet-0bbb000000000000b", "subnet-0bbb000000000000c"])
    error_message = "The cluster should run on the private subnets: ${jsonencode(module.eks.subnet_ids)}."
  }

  assert {
    condition     = module.data_tier.subnet_ids == tolist(["subnet-0ccc000000000000a", "subnet-0ccc000000000000b", "subnet-0ccc000000000000c"])
    error_message = "The data tier should live in the isolated subnets: ${jsonencode(module.data_tier.subnet_ids)}."
  }

  assert {
    condition     = module.data_tier.allowed_security_group_ids == tolist(["sg-0eee0000000000001"]) && length(module.data_tier.allowed_cidr_blocks) == 0
    error_message = "Only the cluster security group should reach the data tier."
  }

  assert {
    condition     = output.vpc_id == "vpc-0123456789abcdef0"
    error_message = "vpc_id should be the network's."
  }
}

run "nodes_pull_from_the_registry" {
  command = plan

  assert {
    condition     = module.registry.pull_principal_arns == toset(["arn:aws:iam::123456789012:role/ode/ode-production-cluster/node"])
    error_message = "The node role should be allowed to pull: ${jsonencode(module.registry.pull_principal_arns)}."
  }
}

run "the_api_and_worker_may_use_the_document_buckets" {
  command = plan

  assert {
    condition     = toset(keys(module.eks.service_accounts)) == toset(["ode/ode-api", "ode/ode-worker", "kube-system/ebs-csi-controller-sa", "kube-system/aws-load-balancer-controller", "kube-system/cluster-autoscaler"])
    error_message = "The IRSA service accounts should be ode/ode-api, ode/ode-worker, the EBS CSI driver's and the two controllers': ${jsonencode(keys(module.eks.service_accounts))}."
  }

  assert {
    condition     = module.eks.service_accounts["ode/ode-api"].policy_json == module.eks.service_accounts["ode/ode-worker"].policy_json
    error_message = "The API and the worker should get the same document policy."
  }

  assert {
    condition = (
      jsondecode(module.eks.service_accounts["ode/ode-api"].policy_json).Statement[0].Resource == [
        "arn:aws:s3:::ode-production-documents",
        "arn:aws:s3:::ode-production-exports",
        "arn:aws:s3:::ode-production-fonts",
      ] &&
      contains(jsondecode(module.eks.service_accounts["ode/ode-api"].policy_json).Statement[0].Action, "s3:ListBucket")
    )
    error_message = "The policy should let the pods list the tier's buckets: ${module.eks.service_accounts["ode/ode-api"].policy_json}."
  }

  assert {
    condition = (
      jsondecode(module.eks.service_accounts["ode/ode-api"].policy_json).Statement[1].Resource == [
        "arn:aws:s3:::ode-production-documents/*",
        "arn:aws:s3:::ode-production-exports/*",
        "arn:aws:s3:::ode-production-fonts/*",
      ] &&
      jsondecode(module.eks.service_accounts["ode/ode-api"].policy_json).Statement[1].Action == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    )
    error_message = "The policy should let the pods get, put and delete objects in the tier's buckets."
  }

  assert {
    condition     = jsondecode(module.eks.service_accounts["ode/ode-api"].policy_json).Statement[2].Condition.StringEquals["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    error_message = "The tier's key should be usable only through S3 in the platform's region."
  }

  assert {
    condition = (
      jsondecode(module.eks.service_accounts["ode/ode-api"].policy_json).Statement[3].Resource == "arn:aws:secretsmanager:us-east-1:*:secret:ode-production/redis-auth-token-??????" &&
      jsondecode(module.eks.service_accounts["ode/ode-api"].policy_json).Statement[4].Condition.StringLike["secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"] == "arn:aws:rds:us-east-1:*:db:ode-production-postgres" &&
      jsondecode(module.eks.service_accounts["ode/ode-api"].policy_json).Statement[5].Condition.StringEquals["kms:ViaService"] == "secretsmanager.us-east-1.amazonaws.com"
    )
    error_message = "The pods should read the Redis token and the RDS-managed database password of this tier only: ${module.eks.service_accounts["ode/ode-api"].policy_json}."
  }

  assert {
    condition     = output.service_account_role_arns["ode/ode-api"] == "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-ode-ode-api"
    error_message = "service_account_role_arns should be the stack's."
  }
}

run "names_follow_project_and_environment" {
  command = plan

  variables {
    aws_region  = "eu-central-1"
    project     = "acme"
    environment = "staging"
    buckets     = { uploads = {} }
  }

  # What the provider reports for these names (the platform's check compares them).
  override_resource {
    target = module.data_tier.ode_data_tier.this
    values = {
      bucket_arns = { uploads = "arn:aws:s3:::acme-staging-uploads" }
    }
  }


  assert {
    condition     = output.cluster_name == "acme-staging-cluster" && module.data_tier.name == "acme-staging" && module.registry.name == "acme"
    error_message = "Every name should follow project and environment."
  }

  assert {
    condition     = output.update_kubeconfig_command == "aws eks update-kubeconfig --name acme-staging-cluster --region eu-central-1"
    error_message = "update_kubeconfig_command should name the region: ${output.update_kubeconfig_command}."
  }

  assert {
    condition     = module.network.subnet_tags.private["kubernetes.io/cluster/acme-staging-cluster"] == "shared"
    error_message = "The cluster tag should name the cluster."
  }

  assert {
    condition = (
      jsondecode(module.eks.service_accounts["ode/ode-worker"].policy_json).Statement[1].Resource == ["arn:aws:s3:::acme-staging-uploads/*"] &&
      jsondecode(module.eks.service_accounts["ode/ode-worker"].policy_json).Statement[2].Condition.StringEquals["kms:ViaService"] == "s3.eu-central-1.amazonaws.com"
    )
    error_message = "The policy should follow the tier's buckets and the region: ${module.eks.service_accounts["ode/ode-worker"].policy_json}."
  }
}

run "partition_of_the_region" {
  command = plan

  variables {
    aws_region = "cn-north-1"
  }

  override_resource {
    target = module.data_tier.ode_data_tier.this
    values = {
      bucket_arns = { documents = "arn:aws-cn:s3:::ode-production-documents", exports = "arn:aws-cn:s3:::ode-production-exports", fonts = "arn:aws-cn:s3:::ode-production-fonts" }
    }
  }


  assert {
    condition     = startswith(jsondecode(module.eks.service_accounts["ode/ode-api"].policy_json).Statement[0].Resource[0], "arn:aws-cn:s3:::")
    error_message = "Bucket ARNs in China regions are in the aws-cn partition."
  }
}

run "overrides_reach_the_modules" {
  command = plan

  variables {
    kubernetes_version = "1.34"
    node_groups = {
      general = { instance_types = ["m6i.large"], min_size = 2, max_size = 6 }
    }
    cluster_admin_arns = ["arn:aws:iam::123456789012:role/platform-admin"]
    database_name      = "documents"
    database_username  = "ode_owner"
  }

  assert {
    condition     = module.eks.kubernetes_version == "1.34"
    error_message = "kubernetes_version should reach the cluster."
  }

  assert {
    condition     = module.data_tier.database_name == "documents" && module.data_tier.database_username == "ode_owner"
    error_message = "database_name and database_username should reach the data tier."
  }
}

run "outputs_come_from_the_modules" {
  command = plan

  assert {
    condition = (
      output.public_subnet_ids == tolist(["subnet-0aaa000000000000a", "subnet-0aaa000000000000b", "subnet-0aaa000000000000c"]) &&
      output.private_subnet_ids == tolist(["subnet-0bbb000000000000a", "subnet-0bbb000000000000b", "subnet-0bbb000000000000c"]) &&
      output.isolated_subnet_ids == tolist(["subnet-0ccc000000000000a", "subnet-0ccc000000000000b", "subnet-0ccc000000000000c"]) &&
      output.nat_public_ips == tolist(["198.51.100.1", "198.51.100.2", "198.51.100.3"])
    )
    error_message = "The subnet and NAT outputs should be the network's."
  }

  assert {
    condition     = output.cluster_endpoint == "https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com"
    error_message = "cluster_endpoint should be the cluster's."
  }

  assert {
    condition = (
      output.rds_endpoint == "ode-production-postgres.c0ffee.us-east-1.rds.amazonaws.com" &&
      output.redis_endpoint == "master.ode-production-redis.c0ffee.use1.cache.amazonaws.com" &&
      output.database_url == "postgresql://odeadmin@ode-production-postgres.c0ffee.us-east-1.rds.amazonaws.com:5432/odedb?sslmode=require" &&
      output.redis_url == "rediss://master.ode-production-redis.c0ffee.use1.cache.amazonaws.com:6379"
    )
    error_message = "The endpoints and URLs should be the data tier's."
  }

  assert {
    condition = (
      output.master_secret_arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf" &&
      output.redis_auth_secret_arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:ode-production/redis-auth-token-AbCdEf"
    )
    error_message = "The secret ARNs should be the data tier's."
  }

  assert {
    condition     = output.bucket_names["documents"] == "ode-production-documents" && length(output.bucket_names) == 3
    error_message = "bucket_names should be the data tier's."
  }

  assert {
    condition     = output.repository_urls["api"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/ode-api" && length(output.repository_urls) == 3
    error_message = "repository_urls should be the registry's."
  }
}

run "the_secret_manifest_carries_the_urls" {
  command = plan

  assert {
    condition     = strcontains(output.kubernetes_secret_manifest, "namespace: ode")
    error_message = "The Secret should be in the ode namespace:\n${output.kubernetes_secret_manifest}"
  }

  assert {
    condition = (
      strcontains(output.kubernetes_secret_manifest, "postgresql://odeadmin@ode-production-postgres.c0ffee.us-east-1.rds.amazonaws.com:5432/odedb?sslmode=require") &&
      strcontains(output.kubernetes_secret_manifest, "rediss://master.ode-production-redis.c0ffee.use1.cache.amazonaws.com:6379")
    )
    error_message = "The Secret should hold the data tier's URLs:\n${output.kubernetes_secret_manifest}"
  }
}

run "the_cost_is_the_sum_of_the_modules" {
  command = plan

  assert {
    condition     = abs(output.estimated_monthly_cost - (109.5 + 327.04 + 361.03 + 10)) < 0.001
    error_message = "estimated_monthly_cost should be the sum of the four estimates, got ${output.estimated_monthly_cost}."
  }

  assert {
    condition     = toset(keys(output.cost_items)) == toset(["NAT Gateway", "VPC", "EKS", "EC2 Nodes", "RDS", "ElastiCache", "S3", "ECR"])
    error_message = "cost_items should hold every module's items: ${jsonencode(output.cost_items)}."
  }

  assert {
    condition     = output.cost_items["EC2 Nodes"] == 254.04 && output.cost_items["ECR"] == 10
    error_message = "cost_items should keep each module's figures."
  }
}

run "an_item_two_modules_report_is_summed" {
  command = plan

  override_resource {
    target = module.registry.ode_registry.this
    values = {
      estimated_monthly_cost = 11
      cost_items             = { ECR = 10, S3 = 1 }
    }
  }

  assert {
    condition     = abs(output.cost_items["S3"] - 29.55) < 0.001
    error_message = "An item two modules report should be summed, not overwritten: ${jsonencode(output.cost_items)}."
  }

  assert {
    condition     = abs(output.estimated_monthly_cost - sum(values(output.cost_items))) < 0.001
    error_message = "The total should be the sum of the items."
  }
}

run "the_controllers_get_least_privilege_roles" {
  command = plan

  assert {
    condition = (
      output.load_balancer_controller_role_arn == "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-alb" &&
      output.cluster_autoscaler_role_arn == "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-ca"
    )
    error_message = "The controllers' role outputs should be the stack's roles of their service accounts."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(module.eks.service_accounts["kube-system/aws-load-balancer-controller"].policy_json).Statement :
      s.Condition.Null["aws:ResourceTag/elbv2.k8s.aws/cluster"] == "false"
      if contains(s.Action, "elasticloadbalancing:DeleteLoadBalancer") || contains(s.Action, "ec2:DeleteSecurityGroup")
    ])
    error_message = "The load balancer controller may delete only load balancers and security groups carrying its cluster tag."
  }

  assert {
    condition = length([
      for s in jsondecode(module.eks.service_accounts["kube-system/aws-load-balancer-controller"].policy_json).Statement : s
      if contains(s.Action, "elasticloadbalancing:CreateLoadBalancer") && s.Condition.Null["aws:RequestTag/elbv2.k8s.aws/cluster"] == "false"
    ]) == 1
    error_message = "The load balancer controller may make only load balancers it tags as its cluster's."
  }

  assert {
    condition = one([
      for s in jsondecode(module.eks.service_accounts["kube-system/cluster-autoscaler"].policy_json).Statement : s
      if contains(s.Action, "autoscaling:SetDesiredCapacity")
      ]).Condition == {
      StringEquals = { "aws:ResourceTag/k8s.io/cluster-autoscaler/ode-production-cluster" = "owned" }
    }
    error_message = "The cluster autoscaler may resize only the Auto Scaling groups owned by this cluster: ${module.eks.service_accounts["kube-system/cluster-autoscaler"].policy_json}."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(module.eks.service_accounts["kube-system/cluster-autoscaler"].policy_json).Statement :
      s.Resource != "*" || s.Condition != null || alltrue([for a in s.Action : startswith(split(":", a)[1], "Describe") || startswith(split(":", a)[1], "Get")])
    ])
    error_message = "Every action of the autoscaler on all resources should be a read."
  }
}

run "the_controllers_helm_values_come_from_the_outputs" {
  command = plan

  variables {
    kubernetes_version = "1.35"
  }

  assert {
    condition = yamldecode(output.load_balancer_controller_helm_values) == {
      clusterName = "ode-production-cluster"
      region      = "us-east-1"
      vpcId       = "vpc-0123456789abcdef0"
      serviceAccount = {
        create      = true
        name        = "aws-load-balancer-controller"
        annotations = { "eks.amazonaws.com/role-arn" = "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-alb" }
      }
      replicaCount        = 2
      nodeSelector        = { "ode.dev/pool" = "system" }
      tolerations         = [{ key = "CriticalAddonsOnly", operator = "Exists", effect = "NoSchedule" }]
      podDisruptionBudget = { maxUnavailable = 1 }
    }
    error_message = "Unexpected load balancer controller values:\n${output.load_balancer_controller_helm_values}"
  }

  assert {
    condition = (
      yamldecode(output.cluster_autoscaler_helm_values).autoDiscovery.clusterName == "ode-production-cluster" &&
      yamldecode(output.cluster_autoscaler_helm_values).awsRegion == "us-east-1" &&
      yamldecode(output.cluster_autoscaler_helm_values).image.tag == "v1.35.0" &&
      yamldecode(output.cluster_autoscaler_helm_values).rbac.serviceAccount.name == "cluster-autoscaler" &&
      yamldecode(output.cluster_autoscaler_helm_values).rbac.serviceAccount.annotations["eks.amazonaws.com/role-arn"] == "arn:aws:iam::123456789012:role/ode/ode-production-cluster/irsa-ca" &&
      yamldecode(output.cluster_autoscaler_helm_values).nodeSelector == { "ode.dev/pool" = "system" }
    )
    error_message = "Unexpected cluster autoscaler values:\n${output.cluster_autoscaler_helm_values}"
  }
}

run "the_controllers_can_be_left_out" {
  command = plan

  variables {
    enable_load_balancer_controller = false
    enable_cluster_autoscaler       = false
    # Without a system group the controllers' values would not select one.
  }

  assert {
    condition     = toset(keys(module.eks.service_accounts)) == toset(["ode/ode-api", "ode/ode-worker", "kube-system/ebs-csi-controller-sa"])
    error_message = "Without the controllers no role should be made for them: ${jsonencode(keys(module.eks.service_accounts))}."
  }

  assert {
    condition = (
      output.load_balancer_controller_role_arn == null && output.cluster_autoscaler_role_arn == null &&
      output.load_balancer_controller_helm_values == null && output.cluster_autoscaler_helm_values == null
    )
    error_message = "Without the controllers their outputs should be null."
  }
}

run "callers_service_accounts_are_merged_over_the_platforms" {
  command = plan

  variables {
    service_accounts = {
      "monitoring/prometheus"          = { policy_arns = ["arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess"] }
      "kube-system/cluster-autoscaler" = { policy_arns = ["arn:aws:iam::123456789012:policy/own-autoscaler-policy"] }
    }
  }

  assert {
    condition     = length(module.eks.service_accounts) == 6 && module.eks.service_accounts["monitoring/prometheus"].policy_arns == tolist(["arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess"])
    error_message = "A new service account should be added to the platform's: ${jsonencode(keys(module.eks.service_accounts))}."
  }

  assert {
    condition = (
      module.eks.service_accounts["kube-system/cluster-autoscaler"].policy_json == null &&
      module.eks.service_accounts["kube-system/cluster-autoscaler"].policy_arns == tolist(["arn:aws:iam::123456789012:policy/own-autoscaler-policy"]) &&
      module.eks.service_accounts["kube-system/aws-load-balancer-controller"].policy_json != null
    )
    error_message = "The caller's entry for a key of the platform should replace that role's policies, and only that one."
  }
}

run "node_groups_are_labelled_by_pool_and_the_system_group_tainted" {
  command = plan

  assert {
    condition = (
      output.node_groups["system"].labels == tomap({ "ode.dev/pool" = "system" }) &&
      output.node_groups["system"].taints == tolist([{ key = "CriticalAddonsOnly", value = "true", effect = "NO_SCHEDULE" }]) &&
      output.node_groups["worker"].labels == tomap({ "ode.dev/pool" = "worker" }) &&
      output.node_groups["worker"].taints == null &&
      output.node_groups["worker"].scaling_owner == "autoscaler"
    )
    error_message = "The seed's groups should be labelled ode.dev/pool = system / worker, the system group tainted CriticalAddonsOnly: ${jsonencode(output.node_groups)}."
  }

  assert {
    condition     = output.node_group_names == tomap({ system = "system", worker = "worker-5f3e9d2a" })
    error_message = "node_group_names should be the names in the node groups' ARNs: ${jsonencode(output.node_group_names)}."
  }
}

run "node_group_settings_pass_through" {
  command = plan

  variables {
    node_groups = {
      system = { instance_types = ["t3.medium"], min_size = 2, max_size = 2, taints = [] }
      worker = {
        instance_types = ["m7g.large", "m6g.large"]
        capacity_type  = "SPOT"
        ami_type       = "AL2023_ARM_64_STANDARD"
        disk_size      = 60
        min_size       = 1
        max_size       = 20
        scaling_owner  = "autoscaler"
        labels         = { team = "documents" }
        taints         = [{ key = "spot", value = "true", effect = "PREFER_NO_SCHEDULE" }]
      }
      batch = { min_size = 0, max_size = 5, labels = { "ode.dev/pool" = "batch-jobs" } }
    }
  }

  assert {
    condition = (
      output.node_groups["worker"].capacity_type == "SPOT" &&
      output.node_groups["worker"].ami_type == "AL2023_ARM_64_STANDARD" &&
      output.node_groups["worker"].disk_size == 60 &&
      output.node_groups["worker"].instance_types == tolist(["m7g.large", "m6g.large"]) &&
      output.node_groups["worker"].labels == tomap({ "ode.dev/pool" = "worker", team = "documents" }) &&
      output.node_groups["worker"].taints == tolist([{ key = "spot", value = "true", effect = "PREFER_NO_SCHEDULE" }])
    )
    error_message = "The worker group's settings should pass through, with its pool label added: ${jsonencode(output.node_groups["worker"])}."
  }

  assert {
    condition     = length(output.node_groups["system"].taints) == 0 && output.node_groups["batch"].labels == tomap({ "ode.dev/pool" = "batch-jobs" })
    error_message = "taints = [] should leave the system group untainted, and a group's own pool label should win: ${jsonencode(output.node_groups)}."
  }
}

run "the_default_addons" {
  command = plan

  assert {
    condition     = toset(keys(output.addons)) == toset(["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "metrics-server"])
    error_message = "The platform's add-ons should be vpc-cni, kube-proxy, coredns, aws-ebs-csi-driver and metrics-server: ${jsonencode(keys(output.addons))}."
  }

  assert {
    condition     = contains(jsondecode(output.addons["coredns"].configuration_values).tolerations, { key = "CriticalAddonsOnly", operator = "Exists" })
    error_message = "coredns should tolerate the system group's taint: ${output.addons["coredns"].configuration_values}."
  }

  assert {
    condition     = output.addons["metrics-server"] == { version = null, configuration_values = null, service_account = null }
    error_message = "metrics-server should take EKS's default version and configuration."
  }
}

run "callers_addons_are_merged_attribute_by_attribute" {
  command = plan

  variables {
    addons = {
      coredns                  = { version = "v1.12.3-eksbuild.1" }
      "metrics-server"         = null
      "eks-pod-identity-agent" = {}
    }
  }

  assert {
    condition     = toset(keys(output.addons)) == toset(["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "eks-pod-identity-agent"])
    error_message = "A null add-on should be left out and a new one added: ${jsonencode(keys(output.addons))}."
  }

  assert {
    condition     = output.addons["coredns"].version == "v1.12.3-eksbuild.1" && strcontains(output.addons["coredns"].configuration_values, "CriticalAddonsOnly")
    error_message = "A version given for coredns should keep the platform's configuration values: ${jsonencode(output.addons["coredns"])}."
  }
}

run "eks_settings_reach_the_cluster" {
  command = plan

  variables {
    kubernetes_version  = "1.34"
    public_access_cidrs = ["203.0.113.0/24"]
    eks = {
      enabled_log_types  = ["api", "audit"]
      log_retention_days = 30
    }
  }

  assert {
    condition     = module.eks.kubernetes_version == "1.34"
    error_message = "kubernetes_version should reach the cluster."
  }
}

run "create_false_plans_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      output.vpc_id == null && output.cluster_name == null && output.rds_endpoint == null && length(output.repository_urls) == 0 &&
      length(output.service_account_role_arns) == 0 && output.load_balancer_controller_role_arn == null &&
      output.load_balancer_controller_helm_values == null && output.cluster_autoscaler_helm_values == null &&
      output.kubernetes_secret_manifest == null && output.estimated_monthly_cost == null && length(output.cost_items) == 0
    )
    error_message = "With create = false every output should be null or empty."
  }
}
