# The ECR repositories of the platform's images: ode-api, ode-worker and ode-viewer,
# scanned on push, with immutable tags, pullable by the EKS nodes.
resource "ode_registry" "this" {
  name                = "ode"
  pull_principal_arns = ["arn:aws:iam::123456789012:role/ode/ode-production-cluster/ode-production-cluster-node"]

  keep_tagged_images   = 30 # per repository; older images expire
  untagged_expiry_days = 7

  tags = {
    Environment = "production"
  }
}

output "repository_urls" {
  value = ode_registry.this.repository_urls
}
