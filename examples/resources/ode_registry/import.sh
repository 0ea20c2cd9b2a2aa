# A registry is imported by its name. Its repositories are found by their ode:*
# ownership tags, so only a registry that ode_registry created can be imported.
terraform import ode_registry.this ode
