//! AWS calls for `ode_data_tier` (RDS, ElastiCache, EC2 security groups, S3,
//! KMS, Secrets Manager).
//!
//! - [`read`] refreshes the whole tier in one round of concurrent calls.
//! - [`reconcile`] is create, update and drift repair: the key; then security
//!   groups, subnet groups, parameter groups, buckets and the AUTH token secret
//!   together; then the DB instance and the replication group together, each
//!   with its own waiter.
//! - [`delete`] checks what would refuse (deletion protection, buckets with
//!   objects) before deleting anything, then deletes the database (final
//!   snapshot) and Redis together, then everything they used.

use std::collections::BTreeMap;

use aws_sdk_ec2::types as ec2;
use aws_sdk_elasticache::types as ecache;
use aws_sdk_rds::types as rds;
use tokio::time::Instant;

use super::model::*;
use crate::aws::{found, Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::bucket::{self, BucketSeen};
use crate::kit::claim::{self, ClaimError, Owner, CREATING_TAG};
use crate::kit::tags::{ec2 as ec2_tags, owner_key, s3 as s3_tags, Tags};
use crate::kit::{self, first_error, round, Fut, Status, Waiter};

pub const COMPONENT: &str = "data-tier";
pub const ENGINES: [(&str, i32); 2] = [("postgres", 5432), ("redis", 6379)];

/// Tags of every object of the tier; the roots (the objects a create's claim check
/// reads, and `release_claim` clears) carry the claim while a create runs.
pub fn tier_tags(aws: &Aws, d: &Desired, key: &str) -> Tags {
    let mut t = aws.tags_all(&d.tags);
    t.insert(owner_key("stack"), d.name.clone());
    t.insert(owner_key("component"), COMPONENT.into());
    t.insert(owner_key("key"), key.to_string());
    let root =
        matches!(key, "postgres" | "redis") || key.starts_with("sg/") || key.starts_with("bucket/");
    if let (true, Some(fp)) = (root, &d.creating) {
        t.insert(CREATING_TAG.into(), fp.clone());
    }
    if let (true, Some(settings)) = (key == "postgres", &d.settings) {
        t.insert(kit::tags::settings_key(), settings.clone());
    }
    t
}

fn rds_tags(tags: &Tags) -> Vec<rds::Tag> {
    tags.iter()
        .map(|(k, v)| rds::Tag::builder().key(k).value(v).build())
        .collect()
}

fn cache_tags(tags: &Tags) -> Vec<ecache::Tag> {
    tags.iter()
        .map(|(k, v)| ecache::Tag::builder().key(k).value(v).build())
        .collect()
}

// ------------------------------------------------------------------- read

/// The tier's DB instance (None when it does not exist or is being deleted).
async fn describe_db(aws: &Aws, d: &Desired) -> Result<Option<DbSeen>, AwsError> {
    let r = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier(d.db_id())
        .send()
        .await
        .op("DescribeDBInstances");
    Ok(
        found(r, &["DBInstanceNotFound", "DBInstanceNotFoundFault"])?
            .and_then(|r| r.db_instances().first().map(db_seen))
            .filter(|i| i.status != "deleting"),
    )
}

fn db_seen(i: &rds::DbInstance) -> DbSeen {
    let p = i.pending_modified_values();
    let mut pending = BTreeMap::new();
    if let Some(p) = p {
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                pending.insert(format!("postgres.{k}"), v);
            }
        };
        put("instance_class", p.db_instance_class().map(str::to_string));
        put(
            "allocated_storage",
            p.allocated_storage().map(|n| n.to_string()),
        );
        put("storage_type", p.storage_type().map(str::to_string));
        put("engine_version", p.engine_version().map(str::to_string));
        put("multi_az", p.multi_az().map(|b| b.to_string()));
        put(
            "backup_retention_days",
            p.backup_retention_period().map(|n| n.to_string()),
        );
        put(
            "password",
            p.master_user_password().map(|_| "(new)".to_string()),
        );
    }
    DbSeen {
        arn: i.db_instance_arn().unwrap_or_default().to_string(),
        status: i.db_instance_status().unwrap_or_default().to_string(),
        address: i
            .endpoint()
            .and_then(|e| e.address())
            .unwrap_or_default()
            .to_string(),
        port: i.endpoint().and_then(|e| e.port()).unwrap_or(5432),
        engine_version: i.engine_version().unwrap_or_default().to_string(),
        instance_class: i.db_instance_class().unwrap_or_default().to_string(),
        allocated_storage: i.allocated_storage().unwrap_or_default(),
        max_allocated_storage: i.max_allocated_storage(),
        storage_type: i.storage_type().unwrap_or_default().to_string(),
        multi_az: i.multi_az().unwrap_or(false),
        database_name: i.db_name().unwrap_or_default().to_string(),
        username: i.master_username().unwrap_or_default().to_string(),
        backup_retention_days: i.backup_retention_period().unwrap_or_default(),
        backup_window: i.preferred_backup_window().unwrap_or_default().to_string(),
        maintenance_window: i
            .preferred_maintenance_window()
            .unwrap_or_default()
            .to_lowercase(),
        deletion_protection: i.deletion_protection().unwrap_or(false),
        performance_insights: i.performance_insights_enabled().unwrap_or(false),
        auto_minor_version_upgrade: i.auto_minor_version_upgrade().unwrap_or(false),
        publicly_accessible: i.publicly_accessible().unwrap_or(false),
        storage_encrypted: i.storage_encrypted().unwrap_or(false),
        parameter_group: i
            .db_parameter_groups()
            .first()
            .and_then(|g| g.db_parameter_group_name())
            .unwrap_or_default()
            .to_string(),
        // A group being taken away is on its way out already.
        security_groups: i
            .vpc_security_groups()
            .iter()
            .filter(|g| !matches!(g.status(), Some("removing" | "inactive")))
            .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
            .collect(),
        master_secret_arn: i
            .master_user_secret()
            .and_then(|s| s.secret_arn())
            .map(str::to_string),
        pending,
        tags: i
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
    }
}

fn redis_seen(g: &ecache::ReplicationGroup) -> RedisSeen {
    let ng = g.node_groups().first();
    let endpoint =
        |e: Option<&ecache::Endpoint>| e.and_then(|e| e.address()).unwrap_or_default().to_string();
    RedisSeen {
        arn: g.arn().unwrap_or_default().to_string(),
        status: g.status().unwrap_or_default().to_string(),
        primary: endpoint(ng.and_then(|n| n.primary_endpoint())),
        reader: endpoint(ng.and_then(|n| n.reader_endpoint())),
        port: ng
            .and_then(|n| n.primary_endpoint())
            .and_then(|e| e.port())
            .unwrap_or(6379),
        node_type: g.cache_node_type().unwrap_or_default().to_string(),
        members: g.member_clusters().len() as i32,
        automatic_failover: matches!(
            g.automatic_failover(),
            Some(
                ecache::AutomaticFailoverStatus::Enabled
                    | ecache::AutomaticFailoverStatus::Enabling
            )
        ),
        multi_az: matches!(g.multi_az(), Some(ecache::MultiAzStatus::Enabled)),
        at_rest_encryption: g.at_rest_encryption_enabled().unwrap_or(false),
        transit_encryption: g.transit_encryption_enabled().unwrap_or(false),
        auth_token_enabled: g.auth_token_enabled().unwrap_or(false),
        snapshot_retention_days: g.snapshot_retention_limit().unwrap_or_default(),
        snapshot_window: g.snapshot_window().unwrap_or_default().to_string(),
        ..Default::default()
    }
}

/// One cache cluster (a member of a replication group), if it exists.
async fn describe_member(aws: &Aws, id: String) -> Result<Option<ecache::CacheCluster>, AwsError> {
    let r = aws
        .elasticache
        .describe_cache_clusters()
        .cache_cluster_id(id)
        .send()
        .await
        .op("DescribeCacheClusters");
    Ok(
        found(r, &["CacheClusterNotFound", "CacheClusterNotFoundFault"])?
            .and_then(|r| r.cache_clusters().first().cloned()),
    )
}

/// What a member shows of its group's settings and the group itself does not.
fn member_settings(c: &ecache::CacheCluster, seen: &mut RedisSeen) {
    seen.engine_version = c.engine_version().unwrap_or_default().to_string();
    seen.maintenance_window = c
        .preferred_maintenance_window()
        .unwrap_or_default()
        .to_lowercase();
    seen.parameter_group = c
        .cache_parameter_group()
        .and_then(|g| g.cache_parameter_group_name())
        .unwrap_or_default()
        .to_string();
    seen.security_groups = c
        .security_groups()
        .iter()
        .filter_map(|g| g.security_group_id().map(str::to_string))
        .collect();
}

fn sg_seen(g: &ec2::SecurityGroup) -> SgSeen {
    let mut ingress = Vec::new();
    for p in g.ip_permissions() {
        let port = p.from_port().unwrap_or(-1);
        for r in p.ip_ranges() {
            ingress.push((port, r.cidr_ip().unwrap_or_default().to_string()));
        }
        for r in p.ipv6_ranges() {
            ingress.push((port, r.cidr_ipv6().unwrap_or_default().to_string()));
        }
        for r in p.user_id_group_pairs() {
            ingress.push((port, r.group_id().unwrap_or_default().to_string()));
        }
    }
    ingress.sort();
    SgSeen {
        id: g.group_id().unwrap_or_default().to_string(),
        tags: ec2_tags::map(g.tags()),
        ingress,
    }
}

/// Reads the whole tier in one round of concurrent calls.
pub async fn read(aws: &Aws, d: &Desired) -> Result<Observed, AwsError> {
    let db_id = d.db_id();
    let rg_id = d.rg_id();
    let db = describe_db(aws, d);
    let redis = async {
        // The group, and its first member (named `<id>-001` by ElastiCache) for what
        // only DescribeCacheClusters shows, read together.
        let (group, member) = tokio::join!(
            aws.elasticache
                .describe_replication_groups()
                .replication_group_id(&rg_id)
                .send(),
            describe_member(aws, format!("{rg_id}-001"))
        );
        let group = found(
            group.op("DescribeReplicationGroups"),
            &["ReplicationGroupNotFoundFault"],
        )?
        .and_then(|r| r.replication_groups().first().cloned())
        .filter(|g| g.status() != Some("deleting"));
        let Some(group) = group else {
            return Ok(None);
        };
        let mut seen = redis_seen(&group);
        let member = match (member?, group.member_clusters().first()) {
            (Some(m), _) => Some(m),
            // The first member was removed: read the first one the group lists.
            (None, Some(id)) => describe_member(aws, id.clone()).await?,
            (None, None) => None,
        };
        if let Some(m) = member.filter(|m| m.replication_group_id() == Some(rg_id.as_str())) {
            member_settings(&m, &mut seen);
        }
        Ok::<_, AwsError>(Some(seen))
    };
    let sgs = async {
        let names: Vec<String> = ENGINES.iter().map(|(e, _)| d.sg_name(e)).collect();
        let r = aws
            .ec2
            .describe_security_groups()
            .filters(
                ec2::Filter::builder()
                    .name("vpc-id")
                    .values(&d.vpc_id)
                    .build(),
            )
            .filters(
                ec2::Filter::builder()
                    .name("group-name")
                    .set_values(Some(names))
                    .build(),
            )
            .send()
            .await
            .op("DescribeSecurityGroups")?;
        Ok::<_, AwsError>(
            r.security_groups()
                .iter()
                .filter_map(|g| {
                    let engine = ENGINES
                        .iter()
                        .find(|(e, _)| g.group_name() == Some(d.sg_name(e).as_str()))?
                        .0;
                    Some((engine.to_string(), sg_seen(g)))
                })
                .collect::<BTreeMap<_, _>>(),
        )
    };
    let db_subnets = async {
        let r = aws
            .rds
            .describe_db_subnet_groups()
            .db_subnet_group_name(&db_id)
            .send()
            .await
            .op("DescribeDBSubnetGroups");
        Ok::<_, AwsError>(found(r, &["DBSubnetGroupNotFoundFault"])?.and_then(|r| {
            r.db_subnet_groups().first().map(|g| {
                let mut ids: Vec<String> = g
                    .subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier().map(str::to_string))
                    .collect();
                ids.sort();
                ids
            })
        }))
    };
    let cache_subnets = async {
        let r = aws
            .elasticache
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(&rg_id)
            .send()
            .await
            .op("DescribeCacheSubnetGroups");
        Ok::<_, AwsError>(found(r, &["CacheSubnetGroupNotFoundFault"])?.and_then(|r| {
            r.cache_subnet_groups().first().map(|g| {
                let mut ids: Vec<String> = g
                    .subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier().map(str::to_string))
                    .collect();
                ids.sort();
                ids
            })
        }))
    };
    let pg_params = async {
        let r = aws
            .rds
            .describe_db_parameters()
            .db_parameter_group_name(d.pg_parameter_group())
            .source("user")
            .send()
            .await
            .op("DescribeDBParameters");
        Ok::<_, AwsError>(found(r, &["DBParameterGroupNotFound"])?.map(|r| {
            r.parameters()
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_name()?.to_string(),
                        p.parameter_value()?.to_string(),
                    ))
                })
                .collect::<BTreeMap<_, _>>()
        }))
    };
    let redis_params = async {
        let r = aws
            .elasticache
            .describe_cache_parameters()
            .cache_parameter_group_name(d.redis_parameter_group())
            .source("user")
            .send()
            .await
            .op("DescribeCacheParameters");
        Ok::<_, AwsError>(found(r, &["CacheParameterGroupNotFound"])?.map(|r| {
            r.parameters()
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_name()?.to_string(),
                        p.parameter_value()?.to_string(),
                    ))
                })
                .collect::<BTreeMap<_, _>>()
        }))
    };
    let key = async {
        if d.kms_key_arn.is_some() {
            return Ok(None);
        }
        let r = aws
            .kms
            .describe_key()
            .key_id(d.key_alias())
            .send()
            .await
            .op("DescribeKey");
        Ok::<_, AwsError>(
            found(r, &["NotFoundException"])?
                .and_then(|r| r.key_metadata().and_then(|m| m.arn()).map(str::to_string)),
        )
    };
    let secret = async {
        if d.redis.auth_token != AuthToken::Generated {
            return Ok(None);
        }
        let r = aws
            .secretsmanager
            .describe_secret()
            .secret_id(d.auth_secret_name())
            .send()
            .await
            .op("DescribeSecret");
        Ok::<_, AwsError>(
            found(r, &["ResourceNotFoundException"])?
                .filter(|s| s.deleted_date().is_none())
                .and_then(|s| s.arn().map(str::to_string)),
        )
    };
    let buckets = futures::future::join_all(d.buckets.keys().map(|k| async move {
        let name = d.bucket_name(k);
        bucket::read(aws, &name, true).await.map(|b| (k.clone(), b))
    }));
    let (db, redis, sgs, db_subnets, cache_subnets, pg_params, redis_params, key, secret, buckets) = tokio::join!(
        db,
        redis,
        sgs,
        db_subnets,
        cache_subnets,
        pg_params,
        redis_params,
        key,
        secret,
        buckets
    );
    let mut obs = Observed {
        db: db?,
        redis: redis?,
        sgs: sgs?,
        db_subnet_group: db_subnets?,
        cache_subnet_group: cache_subnets?,
        pg_parameters: pg_params?,
        redis_parameters: redis_params?,
        own_key: key?,
        auth_secret_arn: secret?,
        ..Default::default()
    };
    for b in buckets {
        let (k, seen) = b?;
        if let Some(seen) = seen {
            obs.buckets.insert(k, seen);
        }
    }
    Ok(obs)
}

// ------------------------------------------------------------------ claim

/// A create may adopt only what an unfinished create of this very tier left.
/// Checked on every object that carries tags, before anything is written.
async fn check_claim(aws: &Aws, d: &Desired, obs: &Observed) -> Result<(), ClaimError> {
    let Some(fp) = d.creating.as_deref() else {
        return Ok(());
    };
    let mut owned: Vec<(String, Tags)> = Vec::new();
    if let Some(db) = &obs.db {
        owned.push((format!("DB instance {}", d.db_id()), db.tags.clone()));
    }
    for (engine, sg) in &obs.sgs {
        owned.push((
            format!("security group {} ({})", d.sg_name(engine), sg.id),
            sg.tags.clone(),
        ));
    }
    for (key, b) in &obs.buckets {
        owned.push((format!("bucket {}", d.bucket_name(key)), b.tags.clone()));
    }
    if let Some(g) = &obs.redis {
        let tags = cache_tags_of(aws, &g.arn).await?;
        owned.push((format!("replication group {}", d.rg_id()), tags));
    }
    for (what, tags) in owned {
        let ours = tags.get(&owner_key("stack")) == Some(&d.name)
            && tags.get(&owner_key("component")).map(String::as_str) == Some(COMPONENT);
        match claim::judge(&tags, fp) {
            Owner::Ours if ours => {}
            owner => {
                return Err(ClaimError::Taken {
                    what,
                    owner: if ours { owner } else { Owner::Managed },
                })
            }
        }
    }
    Ok(())
}

/// Ends a successful create: the roots lose their `ode:creating` mark.
pub async fn release_claim(aws: &Aws, d: &Desired, obs: &Observed) -> Result<(), AwsError> {
    let mut futs: Vec<Fut<'_, ()>> = Vec::new();
    if let Some(db) = &obs.db {
        futs.push(Box::pin(async move {
            aws.rds
                .remove_tags_from_resource()
                .resource_name(&db.arn)
                .tag_keys(CREATING_TAG)
                .send()
                .await
                .op("RemoveTagsFromResource")
                .map(|_| ())
        }));
    }
    if let Some(g) = &obs.redis {
        futs.push(Box::pin(async move {
            aws.elasticache
                .remove_tags_from_resource()
                .resource_name(&g.arn)
                .tag_keys(CREATING_TAG)
                .send()
                .await
                .op("RemoveTagsFromResource")
                .map(|_| ())
        }));
    }
    let sg_ids: Vec<String> = obs.sgs.values().map(|s| s.id.clone()).collect();
    if !sg_ids.is_empty() {
        futs.push(Box::pin(async move {
            aws.ec2
                .delete_tags()
                .set_resources(Some(sg_ids))
                .tags(ec2::Tag::builder().key(CREATING_TAG).build())
                .send()
                .await
                .op("DeleteTags")
                .map(|_| ())
        }));
    }
    let done = Desired {
        creating: None,
        ..d.clone()
    };
    for key in obs.buckets.keys() {
        let tags = tier_tags(aws, &done, &format!("bucket/{key}"));
        let name = d.bucket_name(key);
        futs.push(Box::pin(async move {
            s3_tags::put(&aws.s3, &name, &tags).await
        }));
    }
    first_error(round(&Stop::new(), "release", futs).await)
}

// ---------------------------------------------------------------- round 1

async fn ensure_key(aws: &Aws, d: &Desired, obs: &Observed) -> Result<String, AwsError> {
    if let Some(k) = &d.kms_key_arn {
        return Ok(k.clone());
    }
    if let Some(k) = &obs.own_key {
        return Ok(k.clone());
    }
    let tags: Vec<aws_sdk_kms::types::Tag> = tier_tags(aws, d, "kms")
        .into_iter()
        .filter_map(|(k, v)| {
            aws_sdk_kms::types::Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .ok()
        })
        .collect();
    let key = aws
        .kms
        .create_key()
        .description(format!(
            "ODE data tier {}: RDS, Redis, buckets and secrets",
            d.name
        ))
        .set_tags(Some(tags))
        .send()
        .await
        .op("CreateKey")?;
    let meta = key.key_metadata();
    let arn = meta.and_then(|m| m.arn()).unwrap_or_default().to_string();
    aws.kms
        .create_alias()
        .alias_name(d.key_alias())
        .target_key_id(meta.map(|m| m.key_id()).unwrap_or_default())
        .send()
        .await
        .op("CreateAlias")?;
    Ok(arn)
}

/// The ingress a security group of `engine` should have: exactly the allowed sources.
fn wanted_ingress(d: &Desired, port: i32) -> Vec<(i32, String)> {
    let mut v: Vec<(i32, String)> = d
        .allowed_sgs
        .iter()
        .chain(d.allowed_cidrs.iter())
        .map(|s| (port, s.clone()))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn permission(port: i32, source: &str) -> ec2::IpPermission {
    let p = ec2::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port);
    if source.starts_with("sg-") {
        p.user_id_group_pairs(ec2::UserIdGroupPair::builder().group_id(source).build())
    } else if source.contains(':') {
        p.ipv6_ranges(ec2::Ipv6Range::builder().cidr_ipv6(source).build())
    } else {
        p.ip_ranges(ec2::IpRange::builder().cidr_ip(source).build())
    }
    .build()
}

/// Creates the engine's security group if missing and brings its ingress to
/// exactly the allowed sources (what else admits traffic is revoked).
async fn ensure_sg(
    aws: &Aws,
    d: &Desired,
    engine: &str,
    port: i32,
    seen: Option<&SgSeen>,
) -> Result<String, AwsError> {
    let (id, have) = match seen {
        Some(s) => (s.id.clone(), s.ingress.clone()),
        None => {
            let r = aws
                .ec2
                .create_security_group()
                .group_name(d.sg_name(engine))
                .description(format!("ODE data tier {}: {engine} clients", d.name))
                .vpc_id(&d.vpc_id)
                .tag_specifications(ec2_tags::spec(
                    ec2::ResourceType::SecurityGroup,
                    &tier_tags(aws, d, &format!("sg/{engine}")),
                ))
                .send()
                .await
                .op("CreateSecurityGroup")?;
            (r.group_id().unwrap_or_default().to_string(), Vec::new())
        }
    };
    if let Some(s) = seen {
        let tags = tier_tags(aws, d, &format!("sg/{engine}"));
        let have = BTreeMap::from([(s.id.clone(), s.tags.clone())]);
        ec2_tags::retag(&aws.ec2, &Stop::new(), vec![(s.id.clone(), tags)], &have).await?;
    }
    let want = wanted_ingress(d, port);
    let add: Vec<ec2::IpPermission> = want
        .iter()
        .filter(|w| !have.contains(w))
        .map(|(p, s)| permission(*p, s))
        .collect();
    let revoke: Vec<ec2::IpPermission> = have
        .iter()
        .filter(|h| !want.contains(h))
        .map(|(p, s)| permission(*p, s))
        .collect();
    let grant = async {
        if add.is_empty() {
            return Ok(());
        }
        aws.ec2
            .authorize_security_group_ingress()
            .group_id(&id)
            .set_ip_permissions(Some(add))
            .send()
            .await
            .op("AuthorizeSecurityGroupIngress")
            .map(|_| ())
    };
    let take = async {
        if revoke.is_empty() {
            return Ok(());
        }
        aws.ec2
            .revoke_security_group_ingress()
            .group_id(&id)
            .set_ip_permissions(Some(revoke))
            .send()
            .await
            .op("RevokeSecurityGroupIngress")
            .map(|_| ())
    };
    tokio::try_join!(grant, take)?;
    Ok(id)
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

async fn ensure_db_subnet_group(aws: &Aws, d: &Desired, obs: &Observed) -> Result<(), AwsError> {
    match &obs.db_subnet_group {
        Some(have) if *have == sorted(&d.subnet_ids) => Ok(()),
        Some(_) => aws
            .rds
            .modify_db_subnet_group()
            .db_subnet_group_name(d.db_id())
            .set_subnet_ids(Some(d.subnet_ids.clone()))
            .send()
            .await
            .op("ModifyDBSubnetGroup")
            .map(|_| ()),
        None => aws
            .rds
            .create_db_subnet_group()
            .db_subnet_group_name(d.db_id())
            .db_subnet_group_description(format!("ODE data tier {}", d.name))
            .set_subnet_ids(Some(d.subnet_ids.clone()))
            .set_tags(Some(rds_tags(&tier_tags(aws, d, "subnets/postgres"))))
            .send()
            .await
            .op("CreateDBSubnetGroup")
            .map(|_| ()),
    }
}

async fn ensure_cache_subnet_group(aws: &Aws, d: &Desired, obs: &Observed) -> Result<(), AwsError> {
    match &obs.cache_subnet_group {
        Some(have) if *have == sorted(&d.subnet_ids) => Ok(()),
        Some(_) => aws
            .elasticache
            .modify_cache_subnet_group()
            .cache_subnet_group_name(d.rg_id())
            .set_subnet_ids(Some(d.subnet_ids.clone()))
            .send()
            .await
            .op("ModifyCacheSubnetGroup")
            .map(|_| ()),
        None => aws
            .elasticache
            .create_cache_subnet_group()
            .cache_subnet_group_name(d.rg_id())
            .cache_subnet_group_description(format!("ODE data tier {}", d.name))
            .set_subnet_ids(Some(d.subnet_ids.clone()))
            .set_tags(Some(cache_tags(&tier_tags(aws, d, "subnets/redis"))))
            .send()
            .await
            .op("CreateCacheSubnetGroup")
            .map(|_| ()),
    }
}

async fn ensure_pg_parameters(aws: &Aws, d: &Desired, obs: &Observed) -> Result<(), AwsError> {
    let group = d.pg_parameter_group();
    let have = match &obs.pg_parameters {
        Some(h) => h.clone(),
        None => {
            aws.rds
                .create_db_parameter_group()
                .db_parameter_group_name(&group)
                .db_parameter_group_family(d.pg_family())
                .description(format!("ODE data tier {}", d.name))
                .set_tags(Some(rds_tags(&tier_tags(aws, d, "parameters/postgres"))))
                .send()
                .await
                .op("CreateDBParameterGroup")?;
            BTreeMap::new()
        }
    };
    let method = if d.postgres.apply_immediately {
        rds::ApplyMethod::Immediate
    } else {
        rds::ApplyMethod::PendingReboot
    };
    let set: Vec<rds::Parameter> = d
        .postgres
        .parameters
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| {
            rds::Parameter::builder()
                .parameter_name(k)
                .parameter_value(v)
                .apply_method(method.clone())
                .build()
        })
        .collect();
    let reset: Vec<rds::Parameter> = have
        .keys()
        .filter(|k| !d.postgres.parameters.contains_key(*k))
        .map(|k| {
            rds::Parameter::builder()
                .parameter_name(k)
                .apply_method(method.clone())
                .build()
        })
        .collect();
    // RDS takes at most 20 parameters per call.
    for chunk in set.chunks(20) {
        aws.rds
            .modify_db_parameter_group()
            .db_parameter_group_name(&group)
            .set_parameters(Some(chunk.to_vec()))
            .send()
            .await
            .op("ModifyDBParameterGroup")?;
    }
    for chunk in reset.chunks(20) {
        aws.rds
            .reset_db_parameter_group()
            .db_parameter_group_name(&group)
            .set_parameters(Some(chunk.to_vec()))
            .send()
            .await
            .op("ResetDBParameterGroup")?;
    }
    Ok(())
}

async fn ensure_redis_parameters(aws: &Aws, d: &Desired, obs: &Observed) -> Result<(), AwsError> {
    let group = d.redis_parameter_group();
    let have = match &obs.redis_parameters {
        Some(h) => h.clone(),
        None => {
            aws.elasticache
                .create_cache_parameter_group()
                .cache_parameter_group_name(&group)
                .cache_parameter_group_family(d.redis_family())
                .description(format!("ODE data tier {}", d.name))
                .set_tags(Some(cache_tags(&tier_tags(aws, d, "parameters/redis"))))
                .send()
                .await
                .op("CreateCacheParameterGroup")?;
            BTreeMap::new()
        }
    };
    let set: Vec<ecache::ParameterNameValue> = d
        .redis
        .parameters
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| {
            ecache::ParameterNameValue::builder()
                .parameter_name(k)
                .parameter_value(v)
                .build()
        })
        .collect();
    let reset: Vec<ecache::ParameterNameValue> = have
        .keys()
        .filter(|k| !d.redis.parameters.contains_key(*k))
        .map(|k| {
            ecache::ParameterNameValue::builder()
                .parameter_name(k)
                .build()
        })
        .collect();
    if !set.is_empty() {
        aws.elasticache
            .modify_cache_parameter_group()
            .cache_parameter_group_name(&group)
            .set_parameter_name_values(Some(set))
            .send()
            .await
            .op("ModifyCacheParameterGroup")?;
    }
    if !reset.is_empty() {
        aws.elasticache
            .reset_cache_parameter_group()
            .cache_parameter_group_name(&group)
            .set_parameter_name_values(Some(reset))
            .send()
            .await
            .op("ResetCacheParameterGroup")?;
    }
    Ok(())
}

/// A new AUTH token: 48 characters from an alphabet Redis accepts.
fn new_token() -> Result<String, AwsError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 48];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| {
        AwsError::new(
            "CreateSecret",
            "RandomFailed",
            "the system could not supply random bytes",
        )
    })?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// The AUTH token Redis is to be created with: the user's, or the generated one
/// (kept in Secrets Manager, created here when missing). Read from the secret
/// only when the replication group is still to be created.
async fn ensure_token(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
    key: &str,
) -> Result<Option<String>, AwsError> {
    match &d.redis.auth_token {
        AuthToken::None => Ok(None),
        AuthToken::Given(t) => Ok(Some(t.clone()).filter(|t| !t.is_empty())),
        AuthToken::Generated => {
            if obs.auth_secret_arn.is_some() {
                if obs.redis.is_some() {
                    return Ok(None);
                }
                let v = aws
                    .secretsmanager
                    .get_secret_value()
                    .secret_id(d.auth_secret_name())
                    .send()
                    .await
                    .op("GetSecretValue")?;
                return Ok(v.secret_string().map(str::to_string));
            }
            let token = new_token()?;
            let tags = tier_tags(aws, d, "secret/redis-auth")
                .into_iter()
                .map(|(k, v)| {
                    aws_sdk_secretsmanager::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                })
                .collect();
            aws.secretsmanager
                .create_secret()
                .name(d.auth_secret_name())
                .description(format!("Redis AUTH token of the ODE data tier {}", d.name))
                .kms_key_id(key)
                .secret_string(&token)
                .set_tags(Some(tags))
                .send()
                .await
                .op("CreateSecret")?;
            Ok(Some(token))
        }
    }
}

fn bucket_tags_for(aws: &Aws, d: &Desired, key: &str) -> Tags {
    tier_tags(aws, d, &format!("bucket/{key}"))
}

async fn ensure_bucket(
    aws: &Aws,
    d: &Desired,
    key: &str,
    spec: &BucketSpec,
    seen: Option<&BucketSeen>,
    kms: &str,
) -> Result<(), AwsError> {
    let name = d.bucket_name(key);
    let tags = bucket_tags_for(aws, d, key);
    let want = bucket::Settings {
        bucket: &name,
        kms_key_arn: spec.kms.then_some(kms),
        versioning: spec.versioning,
        tags: &tags,
        lifecycle: Some(spec.lifecycle.clone()),
    };
    let fixes = match seen {
        Some(seen) => bucket::Fixes::needed(&want, seen),
        None => {
            bucket::create(aws, &name).await.map_err(|e| {
                if e.is_code(&["BucketAlreadyExists"]) {
                    AwsError::new(
                        "CreateBucket",
                        "BucketAlreadyExists",
                        format!("bucket names are global and {name} belongs to another account; rename the tier or the bucket key"),
                    )
                } else {
                    e
                }
            })?;
            bucket::Fixes::fresh(&want)
        }
    };
    if fixes.any() {
        bucket::configure(aws, &want, &fixes, seen.and_then(|s| s.policy.as_deref())).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- round 2

fn db_waiter(d: &Desired, what: &str, deadline: Instant) -> Waiter {
    Waiter::new(
        "DescribeDBInstances",
        format!("DB instance {} to {what}", d.db_id()),
        deadline,
    )
}

async fn wait_db_available(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    deadline: Instant,
) -> Result<(), AwsError> {
    let id = d.db_id();
    db_waiter(d, "become available", deadline)
        .wait(stop, || async {
            let r = aws
                .rds
                .describe_db_instances()
                .db_instance_identifier(&id)
                .send()
                .await
                .op("DescribeDBInstances")?;
            let status = r
                .db_instances()
                .first()
                .and_then(|i| i.db_instance_status())
                .unwrap_or("not visible yet")
                .to_string();
            Ok(match status.as_str() {
                "available" => Status::Ready(()),
                "failed"
                | "incompatible-parameters"
                | "incompatible-restore"
                | "incompatible-network"
                | "storage-full"
                | "inaccessible-encryption-credentials" => Status::Failed(status),
                _ => Status::Pending(status),
            })
        })
        .await
}

async fn wait_redis_available(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    deadline: Instant,
) -> Result<(), AwsError> {
    let id = d.rg_id();
    Waiter::new(
        "DescribeReplicationGroups",
        format!("replication group {id} to become available"),
        deadline,
    )
    .wait(stop, || async {
        let r = aws
            .elasticache
            .describe_replication_groups()
            .replication_group_id(&id)
            .send()
            .await
            .op("DescribeReplicationGroups")?;
        let status = r
            .replication_groups()
            .first()
            .and_then(|g| g.status())
            .unwrap_or("not visible yet")
            .to_string();
        Ok(match status.as_str() {
            "available" => Status::Ready(()),
            "create-failed" => Status::Failed(status),
            _ => Status::Pending(status),
        })
    })
    .await
}

async fn create_db(aws: &Aws, d: &Desired, sg: &str, key: &str) -> Result<(), AwsError> {
    let p = &d.postgres;
    let tags = rds_tags(&tier_tags(aws, d, "postgres"));
    if let Some(snapshot) = &p.restore_from_snapshot {
        // Everything the create passes that a restore takes; the rest goes in a
        // modification once the restored instance is available: the maintenance
        // window, Performance Insights, storage autoscaling, and the password (a
        // restore manages the master password only for Oracle, so RDS is asked to
        // manage it, under the tier's key, by ModifyDBInstance).
        aws.rds
            .restore_db_instance_from_db_snapshot()
            .db_instance_identifier(d.db_id())
            .db_snapshot_identifier(snapshot)
            .db_instance_class(&p.instance_class)
            .allocated_storage(p.allocated_storage)
            .storage_type(&p.storage_type)
            .port(5432)
            .multi_az(p.multi_az)
            .db_subnet_group_name(d.db_id())
            .db_parameter_group_name(d.pg_parameter_group())
            .vpc_security_group_ids(sg)
            .publicly_accessible(false)
            .auto_minor_version_upgrade(p.auto_minor_version_upgrade)
            .deletion_protection(p.deletion_protection)
            .backup_retention_period(p.backup_retention_days)
            .preferred_backup_window(&p.backup_window)
            .copy_tags_to_snapshot(true)
            .set_tags(Some(tags))
            .send()
            .await
            .op("RestoreDBInstanceFromDBSnapshot")?;
        return Ok(());
    }
    let mut req = aws
        .rds
        .create_db_instance()
        .db_instance_identifier(d.db_id())
        .engine("postgres")
        .engine_version(&p.engine_version)
        .db_instance_class(&p.instance_class)
        .allocated_storage(p.allocated_storage)
        .set_max_allocated_storage(p.max_allocated_storage)
        .storage_type(&p.storage_type)
        .storage_encrypted(true)
        .kms_key_id(key)
        .multi_az(p.multi_az)
        .db_name(&p.database_name)
        .master_username(&p.username)
        .port(5432)
        .backup_retention_period(p.backup_retention_days)
        .preferred_backup_window(&p.backup_window)
        .preferred_maintenance_window(&p.maintenance_window)
        .deletion_protection(p.deletion_protection)
        .db_subnet_group_name(d.db_id())
        .db_parameter_group_name(d.pg_parameter_group())
        .vpc_security_group_ids(sg)
        .publicly_accessible(false)
        .enable_performance_insights(p.performance_insights)
        .auto_minor_version_upgrade(p.auto_minor_version_upgrade)
        .copy_tags_to_snapshot(true)
        .set_tags(Some(tags));
    req = match &p.password {
        Password::Managed => req
            .manage_master_user_password(true)
            .master_user_secret_kms_key_id(key),
        Password::Given(pw) => req.master_user_password(pw),
    };
    req.send().await.op("CreateDBInstance")?;
    Ok(())
}

/// What to change on an existing instance (None when nothing differs).
/// `password_changed`: the user's password changed since the last apply.
fn db_modification(
    aws: &Aws,
    d: &Desired,
    seen: &DbSeen,
    sg: &str,
    key: &str,
    password_changed: bool,
) -> Option<aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder> {
    let p = &d.postgres;
    let effective = |k: &str, now: String| {
        seen.pending
            .get(&format!("postgres.{k}"))
            .cloned()
            .unwrap_or(now)
    };
    let mut m = aws
        .rds
        .modify_db_instance()
        .db_instance_identifier(d.db_id())
        .apply_immediately(p.apply_immediately);
    let mut any = false;
    if effective("instance_class", seen.instance_class.clone()) != p.instance_class {
        m = m.db_instance_class(&p.instance_class);
        any = true;
    }
    if effective("allocated_storage", seen.allocated_storage.to_string())
        != p.allocated_storage.to_string()
    {
        m = m.allocated_storage(p.allocated_storage);
        any = true;
    }
    if effective("storage_type", seen.storage_type.clone()) != p.storage_type {
        m = m.storage_type(&p.storage_type);
        any = true;
    }
    if effective("multi_az", seen.multi_az.to_string()) != p.multi_az.to_string() {
        m = m.multi_az(p.multi_az);
        any = true;
    }
    let version = effective("engine_version", seen.engine_version.clone());
    if !version_satisfies(&version, &p.engine_version, p.auto_minor_version_upgrade) {
        let major = |v: &str| v.split('.').next().unwrap_or_default().to_string();
        m = m
            .engine_version(&p.engine_version)
            .allow_major_version_upgrade(major(&version) != major(&p.engine_version));
        if major(&version) != major(&p.engine_version) {
            m = m.db_parameter_group_name(d.pg_parameter_group());
        }
        any = true;
    }
    if seen.max_allocated_storage != p.max_allocated_storage {
        // Zero turns storage autoscaling off.
        m = m.max_allocated_storage(p.max_allocated_storage.unwrap_or(0));
        any = true;
    }
    if effective(
        "backup_retention_days",
        seen.backup_retention_days.to_string(),
    ) != p.backup_retention_days.to_string()
    {
        m = m.backup_retention_period(p.backup_retention_days);
        any = true;
    }
    if seen.backup_window != p.backup_window {
        m = m.preferred_backup_window(&p.backup_window);
        any = true;
    }
    if seen.maintenance_window != p.maintenance_window.to_lowercase() {
        m = m.preferred_maintenance_window(&p.maintenance_window);
        any = true;
    }
    if seen.deletion_protection != p.deletion_protection {
        m = m.deletion_protection(p.deletion_protection);
        any = true;
    }
    if seen.performance_insights != p.performance_insights {
        m = m.enable_performance_insights(p.performance_insights);
        any = true;
    }
    if seen.auto_minor_version_upgrade != p.auto_minor_version_upgrade {
        m = m.auto_minor_version_upgrade(p.auto_minor_version_upgrade);
        any = true;
    }
    if seen.publicly_accessible {
        m = m.publicly_accessible(false);
        any = true;
    }
    if seen.parameter_group != d.pg_parameter_group() {
        m = m.db_parameter_group_name(d.pg_parameter_group());
        any = true;
    }
    if seen.security_groups != [sg.to_string()] {
        m = m.vpc_security_group_ids(sg);
        any = true;
    }
    match (&p.password, seen.master_secret_arn.is_some()) {
        (Password::Managed, false) => {
            m = m
                .manage_master_user_password(true)
                .master_user_secret_kms_key_id(key);
            any = true;
        }
        (Password::Given(pw), managed) if !pw.is_empty() && (managed || password_changed) => {
            if managed {
                m = m.manage_master_user_password(false);
            }
            m = m.master_user_password(pw);
            any = true;
        }
        _ => {}
    }
    any.then_some(m)
}

/// Whether version `to` is older than `from` (numerically, part by part).
pub fn is_downgrade(from: &str, to: &str) -> bool {
    let parts = |v: &str| -> Vec<u32> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
    parts(to) < parts(from)
}

/// Whether the running version `have` satisfies the configured `want`: equal,
/// or (with automatic minor upgrades) a later minor of the same major.
pub fn version_satisfies(have: &str, want: &str, auto_minor: bool) -> bool {
    if have == want {
        return true;
    }
    let parts = |v: &str| -> Vec<u32> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
    let (h, w) = (parts(have), parts(want));
    auto_minor && !h.is_empty() && h.first() == w.first() && h >= w
}

async fn create_redis(
    aws: &Aws,
    d: &Desired,
    sg: &str,
    key: &str,
    token: Option<String>,
) -> Result<(), AwsError> {
    let r = &d.redis;
    aws.elasticache
        .create_replication_group()
        .replication_group_id(d.rg_id())
        .replication_group_description(format!("ODE data tier {}", d.name))
        .engine("redis")
        .engine_version(&r.engine_version)
        .cache_node_type(&r.node_type)
        .num_cache_clusters(r.num_cache_clusters)
        .automatic_failover_enabled(r.automatic_failover)
        .multi_az_enabled(r.multi_az)
        .at_rest_encryption_enabled(r.at_rest_encryption)
        .set_kms_key_id(r.at_rest_encryption.then(|| key.to_string()))
        .transit_encryption_enabled(r.transit_encryption)
        .set_auth_token(token)
        .cache_subnet_group_name(d.rg_id())
        .cache_parameter_group_name(d.redis_parameter_group())
        .security_group_ids(sg)
        .snapshot_retention_limit(r.snapshot_retention_days)
        .snapshot_window(&r.snapshot_window)
        .preferred_maintenance_window(&r.maintenance_window)
        .port(6379)
        .set_tags(Some(cache_tags(&tier_tags(aws, d, "redis"))))
        .send()
        .await
        .op("CreateReplicationGroup")?;
    Ok(())
}

/// Brings an existing replication group to `d` (in place); `token` is a new
/// AUTH token to rotate to.
#[allow(clippy::too_many_arguments)]
async fn modify_redis(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    seen: &RedisSeen,
    sg: &str,
    token: Option<String>,
    deadline: Instant,
) -> Result<(), AwsError> {
    let r = &d.redis;
    let mut m = aws
        .elasticache
        .modify_replication_group()
        .replication_group_id(d.rg_id())
        .apply_immediately(true);
    let mut any = false;
    if seen.node_type != r.node_type {
        m = m.cache_node_type(&r.node_type);
        any = true;
    }
    if seen.automatic_failover != r.automatic_failover {
        m = m.automatic_failover_enabled(r.automatic_failover);
        any = true;
    }
    if seen.multi_az != r.multi_az {
        m = m.multi_az_enabled(r.multi_az);
        any = true;
    }
    if seen.snapshot_retention_days != r.snapshot_retention_days {
        m = m.snapshot_retention_limit(r.snapshot_retention_days);
        any = true;
    }
    if seen.snapshot_window != r.snapshot_window {
        m = m.snapshot_window(&r.snapshot_window);
        any = true;
    }
    // What only the group's members show (see `member_settings`); empty when no
    // member could be read, and then left as it is.
    if !seen.engine_version.is_empty()
        && !version_satisfies(&seen.engine_version, &r.engine_version, true)
    {
        m = m.engine_version(&r.engine_version);
        any = true;
    }
    if !seen.maintenance_window.is_empty()
        && seen.maintenance_window != r.maintenance_window.to_lowercase()
    {
        m = m.preferred_maintenance_window(&r.maintenance_window);
        any = true;
    }
    let group = d.redis_parameter_group();
    if !seen.parameter_group.is_empty() && seen.parameter_group != group {
        m = m.cache_parameter_group_name(&group);
        any = true;
    }
    if !seen.engine_version.is_empty() && seen.security_groups != [sg.to_string()] {
        m = m.security_group_ids(sg);
        any = true;
    }
    if let Some(t) = token {
        m = m
            .auth_token(t)
            .auth_token_update_strategy(ecache::AuthTokenUpdateStrategyType::Rotate);
        any = true;
    }
    if any {
        m.send().await.op("ModifyReplicationGroup")?;
        wait_redis_available(aws, stop, d, deadline).await?;
        // A new major version moved the group to its family's parameter group: the
        // tier's group of the old family serves nothing now.
        let old = &seen.parameter_group;
        if old != &group && old.starts_with(&format!("{}-redis", d.name)) {
            found(
                aws.elasticache
                    .delete_cache_parameter_group()
                    .cache_parameter_group_name(old)
                    .send()
                    .await
                    .op("DeleteCacheParameterGroup"),
                &["CacheParameterGroupNotFound"],
            )?;
        }
    }
    if seen.members != r.num_cache_clusters {
        let replicas = r.num_cache_clusters - 1;
        if seen.members < r.num_cache_clusters {
            aws.elasticache
                .increase_replica_count()
                .replication_group_id(d.rg_id())
                .new_replica_count(replicas)
                .apply_immediately(true)
                .send()
                .await
                .op("IncreaseReplicaCount")?;
        } else {
            aws.elasticache
                .decrease_replica_count()
                .replication_group_id(d.rg_id())
                .new_replica_count(replicas)
                .apply_immediately(true)
                .send()
                .await
                .op("DecreaseReplicaCount")?;
        }
        wait_redis_available(aws, stop, d, deadline).await?;
    }
    Ok(())
}

/// What changed since the last apply that AWS cannot show (from prior and
/// planned state): a password or token given again, tags Redis does not report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Changes {
    pub password: bool,
    pub auth_token: bool,
    pub tags: bool,
}

/// Brings an RDS resource's tags from `have` to `want`.
async fn retag_rds(aws: &Aws, arn: &str, have: &Tags, want: &Tags) -> Result<(), AwsError> {
    let (set, remove) = kit::tags::diff(have, want);
    if !set.is_empty() {
        aws.rds
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(rds_tags(&set)))
            .send()
            .await
            .op("AddTagsToResource")?;
    }
    if !remove.is_empty() {
        aws.rds
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .op("RemoveTagsFromResource")?;
    }
    Ok(())
}

/// The tags of an ElastiCache resource.
async fn cache_tags_of(aws: &Aws, arn: &str) -> Result<Tags, AwsError> {
    Ok(aws
        .elasticache
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .op("ListTagsForResource")?
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// The tags of an RDS resource.
async fn rds_tags_of(aws: &Aws, arn: &str) -> Result<Tags, AwsError> {
    Ok(aws
        .rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .op("ListTagsForResource")?
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// Brings an ElastiCache resource's tags to `want` (read first: Describe does
/// not report them).
async fn retag_cache(aws: &Aws, arn: &str, want: &Tags) -> Result<(), AwsError> {
    let have = cache_tags_of(aws, arn).await?;
    let (set, remove) = kit::tags::diff(&have, want);
    if !set.is_empty() {
        aws.elasticache
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(cache_tags(&set)))
            .send()
            .await
            .op("AddTagsToResource")?;
    }
    if !remove.is_empty() {
        aws.elasticache
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .op("RemoveTagsFromResource")?;
    }
    Ok(())
}

/// Create, update and drift repair. Returns the errors of the objects that
/// could not be brought to `d` (the caller reads back what exists).
pub async fn reconcile(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    changes: Changes,
    deadline: Instant,
) -> Result<Vec<AwsError>, ClaimError> {
    let obs = read(aws, d).await?;
    check_claim(aws, d, &obs).await?;
    let key = ensure_key(aws, d, &obs).await?;
    if stop.is_stopped() {
        return Ok(vec![AwsError::stopped("CreateSecurityGroup")]);
    }

    // Round 1: everything the database and Redis stand on.
    let (obs, key) = (&obs, key.as_str());
    let sgs = futures::future::join_all(
        ENGINES
            .iter()
            .map(|(e, port)| ensure_sg(aws, d, e, *port, obs.sgs.get(*e))),
    );
    let bucket_futs: Vec<Fut<'_, ()>> = d
        .buckets
        .iter()
        .map(|(k, spec)| -> Fut<'_, ()> {
            Box::pin(ensure_bucket(aws, d, k, spec, obs.buckets.get(k), key))
        })
        .collect();
    let (sgs, db_subnets, cache_subnets, pg_params, redis_params, token, bucket_errs) = tokio::join!(
        sgs,
        ensure_db_subnet_group(aws, d, obs),
        ensure_cache_subnet_group(aws, d, obs),
        ensure_pg_parameters(aws, d, obs),
        ensure_redis_parameters(aws, d, obs),
        ensure_token(aws, d, obs, key),
        round(stop, "CreateBucket", bucket_futs),
    );
    let mut errs = bucket_errs;
    let mut sg_ids = BTreeMap::new();
    for ((engine, _), r) in ENGINES.iter().zip(sgs) {
        match r {
            Ok(id) => {
                sg_ids.insert(*engine, id);
            }
            Err(e) => errs.push(e),
        }
    }
    let token = match token {
        Ok(t) => t,
        Err(e) => {
            errs.push(e);
            None
        }
    };
    let db_ready = [db_subnets, pg_params]
        .into_iter()
        .filter_map(Result::err)
        .collect::<Vec<_>>();
    let redis_ready = [cache_subnets, redis_params]
        .into_iter()
        .filter_map(Result::err)
        .collect::<Vec<_>>();
    let (db_ok, redis_ok) = (db_ready.is_empty(), redis_ready.is_empty());
    errs.extend(db_ready);
    errs.extend(redis_ready);
    if stop.is_stopped() {
        errs.push(AwsError::stopped("CreateDBInstance"));
        return Ok(errs);
    }

    // Round 2: the database and Redis, each with its own waiter.
    let db = async {
        let Some(sg) = sg_ids.get("postgres").filter(|_| db_ok) else {
            return Ok(());
        };
        match &obs.db {
            None => {
                create_db(aws, d, sg, key).await?;
                wait_db_available(aws, stop, d, deadline).await?;
                if d.postgres.restore_from_snapshot.is_none() {
                    return Ok(());
                }
                let Some(seen) = describe_db(aws, d).await? else {
                    return Ok(());
                };
                let given = matches!(d.postgres.password, Password::Given(_));
                match db_modification(aws, d, &seen, sg, key, given) {
                    Some(m) => {
                        m.apply_immediately(true)
                            .send()
                            .await
                            .op("ModifyDBInstance")?;
                        wait_db_available(aws, stop, d, deadline).await
                    }
                    None => Ok(()),
                }
            }
            Some(seen) => {
                if seen.status != "available" {
                    wait_db_available(aws, stop, d, deadline).await?;
                }
                retag_rds(aws, &seen.arn, &seen.tags, &tier_tags(aws, d, "postgres")).await?;
                if changes.tags {
                    // The subnet and parameter groups (their Describe calls carry no tags).
                    let prefix = seen.arn.rsplit_once(":db:").map_or("", |(p, _)| p);
                    for (kind, name, key) in [
                        ("subgrp", d.db_id(), "subnets/postgres"),
                        ("pg", d.pg_parameter_group(), "parameters/postgres"),
                    ] {
                        let arn = format!("{prefix}:{kind}:{name}");
                        let have = rds_tags_of(aws, &arn).await?;
                        retag_rds(aws, &arn, &have, &tier_tags(aws, d, key)).await?;
                    }
                }
                match db_modification(aws, d, seen, sg, key, changes.password) {
                    Some(m) => {
                        m.send().await.op("ModifyDBInstance")?;
                        wait_db_available(aws, stop, d, deadline).await
                    }
                    None => Ok(()),
                }
            }
        }
    };
    let redis = async {
        let Some(sg) = sg_ids.get("redis").filter(|_| redis_ok) else {
            return Ok(());
        };
        match &obs.redis {
            None => {
                create_redis(aws, d, sg, key, token.clone()).await?;
                wait_redis_available(aws, stop, d, deadline).await
            }
            Some(seen) => {
                if seen.status != "available" {
                    wait_redis_available(aws, stop, d, deadline).await?;
                }
                if changes.tags {
                    retag_cache(aws, &seen.arn, &tier_tags(aws, d, "redis")).await?;
                    let prefix = seen
                        .arn
                        .rsplit_once(":replicationgroup:")
                        .map_or("", |(p, _)| p);
                    for (kind, name, key) in [
                        ("subnetgroup", d.rg_id(), "subnets/redis"),
                        (
                            "parametergroup",
                            d.redis_parameter_group(),
                            "parameters/redis",
                        ),
                    ] {
                        let arn = format!("{prefix}:{kind}:{name}");
                        retag_cache(aws, &arn, &tier_tags(aws, d, key)).await?;
                    }
                }
                let rotate = token.clone().filter(|_| changes.auth_token);
                modify_redis(aws, stop, d, seen, sg, rotate, deadline).await
            }
        }
    };
    let (db, redis) = tokio::join!(db, redis);
    errs.extend(db.err());
    errs.extend(redis.err());
    Ok(errs)
}

// ----------------------------------------------------------------- delete

/// Why destroy must not start: said before anything is deleted.
pub fn refusals(
    d: &Desired,
    obs: &Observed,
    objects: &BTreeMap<String, usize>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if obs.db.as_ref().is_some_and(|db| db.deletion_protection) {
        out.push((
            "postgres".to_string(),
            format!(
                "The DB instance {} has deletion protection on. Set `postgres {{ deletion_protection = false }}`, run apply, then destroy again.",
                d.db_id()
            ),
        ));
    }
    if !d.force_destroy {
        for (key, n) in objects.iter().filter(|(_, n)| **n > 0) {
            out.push((
                "force_destroy".to_string(),
                format!(
                    "Bucket {} still holds {n}{} object versions. Empty it, or set `force_destroy = true` and apply, then destroy again.",
                    d.bucket_name(key),
                    if *n >= 1000 { "+" } else { "" }
                ),
            ));
        }
    }
    out
}

/// The keys of the tier's buckets, for an import: buckets named `<name>-<key>`
/// whose tags say this tier made them.
pub async fn bucket_keys(aws: &Aws, name: &str) -> Result<Vec<String>, AwsError> {
    let prefix = format!("{name}-");
    let listed = aws
        .s3
        .list_buckets()
        .prefix(&prefix)
        .send()
        .await
        .op("ListBuckets")?;
    let candidates: Vec<String> = listed
        .buckets()
        .iter()
        .filter_map(|b| b.name())
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    let tagged = futures::future::join_all(candidates.iter().map(|b| async move {
        let tags = found(s3_tags::get(&aws.s3, b).await, &["NoSuchBucket"])?.unwrap_or_default();
        let ours = tags.get(&owner_key("stack")).map(String::as_str) == Some(name)
            && tags.get(&owner_key("component")).map(String::as_str) == Some(COMPONENT);
        Ok::<_, AwsError>(
            tags.get(&owner_key("key"))
                .and_then(|k| k.strip_prefix("bucket/"))
                .filter(|_| ours)
                .map(str::to_string),
        )
    }))
    .await;
    let mut keys = Vec::new();
    for k in tagged {
        keys.extend(k?);
    }
    keys.sort();
    Ok(keys)
}

/// Object versions in each bucket of the tier (a page at most).
pub async fn bucket_contents(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
) -> Result<BTreeMap<String, usize>, AwsError> {
    let counts = futures::future::join_all(obs.buckets.keys().map(|k| async move {
        let n = bucket::count_versions(aws, &d.bucket_name(k)).await?;
        Ok::<_, AwsError>((k.clone(), n.unwrap_or(0)))
    }))
    .await;
    counts.into_iter().collect()
}

/// The identifier of a final snapshot taken now.
pub fn final_snapshot_id(d: &Desired) -> String {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_default();
    format!("{}-final-{stamp}", d.db_id())
}

/// Deletes the tier; `snapshot` is the final snapshot's identifier (None: skip).
pub async fn delete(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    obs: &Observed,
    snapshot: Option<&str>,
    deadline: Instant,
) -> Vec<AwsError> {
    // The database and Redis first, together.
    let db = async {
        if obs.db.is_none() {
            return Ok(());
        }
        let r = aws
            .rds
            .delete_db_instance()
            .db_instance_identifier(d.db_id())
            .skip_final_snapshot(snapshot.is_none())
            .set_final_db_snapshot_identifier(snapshot.map(str::to_string))
            .delete_automated_backups(true)
            .send()
            .await
            .op("DeleteDBInstance");
        match r {
            Err(e) if e.is_not_found() => return Ok(()),
            // Already being deleted (an earlier, interrupted destroy): wait for it.
            Err(e) if e.is_code(&["InvalidDBInstanceState"]) => {}
            other => {
                other?;
            }
        }
        let id = d.db_id();
        db_waiter(d, "be deleted", deadline)
            .wait(stop, || async {
                let r = aws
                    .rds
                    .describe_db_instances()
                    .db_instance_identifier(&id)
                    .send()
                    .await
                    .op("DescribeDBInstances");
                Ok(
                    match found(r, &["DBInstanceNotFound", "DBInstanceNotFoundFault"])? {
                        None => Status::Ready(()),
                        Some(r) => Status::Pending(
                            r.db_instances()
                                .first()
                                .and_then(|i| i.db_instance_status())
                                .unwrap_or("deleting")
                                .to_string(),
                        ),
                    },
                )
            })
            .await
    };
    let redis = async {
        if obs.redis.is_none() {
            return Ok(());
        }
        let r = aws
            .elasticache
            .delete_replication_group()
            .replication_group_id(d.rg_id())
            .retain_primary_cluster(false)
            .send()
            .await
            .op("DeleteReplicationGroup");
        match r {
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) if e.is_code(&["InvalidReplicationGroupState"]) => {}
            other => {
                other?;
            }
        }
        let id = d.rg_id();
        Waiter::new(
            "DescribeReplicationGroups",
            format!("replication group {id} to be deleted"),
            deadline,
        )
        .wait(stop, || async {
            let r = aws
                .elasticache
                .describe_replication_groups()
                .replication_group_id(&id)
                .send()
                .await
                .op("DescribeReplicationGroups");
            Ok(match found(r, &["ReplicationGroupNotFoundFault"])? {
                None => Status::Ready(()),
                Some(r) => Status::Pending(
                    r.replication_groups()
                        .first()
                        .and_then(|g| g.status())
                        .unwrap_or("deleting")
                        .to_string(),
                ),
            })
        })
        .await
    };
    let (db, redis) = tokio::join!(db, redis);
    let errs: Vec<AwsError> = [db.err(), redis.err()].into_iter().flatten().collect();
    if !errs.is_empty() {
        return errs;
    }

    // Then what they stood on, together.
    let mut futs: Vec<Fut<'_, ()>> = Vec::new();
    for sg in obs.sgs.values() {
        futs.push(Box::pin(async move {
            kit::delete(stop, deadline, || async {
                aws.ec2
                    .delete_security_group()
                    .group_id(&sg.id)
                    .send()
                    .await
                    .op("DeleteSecurityGroup")
                    .map(|_| ())
            })
            .await
        }));
    }
    if obs.db_subnet_group.is_some() {
        futs.push(Box::pin(kit::delete(stop, deadline, || async {
            aws.rds
                .delete_db_subnet_group()
                .db_subnet_group_name(d.db_id())
                .send()
                .await
                .op("DeleteDBSubnetGroup")
                .map(|_| ())
        })));
    }
    if obs.cache_subnet_group.is_some() {
        futs.push(Box::pin(kit::delete(stop, deadline, || async {
            aws.elasticache
                .delete_cache_subnet_group()
                .cache_subnet_group_name(d.rg_id())
                .send()
                .await
                .op("DeleteCacheSubnetGroup")
                .map(|_| ())
        })));
    }
    if obs.pg_parameters.is_some() {
        futs.push(Box::pin(kit::delete(stop, deadline, || async {
            aws.rds
                .delete_db_parameter_group()
                .db_parameter_group_name(d.pg_parameter_group())
                .send()
                .await
                .op("DeleteDBParameterGroup")
                .map(|_| ())
        })));
    }
    if obs.redis_parameters.is_some() {
        futs.push(Box::pin(kit::delete(stop, deadline, || async {
            aws.elasticache
                .delete_cache_parameter_group()
                .cache_parameter_group_name(d.redis_parameter_group())
                .send()
                .await
                .op("DeleteCacheParameterGroup")
                .map(|_| ())
        })));
    }
    if obs.auth_secret_arn.is_some() {
        futs.push(Box::pin(kit::delete(stop, deadline, || async {
            aws.secretsmanager
                .delete_secret()
                .secret_id(d.auth_secret_name())
                .force_delete_without_recovery(true)
                .send()
                .await
                .op("DeleteSecret")
                .map(|_| ())
        })));
    }
    for key in obs.buckets.keys() {
        let name = d.bucket_name(key);
        futs.push(Box::pin(async move {
            if d.force_destroy {
                bucket::empty(aws, stop, &name, deadline).await?;
            }
            kit::delete(stop, deadline, || async {
                aws.s3
                    .delete_bucket()
                    .bucket(&name)
                    .send()
                    .await
                    .op("DeleteBucket")
                    .map(|_| ())
            })
            .await
        }));
    }
    let errs = round(stop, "delete", futs).await;
    if !errs.is_empty() {
        return errs;
    }
    // The key last, and only when no final snapshot needs it: a snapshot is
    // encrypted with the tier's key and cannot be restored without it.
    if let (Some(key), None) = (&obs.own_key, snapshot) {
        if let Err(e) = kit::retire_key(aws, stop, deadline, &d.key_alias(), key).await {
            return vec![e];
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_upgraded_minors_satisfy_the_configured_version() {
        assert!(version_satisfies("15.4", "15.4", false));
        assert!(version_satisfies("15.5", "15.4", true));
        assert!(!version_satisfies("15.5", "15.4", false));
        assert!(!version_satisfies("16.1", "15.4", true));
        assert!(!version_satisfies("15.3", "15.4", true));
    }

    #[test]
    fn lowering_a_version_is_a_downgrade() {
        assert!(is_downgrade("15.4", "14.10"));
        assert!(is_downgrade("7.1", "7.0"));
        assert!(is_downgrade("15.10", "15.9"));
        assert!(!is_downgrade("15.4", "15.4"));
        assert!(!is_downgrade("15.4", "15.10"));
        assert!(!is_downgrade("7.0", "7.1"));
    }

    #[test]
    fn tokens_are_long_and_plain() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 48);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
