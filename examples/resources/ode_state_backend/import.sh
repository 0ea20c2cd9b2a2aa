# A state backend is imported by its bucket name. The lock table, state key and
# force_destroy are read from the bucket's ode:* tags, so only a backend that
# ode_state_backend created can be imported.
terraform import ode_state_backend.this ode-terraform-state
