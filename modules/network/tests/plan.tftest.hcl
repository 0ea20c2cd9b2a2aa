# How the module's variables become ode_network arguments, and its outputs.
#
# Run with `tofu init && tofu test` in modules/network (OpenTofu 1.8 or later; Terraform
# 1.5 has no .tftest.hcl tests). The provider is mocked, so no AWS account is used and
# nothing is created: these runs check the module's own HCL. The provider's checks
# (layout fit, ARN formats, ...) and real applies are covered by tests/e2e.

mock_provider "ode" {
  # A mock makes up values for computed attributes; these stand for what the provider
  # reports, so that the outputs can be checked against known values.
  mock_resource "ode_network" {
    defaults = {
      vpc_id              = "vpc-0123456789abcdef0"
      vpc_arn             = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0123456789abcdef0"
      internet_gateway_id = "igw-0123456789abcdef0"
      flow_log_id         = null
      isolation           = "verified"
      egress              = "verified"
    }
  }
}

run "defaults_are_the_seed_layout" {
  command = plan

  # A setting the module leaves null is the provider's to decide (computed): this
  # stands for its decision, so the run can tell that the module left it null.
  override_resource {
    target = ode_network.this
    values = {
      public   = { prefix_length = -1 }
      private  = { prefix_length = -1 }
      isolated = { prefix_length = -1 }
    }
  }

  assert {
    condition     = ode_network.this[0].name == "ode-production"
    error_message = "The default name should be <project>-<environment>, got ${ode_network.this[0].name}."
  }

  assert {
    condition     = ode_network.this[0].cidr_block == "10.0.0.0/16"
    error_message = "The default CIDR block should be 10.0.0.0/16."
  }

  assert {
    condition     = ode_network.this[0].az_count == 3
    error_message = "Without availability_zones, az_count (default 3) should be passed."
  }

  assert {
    condition     = ode_network.this[0].nat_gateways == "one_per_az"
    error_message = "The default NAT strategy should be one_per_az."
  }

  assert {
    condition     = ode_network.this[0].enable_dns_hostnames == true
    error_message = "DNS hostnames should be on by default."
  }

  assert {
    condition = ode_network.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "Terraform"
    })
    error_message = "Unexpected default tags: ${jsonencode(ode_network.this[0].tags)}."
  }

  assert {
    condition     = ode_network.this[0].public.tags == tomap({ "kubernetes.io/role/elb" = "1" })
    error_message = "Public subnets should carry the EKS load balancer role tag."
  }

  assert {
    condition     = ode_network.this[0].private.tags == tomap({ "kubernetes.io/role/internal-elb" = "1" })
    error_message = "Private subnets should carry the EKS internal load balancer role tag."
  }

  assert {
    condition     = ode_network.this[0].isolated.enabled == true
    error_message = "The isolated tier should be created by default."
  }

  assert {
    condition = (
      ode_network.this[0].public.prefix_length == -1 &&
      ode_network.this[0].private.prefix_length == -1 &&
      ode_network.this[0].isolated.prefix_length == -1
    )
    error_message = "Without prefix lengths the layout's defaults should apply (null arguments)."
  }

  assert {
    condition     = ode_network.this[0].flow_logs == null
    error_message = "Flow logs should be off by default."
  }

  assert {
    condition     = ode_network.this[0].enable_dns_support == true && ode_network.this[0].manage_default_security_group == true
    error_message = "DNS support and the locked-down default security group should be on by default."
  }

  assert {
    condition = (
      ode_network.this[0].public.cidrs == null &&
      ode_network.this[0].private.cidrs == null &&
      ode_network.this[0].isolated.cidrs == null
    )
    error_message = "Without explicit CIDRs every subnet should come from the layout (null arguments)."
  }

  assert {
    condition     = ode_network.this[0].isolated.tags == null
    error_message = "Without isolated_subnet_tags the isolated block should carry no tags (null, as before the variable existed)."
  }

  assert {
    condition     = ode_network.this[0].timeouts == null
    error_message = "Without timeouts the provider's should apply (no timeouts block)."
  }
}

run "name_from_project_and_environment" {
  command = plan

  variables {
    project     = "shop"
    environment = "staging"
  }

  assert {
    condition     = ode_network.this[0].name == "shop-staging"
    error_message = "Expected name shop-staging, got ${ode_network.this[0].name}."
  }

  assert {
    condition     = ode_network.this[0].tags["Project"] == "shop" && ode_network.this[0].tags["Environment"] == "staging"
    error_message = "Project and Environment tags should follow the variables."
  }
}

run "explicit_name_wins" {
  command = plan

  variables {
    project = "shop"
    name    = "Shop_Network-1"
  }

  assert {
    condition     = ode_network.this[0].name == "Shop_Network-1"
    error_message = "An explicit name should be used as it is, got ${ode_network.this[0].name}."
  }
}

run "staging_layout_passes_through" {
  command = plan

  variables {
    cidr_block              = "10.1.0.0/16"
    az_count                = 2
    nat_gateways            = "single"
    create_isolated_subnets = false
    enable_dns_hostnames    = false
  }

  assert {
    condition     = ode_network.this[0].cidr_block == "10.1.0.0/16"
    error_message = "cidr_block should pass through."
  }

  assert {
    condition     = ode_network.this[0].az_count == 2
    error_message = "az_count should pass through."
  }

  assert {
    condition     = ode_network.this[0].nat_gateways == "single"
    error_message = "nat_gateways should pass through."
  }

  assert {
    condition     = ode_network.this[0].isolated.enabled == false
    error_message = "create_isolated_subnets = false should disable the isolated tier."
  }

  assert {
    condition     = ode_network.this[0].enable_dns_hostnames == false
    error_message = "enable_dns_hostnames should pass through."
  }
}

run "no_nat_gateways" {
  command = plan

  variables {
    nat_gateways = "none"
  }

  assert {
    condition     = ode_network.this[0].nat_gateways == "none"
    error_message = "nat_gateways = none should pass through."
  }
}

run "explicit_zones_replace_az_count" {
  command = plan

  variables {
    availability_zones = ["us-east-1a", "us-east-1c"]
    az_count           = 5
  }

  # A setting the module leaves null is the provider's to decide (computed): this
  # stands for its decision, so the run can tell that the module left it null.
  override_resource {
    target = ode_network.this
    values = { az_count = -1 }
  }

  assert {
    condition     = ode_network.this[0].availability_zones == tolist(["us-east-1a", "us-east-1c"])
    error_message = "availability_zones should pass through in order."
  }

  assert {
    condition     = ode_network.this[0].az_count == -1
    error_message = "With availability_zones given, az_count should not be passed."
  }
}

run "prefix_lengths_pass_through" {
  command = plan

  variables {
    public_subnet_prefix_length   = 22
    private_subnet_prefix_length  = 20
    isolated_subnet_prefix_length = 24
  }

  assert {
    condition     = ode_network.this[0].public.prefix_length == 22
    error_message = "public_subnet_prefix_length should reach the public block."
  }

  assert {
    condition     = ode_network.this[0].private.prefix_length == 20
    error_message = "private_subnet_prefix_length should reach the private block."
  }

  assert {
    condition     = ode_network.this[0].isolated.prefix_length == 24
    error_message = "isolated_subnet_prefix_length should reach the isolated block."
  }
}

run "tags_merge_over_the_defaults" {
  command = plan

  variables {
    tags = {
      Team      = "platform"
      ManagedBy = "OpenTofu"
    }
  }

  assert {
    condition = ode_network.this[0].tags == tomap({
      Project     = "ode"
      Environment = "production"
      ManagedBy   = "OpenTofu"
      Team        = "platform"
    })
    error_message = "The tags variable should be merged over (and win against) the module's tags: ${jsonencode(ode_network.this[0].tags)}."
  }

  assert {
    condition     = ode_network.this[0].public.tags == tomap({ "kubernetes.io/role/elb" = "1" })
    error_message = "Tier tags should stay the tier's own."
  }
}

run "tier_tags_merge_over_the_role_tags" {
  command = plan

  variables {
    public_subnet_tags   = { "kubernetes.io/cluster/ode-production-cluster" = "shared" }
    private_subnet_tags  = { "kubernetes.io/cluster/ode-production-cluster" = "shared", "kubernetes.io/role/internal-elb" = "0" }
    isolated_subnet_tags = { Tier = "data" }
  }

  assert {
    condition = ode_network.this[0].public.tags == tomap({
      "kubernetes.io/role/elb"                       = "1"
      "kubernetes.io/cluster/ode-production-cluster" = "shared"
    })
    error_message = "public_subnet_tags should be merged over the load balancer role tag: ${jsonencode(ode_network.this[0].public.tags)}."
  }

  assert {
    condition = ode_network.this[0].private.tags == tomap({
      "kubernetes.io/role/internal-elb"              = "0"
      "kubernetes.io/cluster/ode-production-cluster" = "shared"
    })
    error_message = "private_subnet_tags should be merged over (and win against) the internal load balancer role tag: ${jsonencode(ode_network.this[0].private.tags)}."
  }

  assert {
    condition     = ode_network.this[0].isolated.tags == tomap({ Tier = "data" })
    error_message = "isolated_subnet_tags should reach the isolated block: ${jsonencode(ode_network.this[0].isolated.tags)}."
  }

  assert {
    condition = (
      output.subnet_tags.public["kubernetes.io/cluster/ode-production-cluster"] == "shared" &&
      output.subnet_tags.private["kubernetes.io/role/internal-elb"] == "0" &&
      output.subnet_tags.isolated == tomap({ Tier = "data" })
    )
    error_message = "subnet_tags should be the tiers' tags: ${jsonencode(output.subnet_tags)}."
  }
}

run "explicit_cidrs_pass_through" {
  command = plan

  variables {
    availability_zones    = ["us-east-1a", "us-east-1b"]
    public_subnet_cidrs   = { "us-east-1a" = "10.0.0.0/22" }
    private_subnet_cidrs  = { "us-east-1a" = "10.0.128.0/19", "us-east-1b" = "10.0.160.0/19" }
    isolated_subnet_cidrs = { "us-east-1b" = "10.0.72.0/21" }
  }

  assert {
    condition     = ode_network.this[0].public.cidrs == tomap({ "us-east-1a" = "10.0.0.0/22" })
    error_message = "public_subnet_cidrs should reach the public block."
  }

  assert {
    condition     = ode_network.this[0].private.cidrs == tomap({ "us-east-1a" = "10.0.128.0/19", "us-east-1b" = "10.0.160.0/19" })
    error_message = "private_subnet_cidrs should reach the private block."
  }

  assert {
    condition     = ode_network.this[0].isolated.cidrs == tomap({ "us-east-1b" = "10.0.72.0/21" })
    error_message = "isolated_subnet_cidrs should reach the isolated block."
  }
}

run "dns_default_security_group_and_timeouts_pass_through" {
  command = plan

  variables {
    enable_dns_support            = false
    manage_default_security_group = false
    timeouts = {
      create = "45m"
      delete = "1h30m"
    }
  }

  assert {
    condition     = ode_network.this[0].enable_dns_support == false
    error_message = "enable_dns_support should pass through."
  }

  assert {
    condition     = ode_network.this[0].manage_default_security_group == false
    error_message = "manage_default_security_group should pass through."
  }

  assert {
    condition     = ode_network.this[0].timeouts.create == "45m" && ode_network.this[0].timeouts.update == null && ode_network.this[0].timeouts.delete == "1h30m"
    error_message = "timeouts should pass through, unset ones null: ${jsonencode(ode_network.this[0].timeouts)}."
  }
}

run "flow_logs_to_s3" {
  command = plan

  variables {
    flow_logs = {
      destination_arn = "arn:aws:s3:::ode-flow-logs/production"
    }
  }

  assert {
    condition     = ode_network.this[0].flow_logs.destination_arn == "arn:aws:s3:::ode-flow-logs/production"
    error_message = "flow_logs.destination_arn should pass through."
  }

  assert {
    condition     = ode_network.this[0].flow_logs.traffic_type == "ALL"
    error_message = "flow_logs.traffic_type should default to ALL."
  }

  assert {
    condition     = ode_network.this[0].flow_logs.iam_role_arn == null
    error_message = "No role is needed for S3."
  }
}

run "flow_logs_to_cloudwatch_logs" {
  command = plan

  variables {
    flow_logs = {
      destination_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ode/vpc-flow-logs"
      traffic_type    = "REJECT"
      iam_role_arn    = "arn:aws:iam::123456789012:role/ode-flow-logs"
    }
  }

  assert {
    condition = ode_network.this[0].flow_logs == {
      destination_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ode/vpc-flow-logs"
      traffic_type    = "REJECT"
      iam_role_arn    = "arn:aws:iam::123456789012:role/ode-flow-logs"
    }
    error_message = "flow_logs should pass through: ${jsonencode(ode_network.this[0].flow_logs)}."
  }
}

run "outputs_come_from_the_resource" {
  command = plan

  # The computed attributes as the provider would report them after an apply.
  override_resource {
    target = ode_network.this
    values = {
      availability_zones        = ["us-east-1a", "us-east-1b"]
      public_subnet_ids         = ["subnet-0000a0a1", "subnet-0000a0b1"]
      private_subnet_ids        = ["subnet-0000c0a1", "subnet-0000c0b1"]
      isolated_subnet_ids       = ["subnet-0000b0a1", "subnet-0000b0b1"]
      public_subnet_ids_by_az   = { us-east-1a = "subnet-0000a0a1", us-east-1b = "subnet-0000a0b1" }
      private_subnet_ids_by_az  = { us-east-1a = "subnet-0000c0a1", us-east-1b = "subnet-0000c0b1" }
      isolated_subnet_ids_by_az = { us-east-1a = "subnet-0000b0a1", us-east-1b = "subnet-0000b0b1" }
      public_subnet_cidrs_by_az = { us-east-1a = "10.0.0.0/21", us-east-1b = "10.0.8.0/21" }
      nat_gateway_ids           = ["nat-a", "nat-b"]
      nat_public_ips            = ["198.51.100.1", "198.51.100.2"]
      private_route_table_ids   = ["rtb-prv-a", "rtb-prv-b"]
      vpc_id                    = "vpc-0000000e"
      isolation                 = "verified"
      public_subnet_cidrs       = ["10.0.0.0/21", "10.0.8.0/21"]
      private_subnet_cidrs      = ["10.0.128.0/20", "10.0.144.0/20"]
      isolated_subnet_cidrs     = ["10.0.64.0/21", "10.0.72.0/21"]
      public_route_table_id     = "rtb-pub"
      isolated_route_table_id   = "rtb-iso"
      default_security_group_id = "sg-0000000d"
      egress                    = "verified"
      estimated_monthly_cost    = 109.5
      cost_items                = { "NAT Gateway" = 98.55, VPC = 10.95 }
    }
  }

  assert {
    condition     = output.vpc_id == "vpc-0000000e"
    error_message = "vpc_id should be the resource's."
  }

  assert {
    condition     = output.vpc_cidr_block == "10.0.0.0/16"
    error_message = "vpc_cidr_block should be the resource's CIDR block."
  }

  assert {
    condition     = output.availability_zones == tolist(["us-east-1a", "us-east-1b"])
    error_message = "availability_zones should be the resource's."
  }

  assert {
    condition     = output.private_subnet_ids == tolist(["subnet-0000c0a1", "subnet-0000c0b1"])
    error_message = "private_subnet_ids should be the resource's."
  }

  assert {
    condition = (
      output.subnet_ids_by_az.public["us-east-1b"] == "subnet-0000a0b1" &&
      output.subnet_ids_by_az.private["us-east-1a"] == "subnet-0000c0a1" &&
      output.subnet_ids_by_az.isolated["us-east-1b"] == "subnet-0000b0b1"
    )
    error_message = "subnet_ids_by_az should group the resource's maps by tier: ${jsonencode(output.subnet_ids_by_az)}."
  }

  assert {
    condition     = output.subnet_cidrs_by_az.public["us-east-1b"] == "10.0.8.0/21"
    error_message = "subnet_cidrs_by_az should group the resource's CIDR maps by tier."
  }

  assert {
    condition     = output.nat_public_ips == tolist(["198.51.100.1", "198.51.100.2"])
    error_message = "nat_public_ips should be the resource's."
  }

  assert {
    condition     = output.isolation == "verified"
    error_message = "isolation should be the resource's."
  }

  assert {
    condition = (
      output.public_subnet_cidrs == tolist(["10.0.0.0/21", "10.0.8.0/21"]) &&
      output.private_subnet_cidrs == tolist(["10.0.128.0/20", "10.0.144.0/20"]) &&
      output.isolated_subnet_cidrs == tolist(["10.0.64.0/21", "10.0.72.0/21"])
    )
    error_message = "The subnet CIDR lists should be the resource's."
  }

  assert {
    condition     = output.public_route_table_id == "rtb-pub" && output.isolated_route_table_id == "rtb-iso"
    error_message = "The route table ids should be the resource's."
  }

  assert {
    condition     = output.default_security_group_id == "sg-0000000d" && output.egress == "verified"
    error_message = "default_security_group_id and egress should be the resource's."
  }

  assert {
    condition     = output.name == "ode-production"
    error_message = "name should be the resource's."
  }

  assert {
    condition     = output.estimated_monthly_cost == 109.5
    error_message = "estimated_monthly_cost should be the resource's."
  }

  assert {
    condition     = output.cost_items == tomap({ "NAT Gateway" = 98.55, VPC = 10.95 })
    error_message = "cost_items should be the resource's: ${jsonencode(output.cost_items)}."
  }
}

run "outputs_with_mock_defaults" {
  command = plan

  assert {
    condition     = output.vpc_arn == "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0123456789abcdef0"
    error_message = "vpc_arn should be the resource's."
  }

  assert {
    condition     = output.internet_gateway_id == "igw-0123456789abcdef0"
    error_message = "internet_gateway_id should be the resource's."
  }

  assert {
    condition     = output.flow_log_id == null
    error_message = "flow_log_id should be null without flow logs."
  }
}

run "create_false_plans_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(ode_network.this) == 0
    error_message = "create = false should plan no network."
  }

  assert {
    condition = alltrue([for v in [output.name, output.vpc_id, output.vpc_arn, output.vpc_cidr_block, output.internet_gateway_id,
      output.public_route_table_id, output.isolated_route_table_id, output.default_security_group_id, output.flow_log_id,
    output.isolation, output.egress, output.estimated_monthly_cost] : v == null])
    error_message = "Without a network the single-value outputs should be null."
  }

  assert {
    condition = alltrue([for v in [output.availability_zones, output.public_subnet_ids, output.private_subnet_ids,
      output.isolated_subnet_ids, output.public_subnet_cidrs, output.private_subnet_cidrs, output.isolated_subnet_cidrs,
    output.nat_gateway_ids, output.nat_public_ips, output.private_route_table_ids] : length(v) == 0])
    error_message = "Without a network the list outputs should be empty."
  }

  assert {
    condition = alltrue(concat([for tier in ["public", "private", "isolated"] : length(output.subnet_ids_by_az[tier]) == 0 && length(output.subnet_cidrs_by_az[tier]) == 0 && length(output.subnet_tags[tier]) == 0],
    [length(output.cost_items) == 0]))
    error_message = "Without a network the per-tier maps and cost_items should be empty (each tier still a key)."
  }
}
