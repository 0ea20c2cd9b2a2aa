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

output "private_route_table_ids" {
  description = "IDs of the private route tables."
  value       = ode_network.this.private_route_table_ids
}

output "flow_log_id" {
  description = "ID of the VPC flow log (null without flow_logs)."
  value       = ode_network.this.flow_log_id
}

output "isolation" {
  description = "\"verified\" when no isolated subnet can reach the internet."
  value       = ode_network.this.isolation
}
