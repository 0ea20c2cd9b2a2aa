# The real-AWS acceptance stack of `make test-aws` (scripts/test-aws.sh): every
# composite at its smallest size, named after the run so that scripts/sweep finds what
# a killed run left (`--stack-prefix odeacc-`). It is always destroyed.

terraform {
  required_version = ">= 1.5"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}

variable "run" {
  description = "This run's id: part of every name."
  type        = string
}

variable "region" {
  type    = string
  default = "us-east-1"
}

provider "ode" {
  region = var.region
  default_tags {
    tags = {
      OdeAcceptanceRun = var.run
    }
  }
}

locals {
  name = "odeacc-${var.run}"
}

resource "ode_network" "this" {
  name               = local.name
  cidr_block         = "10.42.0.0/16"
  availability_zones = ["${var.region}a", "${var.region}b"]
  nat_gateways       = "single"
}

resource "ode_eks_stack" "this" {
  name       = "${local.name}-cluster"
  subnet_ids = ode_network.this.private_subnet_ids

  node_groups = {
    system = {
      instance_types = ["t3.small"]
      min_size       = 1
      max_size       = 1
    }
  }

  addons = {
    "vpc-cni"    = {}
    "kube-proxy" = {}
  }
}

resource "ode_data_tier" "this" {
  name                       = local.name
  vpc_id                     = ode_network.this.vpc_id
  subnet_ids                 = ode_network.this.isolated_subnet_ids
  allowed_security_group_ids = [ode_eks_stack.this.cluster_security_group_id]
  force_destroy              = true

  postgres {
    instance_class      = "db.t4g.micro"
    allocated_storage   = 20
    multi_az            = false
    deletion_protection = false
    final_snapshot      = false
  }

  redis {
    node_type          = "cache.t4g.micro"
    num_cache_clusters = 1
    automatic_failover = false
    multi_az           = false
  }

  buckets = {
    documents = {}
  }
}

resource "ode_registry" "this" {
  name          = local.name
  repositories  = { api = {} }
  force_destroy = true
}
