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
  name       = local.name
  cidr_block = var.cidr_block

  availability_zones = var.availability_zones
  az_count           = var.availability_zones == null ? var.az_count : null

  nat_gateways         = var.nat_gateways
  enable_dns_hostnames = var.enable_dns_hostnames
  tags                 = local.tags

  public {
    prefix_length = var.public_subnet_prefix_length
    tags          = { "kubernetes.io/role/elb" = "1" }
  }

  private {
    prefix_length = var.private_subnet_prefix_length
    tags          = { "kubernetes.io/role/internal-elb" = "1" }
  }

  isolated {
    enabled       = var.create_isolated_subnets
    prefix_length = var.isolated_subnet_prefix_length
  }

  dynamic "flow_logs" {
    for_each = var.flow_logs == null ? [] : [var.flow_logs]
    content {
      destination_arn = flow_logs.value.destination_arn
      traffic_type    = flow_logs.value.traffic_type
      iam_role_arn    = flow_logs.value.iam_role_arn
    }
  }
}
