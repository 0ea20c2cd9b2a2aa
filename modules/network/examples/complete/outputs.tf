output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "subnet_cidrs_by_az" {
  description = "Subnet CIDR blocks per tier, keyed by availability zone."
  value       = module.network.subnet_cidrs_by_az
}

output "subnet_ids_by_az" {
  description = "Subnet IDs per tier, keyed by availability zone."
  value       = module.network.subnet_ids_by_az
}

output "subnet_tags" {
  description = "The extra tags of each tier's subnets."
  value       = module.network.subnet_tags
}

output "nat_gateway_ids" {
  description = "The NAT gateway (one: nat_gateways = single)."
  value       = module.network.nat_gateway_ids
}

output "isolation" {
  description = "\"verified\" when no isolated subnet can reach the internet."
  value       = module.network.isolation
}

output "estimated_monthly_cost" {
  description = "The provider's estimate of the network's monthly cost in USD."
  value       = module.network.estimated_monthly_cost
}
