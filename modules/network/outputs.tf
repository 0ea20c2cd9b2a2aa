output "name" {
  description = "Name of the network (the prefix of its objects' Name tags)."
  value       = ode_network.this.name
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = ode_network.this.vpc_id
}

output "vpc_arn" {
  description = "ARN of the VPC."
  value       = ode_network.this.vpc_arn
}

output "vpc_cidr_block" {
  description = "CIDR block of the VPC."
  value       = ode_network.this.cidr_block
}

output "availability_zones" {
  description = "Availability zones the network spans."
  value       = ode_network.this.availability_zones
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, in availability zone order."
  value       = ode_network.this.public_subnet_ids
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, in availability zone order."
  value       = ode_network.this.private_subnet_ids
}

output "isolated_subnet_ids" {
  description = "IDs of the isolated subnets, in availability zone order."
  value       = ode_network.this.isolated_subnet_ids
}

output "public_subnet_cidrs" {
  description = "CIDR blocks of the public subnets, in availability zone order."
  value       = ode_network.this.public_subnet_cidrs
}

output "private_subnet_cidrs" {
  description = "CIDR blocks of the private subnets, in availability zone order."
  value       = ode_network.this.private_subnet_cidrs
}

output "isolated_subnet_cidrs" {
  description = "CIDR blocks of the isolated subnets, in availability zone order."
  value       = ode_network.this.isolated_subnet_cidrs
}

output "subnet_ids_by_az" {
  description = "Subnet IDs per tier, keyed by availability zone."
  value = {
    public   = ode_network.this.public_subnet_ids_by_az
    private  = ode_network.this.private_subnet_ids_by_az
    isolated = ode_network.this.isolated_subnet_ids_by_az
  }
}

output "subnet_cidrs_by_az" {
  description = "Subnet CIDR blocks per tier, keyed by availability zone."
  value = {
    public   = ode_network.this.public_subnet_cidrs_by_az
    private  = ode_network.this.private_subnet_cidrs_by_az
    isolated = ode_network.this.isolated_subnet_cidrs_by_az
  }
}

output "subnet_tags" {
  description = "Tags of each tier's subnets, besides the network's own tags (the load balancer role tags merged with the *_subnet_tags variables)."
  value = {
    public   = ode_network.this.public.tags
    private  = ode_network.this.private.tags
    isolated = ode_network.this.isolated.tags
  }
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways."
  value       = ode_network.this.nat_gateway_ids
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways (allow-list these for outbound traffic)."
  value       = ode_network.this.nat_public_ips
}

output "internet_gateway_id" {
  description = "ID of the internet gateway."
  value       = ode_network.this.internet_gateway_id
}

output "public_route_table_id" {
  description = "ID of the public route table."
  value       = ode_network.this.public_route_table_id
}

output "private_route_table_ids" {
  description = "IDs of the private route tables."
  value       = ode_network.this.private_route_table_ids
}

output "isolated_route_table_id" {
  description = "ID of the isolated route table (no route to the internet)."
  value       = ode_network.this.isolated_route_table_id
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group (without rules when manage_default_security_group is on)."
  value       = ode_network.this.default_security_group_id
}

output "flow_log_id" {
  description = "ID of the VPC flow log (null without flow_logs)."
  value       = ode_network.this.flow_log_id
}

output "isolation" {
  description = "\"verified\" when no isolated subnet can reach the internet."
  value       = ode_network.this.isolation
}

output "egress" {
  description = "\"verified\" when public subnets route to the internet gateway and private subnets to their NAT gateway as configured."
  value       = ode_network.this.egress
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the network in USD (NAT gateways and their addresses at on-demand list prices, before data processing; the provider's estimate)."
  value       = ode_network.this.estimated_monthly_cost
}

output "cost_items" {
  description = "The estimate's items in USD per month, as the provider reports them."
  value       = ode_network.this.cost_items
}
