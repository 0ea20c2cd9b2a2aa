# The network module with most of its inputs set: two zones of 10.20.0.0/16, explicit
# private CIDR blocks, one NAT gateway, a tag map per subnet tier and optional flow logs.

provider "ode" {
  region = var.region
}

locals {
  zones = [for letter in ["a", "b"] : "${var.region}${letter}"]
}

module "network" {
  source = "../../"

  create      = true
  project     = "ode"
  environment = "staging"
  name        = var.name

  cidr_block         = "10.20.0.0/16"
  availability_zones = local.zones
  nat_gateways       = "single"

  # /22 public and /23 isolated subnets instead of the layout's /21; the private
  # subnets get /19 blocks given per zone, inside the private half (10.20.128.0/17).
  public_subnet_prefix_length   = 22
  isolated_subnet_prefix_length = 23
  private_subnet_cidrs = {
    (local.zones[0]) = "10.20.128.0/19"
    (local.zones[1]) = "10.20.160.0/19"
  }
  create_isolated_subnets = true

  enable_dns_hostnames          = true
  enable_dns_support            = true
  manage_default_security_group = true

  # One tag map for every object, and one per subnet tier on top of it.
  tags                 = { Team = "platform", CostCenter = "ode-staging" }
  public_subnet_tags   = { Tier = "public", "kubernetes.io/cluster/${var.name}-cluster" = "shared" }
  private_subnet_tags  = { Tier = "private", "kubernetes.io/cluster/${var.name}-cluster" = "shared" }
  isolated_subnet_tags = { Tier = "isolated" }

  flow_logs = var.flow_logs_destination_arn == null ? null : {
    destination_arn = var.flow_logs_destination_arn
    traffic_type    = "REJECT"
  }

  timeouts = {
    create = "45m"
    delete = "45m"
  }
}
