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
//!
//! Each child object has its own file: `postgres.rs`, `redis.rs`, `groups.rs`
//! (security groups), `buckets.rs`.

use std::collections::BTreeMap;

use aws_sdk_ec2::types as ec2;
use aws_sdk_elasticache::types as ecache;
use aws_sdk_rds::types as rds;
use tokio::time::Instant;

mod buckets;
mod groups;
mod postgres;
mod redis;
mod versions;

pub use buckets::*;
use groups::*;
pub use postgres::*;
use redis::*;
pub use versions::*;

use super::model::*;
use crate::aws::{every, found, required, Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::bucket::{self, BucketSeen};
use crate::kit::claim::{self, ClaimError, Owner, CREATING_TAG};
use crate::kit::tags::{ec2 as ec2_tags, owner_key, s3 as s3_tags, Tags};
use crate::kit::{self, first_error, round, Fut, Status, Waiter};

pub const COMPONENT: &str = "data-tier";
pub const ENGINES: [(&str, i32); 2] = [("postgres", 5432), ("redis", 6379)];

/// Tags of every object of the tier; the roots (the objects a create's claim check
/// reads, and `release_claim` clears) and the tier's key (found by its mark when an
/// unfinished create made it but not its alias) carry the claim while a create runs.
pub fn tier_tags(aws: &Aws, d: &Desired, key: &str) -> Tags {
    let mut t = aws.tags_all(&d.tags);
    t.extend(kit::tags::ownership(&d.name, COMPONENT, key));
    let root = matches!(key, "postgres" | "redis" | "kms")
        || key.starts_with("sg/")
        || key.starts_with("bucket/");
    if let (true, Some(fp)) = (root, &d.creating) {
        t.insert(CREATING_TAG.into(), fp.clone());
    }
    if let (true, Some(settings)) = (key == "postgres", &d.settings) {
        t.insert(kit::tags::settings_key(), settings.clone());
    }
    t
}

// ------------------------------------------------------------------- read

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
        let params = (aws.rds.describe_db_parameters())
            .db_parameter_group_name(d.pg_parameter_group())
            .source("user");
        let r = every(params.into_paginator().items().send())
            .await
            .op("DescribeDBParameters");
        let params = found(r, &["DBParameterGroupNotFound"])?;
        Ok::<_, AwsError>(params.map(|ps| {
            ps.iter()
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
        let params = (aws.elasticache.describe_cache_parameters())
            .cache_parameter_group_name(d.redis_parameter_group())
            .source("user");
        let r = every(params.into_paginator().items().send())
            .await
            .op("DescribeCacheParameters");
        let params = found(r, &["CacheParameterGroupNotFound"])?;
        Ok::<_, AwsError>(params.map(|ps| {
            ps.iter()
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
        let ours = kit::tags::owned_by(&tags, &d.name, COMPONENT);
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
    if let Some(key) = &obs.own_key {
        futs.push(Box::pin(async move {
            aws.kms
                .untag_resource()
                .key_id(key.rsplit('/').next().unwrap_or(key))
                .tag_keys(CREATING_TAG)
                .send()
                .await
                .op("UntagResource")
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
    kit::key::create_aliased(
        aws,
        &d.key_alias(),
        format!("ODE data tier {}: RDS, Redis, buckets and secrets", d.name),
        &tier_tags(aws, d, "kms"),
    )
    .await
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

// ---------------------------------------------------------------- round 2

/// The reason of a failure as a service's event log gives it: ": a; b; c" of the
/// last three `messages` (oldest first), or "" when there are none or the log could
/// not be read (said in the log, not in the diagnostic).
pub(super) fn events_text<E: std::fmt::Display>(
    what: &str,
    id: &str,
    messages: Result<Vec<String>, E>,
) -> String {
    let messages = messages.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the events of {what} {id} could not be read");
        Vec::new()
    });
    let last = &messages[messages.len().saturating_sub(3)..];
    if last.is_empty() {
        String::new()
    } else {
        format!(": {}", last.join("; "))
    }
}

/// What changed since the last apply that AWS cannot show (from prior and
/// planned state): a password or token given again, tags Redis does not report.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub password: bool,
    pub auth_token: bool,
    pub tags: bool,
    /// Bucket keys the prior state has and the configuration no longer names.
    pub removed_buckets: Vec<String>,
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
        // An instance whose create failed (RDS `failed`) and that still carries this
        // state's claim holds no data: it is deleted and made again. One that failed
        // later is left to the user (AWS's reason is in the diagnostic).
        let unfinished = obs.db.as_ref().is_some_and(|db| {
            db.status == "failed" && db.tags.get(CREATING_TAG) == Some(&aws.fingerprint)
        });
        if unfinished {
            tracing::info!(db = %d.db_id(), "deleting a DB instance whose create failed, to make it again");
            delete_db(aws, stop, d, None, deadline).await?;
        }
        match obs.db.as_ref().filter(|_| !unfinished) {
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
                        send_modification(aws, m.apply_immediately(true)).await?;
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
                        send_modification(aws, m).await?;
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
        // A group whose create failed holds nothing and ElastiCache can only delete
        // it: deleted, then made again.
        let failed = obs
            .redis
            .as_ref()
            .is_some_and(|g| g.status == "create-failed");
        if failed {
            tracing::info!(group = %d.rg_id(), "deleting a replication group whose create failed, to make it again");
            delete_redis(aws, stop, d, deadline).await?;
        }
        match obs.redis.as_ref().filter(|_| !failed) {
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
    // Last: the buckets the configuration no longer names (checked empty at plan
    // unless force_destroy).
    let removed: Vec<Fut<'_, ()>> = changes
        .removed_buckets
        .iter()
        .map(|key| -> Fut<'_, ()> { Box::pin(delete_bucket(aws, stop, d, key, deadline)) })
        .collect();
    errs.extend(round(stop, "DeleteBucket", removed).await);
    Ok(errs)
}

/// Deletes the tier's bucket `key` (emptied first with force_destroy); a bucket
/// already gone is deleted.
async fn delete_bucket(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    key: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    let name = d.bucket_name(key);
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
        delete_db(aws, stop, d, snapshot, deadline).await
    };
    let redis = async {
        if obs.redis.is_none() {
            return Ok(());
        }
        delete_redis(aws, stop, d, deadline).await
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
        futs.push(Box::pin(delete_bucket(aws, stop, d, key, deadline)));
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
    // Spare copies of the tier's key (a CreateKey carried out twice) go too; the
    // tier's own key stays with its final snapshot.
    let keep = snapshot.and(obs.own_key.as_deref());
    let ownership = kit::tags::ownership(&d.name, COMPONENT, "kms");
    match kit::key::retire_spares(aws, &ownership, keep).await {
        Ok(()) => Vec::new(),
        Err(e) => vec![e],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_plain() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 48);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
