# The data-tier module with most of its inputs set, in the isolated subnets of a
# two-zone network made with the network module: PostgreSQL 16 on a small single-zone
# instance with tuned parameters, Valkey 8 with two nodes, three buckets with their
# own lifecycles, and no deletion guards (a tier to try out and destroy).

provider "ode" {
  region = var.region
}

module "network" {
  source = "../../../network"

  name               = "${var.name}-network"
  environment        = "staging"
  cidr_block         = "10.40.0.0/16"
  availability_zones = [for letter in ["a", "b"] : "${var.region}${letter}"]
  nat_gateways       = "single"
}

module "data_tier" {
  source = "../../"

  create      = true
  project     = "ode"
  environment = "staging"
  name        = var.name

  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.isolated_subnet_ids

  # Who may connect: the private subnets (where EKS nodes run), plus any security
  # groups given (an EKS cluster's, say).
  allowed_cidr_blocks        = module.network.private_subnet_cidrs
  allowed_security_group_ids = var.allowed_security_group_ids

  database_name     = "documents"
  database_username = "ode_owner"
  # No database_password: RDS keeps a generated one in Secrets Manager
  # (master_secret_arn), and it never reaches the state.

  postgres = {
    engine_version             = "16"
    instance_class             = "db.t3.small"
    allocated_storage          = 20
    max_allocated_storage      = 100
    storage_type               = "gp3"
    multi_az                   = false
    backup_retention_days      = 3
    backup_window              = "02:00-03:00"
    maintenance_window         = "sun:04:30-sun:05:30"
    apply_immediately          = true
    auto_minor_version_upgrade = true
    performance_insights       = false
    parameters                 = { "rds.force_ssl" = "1", "log_min_duration_statement" = "500" }
    final_snapshot             = false
  }

  # No redis_auth_token: the tier generates one into Secrets Manager
  # (redis_auth_secret_arn).
  redis = {
    engine                  = "valkey"
    engine_version          = "8"
    node_type               = "cache.t3.small"
    num_cache_clusters      = 2
    automatic_failover      = true
    multi_az                = true
    at_rest_encryption      = true
    transit_encryption      = true
    snapshot_retention_days = 1
    snapshot_window         = "01:00-02:00"
    maintenance_window      = "sun:05:30-sun:06:30"
    parameters              = { "maxmemory-policy" = "allkeys-lru" }
  }

  buckets = {
    documents = {
      transition_ia_days         = 90
      transition_glacier_days    = 365
      noncurrent_expiration_days = 30
    }
    exports = {
      encryption                 = "AES256"
      noncurrent_expiration_days = 7
    }
    fonts = {
      versioning = false
    }
  }

  # Null: the tier makes its own key (alias/<name>-data).
  kms_key_arn = var.kms_key_arn

  # A tier to try out: destroy deletes the database (without a final snapshot) and
  # the buckets with whatever they hold. Keep both guards on in production.
  deletion_protection = false
  force_destroy       = true

  tags = { Team = "platform", CostCenter = "ode-staging" }

  timeouts = {
    create = "90m"
    update = "90m"
    delete = "60m"
  }
}
