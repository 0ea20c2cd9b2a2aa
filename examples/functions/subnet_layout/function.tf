# Preview the subnets ode_network will create, before applying anything.
output "subnets" {
  value = provider::ode::subnet_layout("10.0.0.0/16", ["us-east-1a", "us-east-1b", "us-east-1c"])
}
# subnets = {
#   isolated = { us-east-1a = "10.0.64.0/21",  us-east-1b = "10.0.72.0/21",  us-east-1c = "10.0.80.0/21" }
#   private  = { us-east-1a = "10.0.128.0/20", us-east-1b = "10.0.144.0/20", us-east-1c = "10.0.160.0/20" }
#   public   = { us-east-1a = "10.0.0.0/21",   us-east-1b = "10.0.8.0/21",   us-east-1c = "10.0.16.0/21" }
# }
