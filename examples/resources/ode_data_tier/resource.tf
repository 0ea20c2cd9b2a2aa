# The seed's data tier in the isolated subnets of an ode_network, reachable only
# from the EKS cluster's security group.
resource "ode_network" "this" {
  name = "ode-production"
}

resource "ode_eks_stack" "this" {
  name       = "ode-production-cluster"
  subnet_ids = ode_network.this.private_subnet_ids

  node_groups = {
    worker = {
      instance_types = ["t3.large"]
      min_size       = 3
      max_size       = 10
    }
  }
}

resource "ode_data_tier" "this" {
  name                       = "ode-production"
  vpc_id                     = ode_network.this.vpc_id
  subnet_ids                 = ode_network.this.isolated_subnet_ids
  allowed_security_group_ids = [ode_eks_stack.this.cluster_security_group_id]

  # PostgreSQL 15 (the newest 15.x RDS offers), db.t3.medium, Multi-AZ, 7-day backups:
  # the defaults. The master
  # password is kept by RDS in Secrets Manager (master_secret_arn).
  postgres {
    parameters = { "rds.force_ssl" = "1" }
  }

  # Redis OSS 7 (the newest 7.x), two cache.t3.medium nodes with failover, TLS and a generated AUTH
  # token in Secrets Manager (redis_auth_secret_arn).
  redis {}

  buckets = {
    documents = {
      transition_ia_days         = 90
      transition_glacier_days    = 365
      noncurrent_expiration_days = 30
    }
    exports = {
      noncurrent_expiration_days = 7
    }
    fonts = {}
  }

  tags = {
    Environment = "production"
  }
}

output "database_url" {
  value = ode_data_tier.this.database_url
}

output "redis_url" {
  value = ode_data_tier.this.redis_url
}
