# TFLint configuration for modules/ and examples/ (run by tests/modules/test_static.py
# and the terraform workflow). Only TFLint's bundled terraform ruleset is used: it
# ships inside the tflint binary, so no `tflint --init` and no download ever happens.

config {
  # Module calls with a local source are loaded and checked with the caller's values;
  # nothing is fetched from a registry or git.
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

# Stricter than the preset: every variable and output documented and typed, snake_case
# names, `#` comments, no provider required but unused.
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

rule "terraform_comment_syntax" {
  enabled = true
}

rule "terraform_unused_required_providers" {
  enabled = true
}

# terraform_standard_module_structure (main.tf, variables.tf, outputs.tf) applies to
# the reusable modules only: the tests enable it with --enable-rule for modules/*.
