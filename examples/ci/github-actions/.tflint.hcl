# TFLint for the platform's root module, as platform.yml runs it. Copy to the root of
# your repository as .tflint.hcl. Only TFLint's bundled terraform ruleset is enabled:
# it ships inside the tflint binary, so `tflint --init` downloads nothing. (The ode
# provider's resources need no ruleset of their own: the provider checks its arguments
# at validate and plan.)

config {
  # Local module calls are loaded and checked with the caller's values; a module from a
  # git or registry address is not fetched.
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

rule "terraform_naming_convention" {
  enabled = true
}
