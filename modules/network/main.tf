locals {
  name = coalesce(var.name, "${var.project}-${var.environment}")

  tags = merge(
    {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "Terraform"
    },
    var.tags,
  )
}

resource "ode_network" "this" {
  count = var.create ? 1 : 0

  name       = local.name
  cidr_block = var.cidr_block

  availability_zones = var.availability_zones
  az_count           = var.availability_zones == null ? var.az_count : null

  nat_gateways                  = var.nat_gateways
  enable_dns_hostnames          = var.enable_dns_hostnames
  enable_dns_support            = var.enable_dns_support
  manage_default_security_group = var.manage_default_security_group
  gateway_endpoints             = var.gateway_endpoints
  interface_endpoints           = var.interface_endpoints
  tags                          = local.tags

  public {
    prefix_length = var.public_subnet_prefix_length
    cidrs         = length(var.public_subnet_cidrs) > 0 ? var.public_subnet_cidrs : null
    tags          = merge({ "kubernetes.io/role/elb" = "1" }, var.public_subnet_tags)
  }

  private {
    prefix_length = var.private_subnet_prefix_length
    cidrs         = length(var.private_subnet_cidrs) > 0 ? var.private_subnet_cidrs : null
    tags          = merge({ "kubernetes.io/role/internal-elb" = "1" }, var.private_subnet_tags)
  }

  isolated {
    enabled       = var.create_isolated_subnets
    prefix_length = var.isolated_subnet_prefix_length
    cidrs         = length(var.isolated_subnet_cidrs) > 0 ? var.isolated_subnet_cidrs : null
    # Null rather than {} without tags, so that networks made before the variable existed plan no change.
    tags = length(var.isolated_subnet_tags) > 0 ? var.isolated_subnet_tags : null
  }

  dynamic "flow_logs" {
    for_each = var.flow_logs == null ? [] : [var.flow_logs]
    content {
      destination_arn = flow_logs.value.destination_arn
      traffic_type    = flow_logs.value.traffic_type
      iam_role_arn    = flow_logs.value.iam_role_arn
    }
  }

  dynamic "timeouts" {
    for_each = var.timeouts == null ? [] : [var.timeouts]

    content {
      create = timeouts.value.create
      update = timeouts.value.update
      delete = timeouts.value.delete
    }
  }
}

# A network made before the create toggle (module 0.1.0) is at ode_network.this in its
# state: move it to the single instance count makes, so that the upgrade plans no change.
moved {
  from = ode_network.this
  to   = ode_network.this[0]
}
