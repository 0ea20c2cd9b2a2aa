resource "ode_network" "this" {
  name         = "ode-production"
  cidr_block   = "10.0.0.0/16"
  az_count     = 3
  nat_gateways = "one_per_az"

  # The private tier gets larger subnets and an extra tag for EKS load balancers.
  private {
    prefix_length = 19
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
