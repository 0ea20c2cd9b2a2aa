# A registry is imported by its name. Its repositories are found by their ode:*
# ownership tags, so only a registry that ode_registry created can be imported. The
# lifecycle settings, pull principals and tags are read back from the repositories,
# force_destroy from their ode:settings tag.
terraform import ode_registry.this ode
