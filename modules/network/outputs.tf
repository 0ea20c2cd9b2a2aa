output "name" {
  description = "Name of the network (the prefix of its objects' Name tags)."
  value       = var.create ? ode_network.this[0].name : null
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = var.create ? ode_network.this[0].vpc_id : null
}

output "vpc_arn" {
  description = "ARN of the VPC."
  value       = var.create ? ode_network.this[0].vpc_arn : null
}

output "vpc_cidr_block" {
  description = "CIDR block of the VPC."
  value       = var.create ? ode_network.this[0].cidr_block : null
}

output "availability_zones" {
  description = "Availability zones the network spans."
  value       = var.create ? ode_network.this[0].availability_zones : []
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, in availability zone order."
  value       = var.create ? ode_network.this[0].public_subnet_ids : []
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, in availability zone order."
  value       = var.create ? ode_network.this[0].private_subnet_ids : []
}

output "isolated_subnet_ids" {
  description = "IDs of the isolated subnets, in availability zone order."
  value       = var.create ? ode_network.this[0].isolated_subnet_ids : []
}

output "public_subnet_cidrs" {
  description = "CIDR blocks of the public subnets, in availability zone order."
  value       = var.create ? ode_network.this[0].public_subnet_cidrs : []
}

output "private_subnet_cidrs" {
  description = "CIDR blocks of the private subnets, in availability zone order."
  value       = var.create ? ode_network.this[0].private_subnet_cidrs : []
}

output "isolated_subnet_cidrs" {
  description = "CIDR blocks of the isolated subnets, in availability zone order."
  value       = var.create ? ode_network.this[0].isolated_subnet_cidrs : []
}

output "subnet_ids_by_az" {
  description = "Subnet IDs per tier, keyed by availability zone."
  value = {
    public   = var.create ? ode_network.this[0].public_subnet_ids_by_az : {}
    private  = var.create ? ode_network.this[0].private_subnet_ids_by_az : {}
    isolated = var.create ? ode_network.this[0].isolated_subnet_ids_by_az : {}
  }
}

output "subnet_cidrs_by_az" {
  description = "Subnet CIDR blocks per tier, keyed by availability zone."
  value = {
    public   = var.create ? ode_network.this[0].public_subnet_cidrs_by_az : {}
    private  = var.create ? ode_network.this[0].private_subnet_cidrs_by_az : {}
    isolated = var.create ? ode_network.this[0].isolated_subnet_cidrs_by_az : {}
  }
}

output "subnet_tags" {
  description = "Tags of each tier's subnets, besides the network's own tags (the load balancer role tags merged with the *_subnet_tags variables)."
  value = {
    public   = var.create ? ode_network.this[0].public.tags : {}
    private  = var.create ? ode_network.this[0].private.tags : {}
    isolated = var.create ? ode_network.this[0].isolated.tags : {}
  }
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways."
  value       = var.create ? ode_network.this[0].nat_gateway_ids : []
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways (allow-list these for outbound traffic)."
  value       = var.create ? ode_network.this[0].nat_public_ips : []
}

output "internet_gateway_id" {
  description = "ID of the internet gateway."
  value       = var.create ? ode_network.this[0].internet_gateway_id : null
}

output "public_route_table_id" {
  description = "ID of the public route table."
  value       = var.create ? ode_network.this[0].public_route_table_id : null
}

output "private_route_table_ids" {
  description = "IDs of the private route tables."
  value       = var.create ? ode_network.this[0].private_route_table_ids : []
}

output "isolated_route_table_id" {
  description = "ID of the isolated route table (no route to the internet)."
  value       = var.create ? ode_network.this[0].isolated_route_table_id : null
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group (without rules when manage_default_security_group is on)."
  value       = var.create ? ode_network.this[0].default_security_group_id : null
}

output "flow_log_id" {
  description = "ID of the VPC flow log (null without flow_logs)."
  value       = var.create ? ode_network.this[0].flow_log_id : null
}

output "isolation" {
  description = "\"verified\" when no isolated subnet can reach the internet."
  value       = var.create ? ode_network.this[0].isolation : null
}

output "egress" {
  description = "\"verified\" when public subnets route to the internet gateway and private subnets to their NAT gateway as configured."
  value       = var.create ? ode_network.this[0].egress : null
}

output "estimated_monthly_cost" {
  description = "Estimated monthly cost of the network in USD (NAT gateways and their addresses at on-demand list prices, before data processing; the provider's estimate)."
  value       = var.create ? ode_network.this[0].estimated_monthly_cost : null
}

output "cost_items" {
  description = "The estimate's items in USD per month, as the provider reports them."
  value       = var.create ? ode_network.this[0].cost_items : {}
}

output "vpc_endpoint_ids" {
  description = "IDs of the VPC endpoints, by service."
  value       = var.create ? ode_network.this[0].vpc_endpoint_ids : {}
}

output "endpoint_security_group_id" {
  description = "ID of the interface endpoints' security group (null without interface endpoints)."
  value       = var.create ? ode_network.this[0].endpoint_security_group_id : null
}
