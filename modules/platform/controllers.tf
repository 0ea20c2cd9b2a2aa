# The two controllers the seed's workloads need besides the add-ons: the AWS Load
# Balancer Controller (the Ingress's ALB) and the cluster autoscaler (the worker
# group's size). Each gets an IAM role through IRSA (main.tf merges them into the
# service accounts of module.eks), trusted by exactly its service account, and Helm
# values rendered from the platform's outputs (templates/*.values.yaml.tftpl).

locals {
  load_balancer_controller_account = "kube-system/aws-load-balancer-controller"
  cluster_autoscaler_account       = "kube-system/cluster-autoscaler"

  # Tag keys: the load balancer controller marks what it makes with elbv2.k8s.aws/cluster;
  # EKS tags each managed node group's Auto Scaling group k8s.io/cluster-autoscaler/<cluster> = owned.
  elb_cluster_tag         = "elbv2.k8s.aws/cluster"
  autoscaler_owner_tag    = "k8s.io/cluster-autoscaler/${local.cluster_name}"
  elb_arn                 = "${local.arn_prefix}:elasticloadbalancing:*:*"
  elb_created_objects     = ["${local.elb_arn}:targetgroup/*/*", "${local.elb_arn}:loadbalancer/net/*/*", "${local.elb_arn}:loadbalancer/app/*/*"]
  elb_listeners_and_rules = ["${local.elb_arn}:listener/net/*/*/*", "${local.elb_arn}:listener/app/*/*/*", "${local.elb_arn}:listener-rule/net/*/*/*", "${local.elb_arn}:listener-rule/app/*/*/*"]
  security_groups_arn     = "${local.arn_prefix}:ec2:*:*:security-group/*"

  # The load balancer controller's permissions as AWS lists them for it (its install
  # guide's IAM policy), grouped by what they are for. Whatever changes or deletes an
  # existing object asks for the controller's tag on it, so the role cannot touch load
  # balancers or security groups made by anything else.
  load_balancer_controller_policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "LetElasticLoadBalancingMakeItsServiceRole"
        Effect   = "Allow"
        Action   = ["iam:CreateServiceLinkedRole"]
        Resource = "*"
        Condition = {
          StringEquals = { "iam:AWSServiceName" = "elasticloadbalancing.amazonaws.com" }
        }
      },
      {
        Sid    = "ReadTheNetworkAndTheLoadBalancers"
        Effect = "Allow"
        Action = [
          "ec2:DescribeAccountAttributes",
          "ec2:DescribeAddresses",
          "ec2:DescribeAvailabilityZones",
          "ec2:DescribeInternetGateways",
          "ec2:DescribeVpcs",
          "ec2:DescribeVpcPeeringConnections",
          "ec2:DescribeSubnets",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeInstances",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeTags",
          "ec2:GetCoipPoolUsage",
          "ec2:DescribeCoipPools",
          "ec2:GetSecurityGroupsForVpc",
          "elasticloadbalancing:DescribeLoadBalancers",
          "elasticloadbalancing:DescribeLoadBalancerAttributes",
          "elasticloadbalancing:DescribeListeners",
          "elasticloadbalancing:DescribeListenerCertificates",
          "elasticloadbalancing:DescribeListenerAttributes",
          "elasticloadbalancing:DescribeSSLPolicies",
          "elasticloadbalancing:DescribeRules",
          "elasticloadbalancing:DescribeTargetGroups",
          "elasticloadbalancing:DescribeTargetGroupAttributes",
          "elasticloadbalancing:DescribeTargetHealth",
          "elasticloadbalancing:DescribeTags",
          "elasticloadbalancing:DescribeTrustStores",
          "elasticloadbalancing:DescribeCapacityReservation",
        ]
        Resource = "*"
      },
      {
        Sid    = "ReadCertificatesAndWebProtection"
        Effect = "Allow"
        Action = [
          "cognito-idp:DescribeUserPoolClient",
          "acm:ListCertificates",
          "acm:DescribeCertificate",
          "iam:ListServerCertificates",
          "iam:GetServerCertificate",
          "waf-regional:GetWebACL",
          "waf-regional:GetWebACLForResource",
          "waf-regional:AssociateWebACL",
          "waf-regional:DisassociateWebACL",
          "wafv2:GetWebACL",
          "wafv2:GetWebACLForResource",
          "wafv2:AssociateWebACL",
          "wafv2:DisassociateWebACL",
          "shield:GetSubscriptionState",
          "shield:DescribeProtection",
          "shield:CreateProtection",
          "shield:DeleteProtection",
        ]
        Resource = "*"
      },
      {
        Sid      = "OpenNodePortsToTheLoadBalancers"
        Effect   = "Allow"
        Action   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]
        Resource = "*"
      },
      {
        Sid      = "MakeSecurityGroups"
        Effect   = "Allow"
        Action   = ["ec2:CreateSecurityGroup"]
        Resource = "*"
      },
      {
        Sid      = "TagSecurityGroupsAsTheyAreMade"
        Effect   = "Allow"
        Action   = ["ec2:CreateTags"]
        Resource = local.security_groups_arn
        Condition = {
          StringEquals = { "ec2:CreateAction" = "CreateSecurityGroup" }
          Null         = { "aws:RequestTag/${local.elb_cluster_tag}" = "false" }
        }
      },
      {
        Sid      = "RetagOwnSecurityGroups"
        Effect   = "Allow"
        Action   = ["ec2:CreateTags", "ec2:DeleteTags"]
        Resource = local.security_groups_arn
        Condition = {
          Null = {
            "aws:RequestTag/${local.elb_cluster_tag}"  = "true"
            "aws:ResourceTag/${local.elb_cluster_tag}" = "false"
          }
        }
      },
      {
        Sid      = "ChangeOwnSecurityGroups"
        Effect   = "Allow"
        Action   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"]
        Resource = "*"
        Condition = {
          Null = { "aws:ResourceTag/${local.elb_cluster_tag}" = "false" }
        }
      },
      {
        Sid      = "MakeTaggedLoadBalancersAndTargetGroups"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]
        Resource = "*"
        Condition = {
          Null = { "aws:RequestTag/${local.elb_cluster_tag}" = "false" }
        }
      },
      {
        Sid      = "ManageListenersAndRules"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"]
        Resource = "*"
      },
      {
        Sid      = "RetagOwnLoadBalancersAndTargetGroups"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
        Resource = local.elb_created_objects
        Condition = {
          Null = {
            "aws:RequestTag/${local.elb_cluster_tag}"  = "true"
            "aws:ResourceTag/${local.elb_cluster_tag}" = "false"
          }
        }
      },
      {
        Sid      = "TagListenersAndRules"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
        Resource = local.elb_listeners_and_rules
      },
      {
        Sid    = "ChangeOwnLoadBalancersAndTargetGroups"
        Effect = "Allow"
        Action = [
          "elasticloadbalancing:ModifyLoadBalancerAttributes",
          "elasticloadbalancing:SetIpAddressType",
          "elasticloadbalancing:SetSecurityGroups",
          "elasticloadbalancing:SetSubnets",
          "elasticloadbalancing:DeleteLoadBalancer",
          "elasticloadbalancing:ModifyTargetGroup",
          "elasticloadbalancing:ModifyTargetGroupAttributes",
          "elasticloadbalancing:DeleteTargetGroup",
          "elasticloadbalancing:ModifyListenerAttributes",
          "elasticloadbalancing:ModifyCapacityReservation",
        ]
        Resource = "*"
        Condition = {
          Null = { "aws:ResourceTag/${local.elb_cluster_tag}" = "false" }
        }
      },
      {
        Sid      = "TagLoadBalancersAndTargetGroupsAsTheyAreMade"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:AddTags"]
        Resource = local.elb_created_objects
        Condition = {
          StringEquals = { "elasticloadbalancing:CreateAction" = ["CreateTargetGroup", "CreateLoadBalancer"] }
          Null         = { "aws:RequestTag/${local.elb_cluster_tag}" = "false" }
        }
      },
      {
        Sid      = "RegisterPodsAndNodesAsTargets"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]
        Resource = "${local.elb_arn}:targetgroup/*/*"
      },
      {
        Sid    = "ConfigureListenersAndRules"
        Effect = "Allow"
        Action = [
          "elasticloadbalancing:SetWebAcl",
          "elasticloadbalancing:ModifyListener",
          "elasticloadbalancing:AddListenerCertificates",
          "elasticloadbalancing:RemoveListenerCertificates",
          "elasticloadbalancing:ModifyRule",
        ]
        Resource = "*"
      },
    ]
  })

  # The cluster autoscaler reads every group (discovery by tags, instance types,
  # launch templates), but resizes and terminates instances only in the Auto Scaling
  # groups of this cluster's node groups, which EKS tags as owned by the cluster.
  cluster_autoscaler_policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "DiscoverGroupsAndInstanceTypes"
        Effect = "Allow"
        Action = [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities",
          "autoscaling:DescribeTags",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetInstanceTypesFromInstanceRequirements",
        ]
        Resource = "*"
      },
      {
        Sid      = "ReadThisClustersNodeGroups"
        Effect   = "Allow"
        Action   = ["eks:DescribeNodegroup"]
        Resource = "${local.arn_prefix}:eks:${var.aws_region}:*:nodegroup/${local.cluster_name}/*/*"
      },
      {
        Sid      = "ResizeOnlyThisClustersNodeGroups"
        Effect   = "Allow"
        Action   = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
        Resource = "*"
        Condition = {
          StringEquals = { "aws:ResourceTag/${local.autoscaler_owner_tag}" = "owned" }
        }
      },
    ]
  })
}
