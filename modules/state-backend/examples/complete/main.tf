# The state-backend module with every input set: the bucket, table and state key
# named explicitly, an optional KMS key, tags, and force_destroy on (a backend to try
# out and destroy).

provider "ode" {
  region = var.region
}

module "state_backend" {
  source = "../../"

  create      = true
  project     = "ode"
  environment = "staging"

  bucket_name     = var.bucket_name
  lock_table_name = "${var.bucket_name}-locks"
  state_key       = "ode/staging/platform.tfstate"

  # Null: SSE-S3 (AES256).
  kms_key_arn = var.kms_key_arn

  # Destroy deletes the bucket with every state version in it. Keep it off for a
  # backend that holds real state.
  force_destroy = true

  tags = { Team = "platform", CostCenter = "ode-staging" }
}
