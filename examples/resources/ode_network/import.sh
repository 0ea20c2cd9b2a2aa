# A network is imported by its VPC ID. Its subnets, gateways and route tables are
# found through their ode:* ownership tags, so only a network that ode_network
# created can be imported. The zones, NAT strategy and each tier's layout are read
# back, so a plan right after the import of what the configuration describes is
# empty.
terraform import ode_network.this vpc-0123456789abcdef0
