output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnets."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets (EKS nodes)."
  value       = module.network.private_subnet_ids
}

output "isolated_subnet_ids" {
  description = "Isolated subnets (RDS, Redis)."
  value       = module.network.isolated_subnet_ids
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways."
  value       = module.network.nat_public_ips
}
