# A data tier is imported by its name. Its database, Redis group, security groups
# and buckets are found by the names the tier gives them and their ode:* ownership
# tags, so only a tier that ode_data_tier created can be imported.
terraform import ode_data_tier.this ode-production
