# A data tier is imported by its name. Its database, Redis group, security groups
# and buckets are found by the names the tier gives them and their ode:* ownership
# tags, so only a tier that ode_data_tier created can be imported. Every setting is
# read back, defaults included; what AWS cannot report (force_destroy,
# final_snapshot, apply_immediately, the versions of write-only secrets, the snapshot
# a tier was restored from) the tier recorded in its ode:settings tag. A plan right
# after the import of what the configuration describes is empty (a `password` given
# in the configuration, which nothing can read back, is sent again).
terraform import ode_data_tier.this ode-production
