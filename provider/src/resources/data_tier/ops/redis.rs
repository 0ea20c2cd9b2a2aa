//! Redis (ElastiCache): the replication group's finder (and its first member's
//! settings), subnet and parameter groups, the generated AUTH token's secret,
//! waiter, create and modification, tags.

use super::*;

pub(super) fn cache_tags(tags: &Tags) -> Vec<ecache::Tag> {
    tags.iter()
        .map(|(k, v)| ecache::Tag::builder().key(k).value(v).build())
        .collect()
}

pub(super) fn redis_seen(g: &ecache::ReplicationGroup) -> RedisSeen {
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
pub(super) async fn describe_member(
    aws: &Aws,
    id: String,
) -> Result<Option<ecache::CacheCluster>, AwsError> {
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
pub(super) fn member_settings(c: &ecache::CacheCluster, seen: &mut RedisSeen) {
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

pub(super) async fn ensure_cache_subnet_group(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
) -> Result<(), AwsError> {
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

pub(super) async fn ensure_redis_parameters(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
) -> Result<(), AwsError> {
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
pub(super) fn new_token() -> Result<String, AwsError> {
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
pub(super) async fn ensure_token(
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

pub(super) async fn wait_redis_available(
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

pub(super) async fn create_redis(
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
pub(super) async fn modify_redis(
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

/// The tags of an ElastiCache resource.
pub(super) async fn cache_tags_of(aws: &Aws, arn: &str) -> Result<Tags, AwsError> {
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

/// Brings an ElastiCache resource's tags to `want` (read first: Describe does
/// not report them).
pub(super) async fn retag_cache(aws: &Aws, arn: &str, want: &Tags) -> Result<(), AwsError> {
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
