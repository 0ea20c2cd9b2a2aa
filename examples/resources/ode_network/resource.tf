resource "ode_network" "this" {
  name               = "ode-production"
  cidr_block         = "10.0.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
  nat_gateways       = "one_per_az"

  # Each zone letter (a to h) has a fixed slot in every tier, so adding or removing
  # a zone never moves a subnet: in a /16 that makes private subnets at most /20
  # (the default). Larger ones are given per zone, inside the private half of the
  # VPC (10.0.128.0/17); a zone added later needs its own entry here.
  private {
    cidrs = {
      "us-east-1a" = "10.0.128.0/19"
      "us-east-1b" = "10.0.160.0/19"
      "us-east-1c" = "10.0.192.0/19"
    }
    tags = {
      "kubernetes.io/role/internal-elb" = "1"
    }
  }

  tags = {
    Environment = "production"
  }
}

output "private_subnet_ids" {
  value = ode_network.this.private_subnet_ids
}
