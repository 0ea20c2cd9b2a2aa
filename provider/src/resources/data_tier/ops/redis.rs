//! Redis (ElastiCache): the replication group's finder (and its first member's
//! settings), subnet and parameter groups, the generated AUTH token's secret,
//! waiter, create and modification, tags.

use super::*;

pub(super) fn cache_tags(tags: &Tags) -> Vec<ecache::Tag> {
    kit::tags::elasticache::list(tags)
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
    seen.engine = c.engine().unwrap_or_default().to_string();
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
        None => crate::aws::made(
            aws.elasticache
                .create_cache_subnet_group()
                .cache_subnet_group_name(d.rg_id())
                .cache_subnet_group_description(format!("ODE data tier {}", d.name))
                .set_subnet_ids(Some(d.subnet_ids.clone()))
                .set_tags(Some(cache_tags(&tier_tags(aws, d, "subnets/redis"))))
                .send()
                .await
                .op("CreateCacheSubnetGroup")
                .map(|_| ()),
            &[
                "CacheSubnetGroupAlreadyExists",
                "CacheSubnetGroupAlreadyExistsFault",
            ],
        ),
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
            crate::aws::made(
                aws.elasticache
                    .create_cache_parameter_group()
                    .cache_parameter_group_name(&group)
                    .cache_parameter_group_family(d.redis_family())
                    .description(format!("ODE data tier {}", d.name))
                    .set_tags(Some(cache_tags(&tier_tags(aws, d, "parameters/redis"))))
                    .send()
                    .await
                    .op("CreateCacheParameterGroup")
                    .map(|_| ()),
                &[
                    "CacheParameterGroupAlreadyExists",
                    "CacheParameterGroupAlreadyExistsFault",
                ],
            )?;
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
            let tags = kit::tags::secretsmanager::list(&tier_tags(aws, d, "secret/redis-auth"));
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
            "create-failed" => Status::Failed(format!("{status}{}", group_events(aws, &id).await)),
            _ => Status::Pending(status),
        })
    })
    .await
}

/// Deletes the replication group and waits until it is gone; one already being
/// deleted is waited for.
pub(super) async fn delete_redis(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    deadline: Instant,
) -> Result<(), AwsError> {
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
}

/// What ElastiCache said about the group in its event log lately (the reason of a
/// failure), as ": message; message"; empty when it said nothing or cannot be read.
async fn group_events(aws: &Aws, id: &str) -> String {
    let r = aws
        .elasticache
        .describe_events()
        .source_identifier(id)
        .source_type(ecache::SourceType::ReplicationGroup)
        .duration(24 * 60)
        .send()
        .await;
    // Newest first, as ElastiCache lists them.
    events_text(
        "replication group",
        id,
        r.map(|r| {
            r.events()
                .iter()
                .rev()
                .filter_map(|e| e.message().map(str::to_string))
                .collect()
        }),
    )
}

pub(super) async fn create_redis(
    aws: &Aws,
    d: &Desired,
    sg: &str,
    key: &str,
    token: Option<String>,
) -> Result<(), AwsError> {
    let r = &d.redis;
    let version = pick(aws, d.cache_engine(), &r.engine_version).await?;
    let created = aws
        .elasticache
        .create_replication_group()
        .replication_group_id(d.rg_id())
        .replication_group_description(format!("ODE data tier {}", d.name))
        .engine(d.cache_engine().api_name())
        .engine_version(version)
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
        .op("CreateReplicationGroup");
    match created {
        // A CreateReplicationGroup ElastiCache carried out, retried after its answer
        // was lost: the group carries this create's mark.
        Err(e)
            if e.is_code(&[
                "ReplicationGroupAlreadyExists",
                "ReplicationGroupAlreadyExistsFault",
            ]) =>
        {
            let arn = aws
                .elasticache
                .describe_replication_groups()
                .replication_group_id(d.rg_id())
                .send()
                .await
                .op("DescribeReplicationGroups")?
                .replication_groups()
                .first()
                .and_then(|g| g.arn())
                .map(str::to_string);
            let ours = match arn {
                Some(arn) => kit::claim::marked(&cache_tags_of(aws, &arn).await?, &aws.fingerprint),
                None => false,
            };
            if ours {
                Ok(())
            } else {
                Err(e)
            }
        }
        other => other.map(|_| ()),
    }
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
    let engine = d.cache_engine().api_name();
    let new_engine = !seen.engine.is_empty() && seen.engine != engine;
    if new_engine
        || (!seen.engine_version.is_empty()
            && !version_satisfies(&seen.engine_version, &r.engine_version, true))
    {
        // Redis OSS to Valkey is an upgrade ElastiCache makes in place.
        if new_engine {
            m = m.engine(engine);
        }
        m = m.engine_version(pick(aws, d.cache_engine(), &r.engine_version).await?);
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
        let ours = ["redis", "valkey"].map(|e| format!("{}-{e}", d.name));
        if old != &group && ours.iter().any(|p| old.starts_with(p.as_str())) {
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
    let r = aws
        .elasticache
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok(kit::tags::elasticache::map(r.tag_list()))
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

#[cfg(test)]
// The scripts answer the SDK's own (large) error types.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, stops_promptly, table, Case, Fake};
    use crate::framework::Value;
    use aws_sdk_elasticache::operation::add_tags_to_resource::AddTagsToResourceOutput;
    use aws_sdk_elasticache::operation::create_cache_parameter_group::CreateCacheParameterGroupOutput;
    use aws_sdk_elasticache::operation::create_cache_subnet_group::CreateCacheSubnetGroupOutput;
    use aws_sdk_elasticache::operation::create_replication_group::CreateReplicationGroupOutput;
    use aws_sdk_elasticache::operation::decrease_replica_count::DecreaseReplicaCountOutput;
    use aws_sdk_elasticache::operation::delete_cache_parameter_group::DeleteCacheParameterGroupOutput;
    use aws_sdk_elasticache::operation::describe_cache_clusters::DescribeCacheClustersOutput;
    use aws_sdk_elasticache::operation::describe_events::DescribeEventsOutput;
    use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput;
    use aws_sdk_elasticache::operation::increase_replica_count::IncreaseReplicaCountOutput;
    use aws_sdk_elasticache::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_elasticache::operation::modify_cache_parameter_group::ModifyCacheParameterGroupOutput;
    use aws_sdk_elasticache::operation::modify_cache_subnet_group::ModifyCacheSubnetGroupOutput;
    use aws_sdk_elasticache::operation::modify_replication_group::{
        ModifyReplicationGroupInput, ModifyReplicationGroupOutput,
    };
    use aws_sdk_elasticache::operation::remove_tags_from_resource::RemoveTagsFromResourceOutput;
    use aws_sdk_elasticache::operation::reset_cache_parameter_group::ResetCacheParameterGroupOutput;
    use aws_sdk_elasticache::Client as Cache;
    use aws_sdk_secretsmanager::operation::create_secret::CreateSecretOutput;
    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
    use aws_sdk_secretsmanager::Client as Secrets;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";
    const ARN: &str = "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:t-redis";

    /// A tier named `t` with the schema's defaults (Redis 7, two nodes, a
    /// generated AUTH token).
    /// A tier pinned to a minor, as most tests here want: `pick` then asks nothing.
    fn desired() -> Desired {
        let mut d = Desired::from_value(
            &Value::object([
                ("name", Value::string("t")),
                ("vpc_id", Value::string("vpc-1")),
                ("subnet_ids", Value::string_list(["subnet-b", "subnet-a"])),
            ]),
            &Value::Null,
        );
        d.redis.engine_version = "7.0".into();
        d
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    fn tag_map(tags: &[ecache::Tag]) -> Tags {
        tags.iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn wrong<E: aws_smithy_runtime_api::client::result::CreateUnhandledError>(
        input: &impl std::fmt::Debug,
    ) -> E {
        failure("WrongInput", &format!("{input:?}"))
    }

    /// DescribeReplicationGroups of `t-redis` answers the group in `status`.
    fn statuses(fake: &Fake, times: usize, status: &'static str) {
        answer!(fake, Cache::describe_replication_groups, move |input| {
            if input.replication_group_id() != Some("t-redis") {
                return Err(wrong(input));
            }
            Ok(DescribeReplicationGroupsOutput::builder()
                .replication_groups(
                    ecache::ReplicationGroup::builder()
                        .replication_group_id("t-redis")
                        .status(status)
                        .build(),
                )
                .build())
        }; times = times);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_redis_available_table() {
        let cases = [
            Case {
                name: "creating, then available",
                script: |f| {
                    statuses(f, 3, "creating");
                    statuses(f, 1, "available");
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Cache::describe_replication_groups, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: elasticache:DescribeReplicationGroups"
                    )))
                },
                want: Err("DescribeReplicationGroups: AccessDenied: not authorized to perform: elasticache:DescribeReplicationGroups"),
            },
            Case {
                name: "not found right after create, then available",
                script: |f| {
                    answer!(f, Cache::describe_replication_groups, |_| Err(failure(
                        "ReplicationGroupNotFoundFault",
                        "ReplicationGroup t-redis not found"
                    )); times = 2);
                    statuses(f, 1, "creating");
                    statuses(f, 1, "available");
                },
                want: Ok(()),
            },
            Case {
                name: "not listed right after create, then available",
                script: |f| {
                    answer!(f, Cache::describe_replication_groups, |_| {
                        Ok(DescribeReplicationGroupsOutput::builder().build())
                    }; times = 1);
                    statuses(f, 1, "available");
                },
                want: Ok(()),
            },
            Case {
                name: "create-failed",
                script: |f| {
                    statuses(f, 1, "creating");
                    statuses(f, 1, "create-failed");
                    answer!(f, Cache::describe_events, |input| {
                        if input.source_identifier() != Some("t-redis")
                            || input.source_type() != Some(&ecache::SourceType::ReplicationGroup)
                        {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        // Newest first, as ElastiCache lists them.
                        Ok(DescribeEventsOutput::builder()
                            .events(ecache::Event::builder().message("Failed to create cache cluster t-redis-002: insufficient cache.t3.medium capacity").build())
                            .events(ecache::Event::builder().message("Replication group t-redis created").build())
                            .build())
                    });
                },
                want: Err("replication group t-redis to become available failed: create-failed: Replication group t-redis created; Failed to create cache cluster t-redis-002: insufficient cache.t3.medium capacity"),
            },
            Case {
                name: "still modifying at the deadline: the last state is named",
                script: |f| statuses(f, usize::MAX, "modifying"),
                want: Err("waiting for replication group t-redis to become available; last seen: modifying"),
            },
        ];
        table(&cases, |aws, stop| async move {
            wait_redis_available(&aws, &stop, &desired(), deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_redis_available_stops_on_request() {
        stops_promptly(
            |f| statuses(f, usize::MAX, "creating"),
            |aws, stop| async move {
                wait_redis_available(&aws, &stop, &desired(), deadline()).await
            },
        )
        .await;
        stops_promptly(
            |f| {
                answer!(f, Cache::describe_replication_groups, |_| {
                    Ok(DescribeReplicationGroupsOutput::builder().build())
                }; delay = Duration::from_secs(3600))
            },
            |aws, stop| async move {
                wait_redis_available(&aws, &stop, &desired(), deadline()).await
            },
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn create_redis_table() {
        let cases = [
            Case {
                name: "created, encrypted with the tier's key, with the token",
                script: |f| {
                    answer!(f, Cache::create_replication_group, |input| {
                        let d = desired();
                        let r = &d.redis;
                        let ok = input.replication_group_id() == Some("t-redis")
                            && input.engine() == Some("redis")
                            && input.engine_version() == Some(r.engine_version.as_str())
                            && input.cache_node_type() == Some(r.node_type.as_str())
                            && input.num_cache_clusters() == Some(r.num_cache_clusters)
                            && input.automatic_failover_enabled() == Some(r.automatic_failover)
                            && input.multi_az_enabled() == Some(r.multi_az)
                            && input.at_rest_encryption_enabled() == Some(true)
                            && input.kms_key_id() == Some(KEY)
                            && input.transit_encryption_enabled() == Some(true)
                            && input.auth_token() == Some("tok")
                            && input.cache_subnet_group_name() == Some("t-redis")
                            && input.cache_parameter_group_name() == Some("t-redis7")
                            && input.security_group_ids() == ["sg-cache"]
                            && input.port() == Some(6379)
                            && tag_map(input.tags())
                                == tier_tags(&Aws::for_tests(), &d, "redis");
                        if !ok {
                            return Err(wrong(input));
                        }
                        Ok(CreateReplicationGroupOutput::builder().build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Cache::create_replication_group, |_| Err(failure(
                        "InsufficientCacheClusterCapacity",
                        "cache.t4g.small is not available in us-east-1a"
                    )))
                },
                want: Err("CreateReplicationGroup: InsufficientCacheClusterCapacity: cache.t4g.small is not available"),
            },
        ];
        table(&cases, |aws, _| async move {
            create_redis(&aws, &desired(), "sg-cache", KEY, Some("tok".into())).await
        })
        .await;

        // No encryption at rest, no token: neither key nor token is sent.
        let cases = [Case {
            name: "created plain",
            script: |f| {
                answer!(f, Cache::create_replication_group, |input| {
                    let ok = input.at_rest_encryption_enabled() == Some(false)
                        && input.kms_key_id().is_none()
                        && input.auth_token().is_none();
                    if !ok {
                        return Err(wrong(input));
                    }
                    Ok(CreateReplicationGroupOutput::builder().build())
                })
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            let mut d = desired();
            d.redis.at_rest_encryption = false;
            create_redis(&aws, &d, "sg-cache", KEY, None).await
        })
        .await;
    }

    /// What a group shows when it is exactly as `d` asks, on security group `sg-cache`.
    fn seen_of(d: &Desired) -> RedisSeen {
        let r = &d.redis;
        RedisSeen {
            arn: ARN.into(),
            status: "available".into(),
            engine_version: r.engine_version.clone(),
            node_type: r.node_type.clone(),
            members: r.num_cache_clusters,
            automatic_failover: r.automatic_failover,
            multi_az: r.multi_az,
            at_rest_encryption: r.at_rest_encryption,
            transit_encryption: r.transit_encryption,
            snapshot_retention_days: r.snapshot_retention_days,
            snapshot_window: r.snapshot_window.clone(),
            maintenance_window: r.maintenance_window.to_lowercase(),
            parameter_group: d.redis_parameter_group(),
            security_groups: vec!["sg-cache".into()],
            ..Default::default()
        }
    }

    fn modified(fake: &Fake, check: fn(&ModifyReplicationGroupInput) -> bool) {
        answer!(fake, Cache::modify_replication_group, move |input| {
            if !check(input) {
                return Err(wrong(input));
            }
            Ok(ModifyReplicationGroupOutput::builder().build())
        }; times = 1);
    }

    fn base() -> aws_sdk_elasticache::operation::modify_replication_group::builders::ModifyReplicationGroupInputBuilder
    {
        ModifyReplicationGroupInput::builder()
            .replication_group_id("t-redis")
            .apply_immediately(true)
    }

    #[tokio::test(start_paused = true)]
    async fn modify_redis_table() {
        // Another node type: modified, then waited for.
        let cases = [
            Case {
                name: "modified and waited for",
                script: |f| {
                    modified(f, |i| {
                        *i == base()
                            .cache_node_type("cache.r7g.large")
                            .build()
                            .unwrap()
                    });
                    statuses(f, 2, "modifying");
                    statuses(f, 1, "available");
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Cache::modify_replication_group, |_| Err(failure(
                        "InvalidReplicationGroupState",
                        "Replication group t-redis must be in available state"
                    )))
                },
                want: Err("ModifyReplicationGroup: InvalidReplicationGroupState: Replication group t-redis must be in available state"),
            },
            Case {
                name: "AWS failure while waiting",
                script: |f| {
                    modified(f, |_| true);
                    statuses(f, 1, "modifying");
                    answer!(f, Cache::describe_replication_groups, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: elasticache:DescribeReplicationGroups"
                    )));
                },
                want: Err("DescribeReplicationGroups: AccessDenied"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let d = desired();
            let mut seen = seen_of(&d);
            seen.node_type = "cache.t4g.small".into();
            let mut d = d;
            d.redis.node_type = "cache.r7g.large".into();
            modify_redis(&aws, &stop, &d, &seen, "sg-cache", None, deadline()).await
        })
        .await;

        // A major upgrade: the tier's group of the old family is deleted after.
        let cases = [
            Case {
                name: "upgraded, the old group deleted",
                script: |f| {
                    modified(f, |i| {
                        *i == base()
                            .engine_version("7.0")
                            .cache_parameter_group_name("t-redis7")
                            .build()
                            .unwrap()
                    });
                    statuses(f, 1, "available");
                    answer!(f, Cache::delete_cache_parameter_group, |input| {
                        if input.cache_parameter_group_name() != Some("t-redis6.x") {
                            return Err(wrong(input));
                        }
                        Ok(DeleteCacheParameterGroupOutput::builder().build())
                    }; times = 1);
                },
                want: Ok(()),
            },
            Case {
                name: "the old group not found: already gone",
                script: |f| {
                    modified(f, |_| true);
                    statuses(f, 1, "available");
                    answer!(f, Cache::delete_cache_parameter_group, |_| Err(failure(
                        "CacheParameterGroupNotFound",
                        "CacheParameterGroup t-redis6.x not found."
                    )));
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure deleting the old group",
                script: |f| {
                    modified(f, |_| true);
                    statuses(f, 1, "available");
                    answer!(f, Cache::delete_cache_parameter_group, |_| Err(failure(
                        "InvalidCacheParameterGroupState",
                        "One or more cache clusters are still members of this parameter group"
                    )));
                },
                want: Err("DeleteCacheParameterGroup: InvalidCacheParameterGroupState: One or more cache clusters"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let d = desired();
            let mut seen = seen_of(&d);
            seen.engine_version = "6.2.6".into();
            seen.parameter_group = "t-redis6.x".into();
            modify_redis(&aws, &stop, &d, &seen, "sg-cache", None, deadline()).await
        })
        .await;

        // A member more: IncreaseReplicaCount, then waited for.
        let cases = [
            Case {
                name: "a replica added",
                script: |f| {
                    answer!(f, Cache::increase_replica_count, |input| {
                        if input.replication_group_id() != Some("t-redis")
                            || input.new_replica_count() != Some(desired().redis.num_cache_clusters - 1)
                            || input.apply_immediately() != Some(true)
                        {
                            return Err(wrong(input));
                        }
                        Ok(IncreaseReplicaCountOutput::builder().build())
                    }; times = 1);
                    statuses(f, 1, "modifying");
                    statuses(f, 1, "available");
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Cache::increase_replica_count, |_| Err(failure(
                        "NodeQuotaForCustomerExceeded",
                        "Cannot exceed the quota of 300 nodes"
                    )))
                },
                want: Err("IncreaseReplicaCount: NodeQuotaForCustomerExceeded: Cannot exceed"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let d = desired();
            let mut seen = seen_of(&d);
            seen.members = d.redis.num_cache_clusters - 1;
            modify_redis(&aws, &stop, &d, &seen, "sg-cache", None, deadline()).await
        })
        .await;

        // A member fewer: DecreaseReplicaCount.
        let cases = [Case {
            name: "a replica removed",
            script: |f| {
                answer!(f, Cache::decrease_replica_count, |input| {
                    if input.new_replica_count() != Some(desired().redis.num_cache_clusters - 1) {
                        return Err(wrong(input));
                    }
                    Ok(DecreaseReplicaCountOutput::builder().build())
                }; times = 1);
                statuses(f, 1, "available");
            },
            want: Ok(()),
        }];
        table(&cases, |aws, stop| async move {
            let d = desired();
            let mut seen = seen_of(&d);
            seen.members = d.redis.num_cache_clusters + 1;
            modify_redis(&aws, &stop, &d, &seen, "sg-cache", None, deadline()).await
        })
        .await;

        // In step: no call; a new token alone is rotated to; drift of what
        // only members show is corrected only when a member was read.
        let cases = [Case {
            name: "in step",
            script: |_| {},
            want: Ok(()),
        }];
        table(&cases, |aws, stop| async move {
            let d = desired();
            let seen = seen_of(&d);
            modify_redis(&aws, &stop, &d, &seen, "sg-cache", None, deadline()).await?;
            // No member read: engine version, window, group and security
            // groups are unknown and left as they are.
            let unread = RedisSeen {
                engine_version: String::new(),
                maintenance_window: String::new(),
                parameter_group: String::new(),
                security_groups: Vec::new(),
                ..seen
            };
            modify_redis(&aws, &stop, &d, &unread, "sg-cache", None, deadline()).await
        })
        .await;
        let cases = [Case {
            name: "token rotated, security groups and window corrected",
            script: |f| {
                modified(f, |i| {
                    *i == base()
                        .preferred_maintenance_window(desired().redis.maintenance_window)
                        .security_group_ids("sg-cache")
                        .auth_token("new-token-0123456789")
                        .auth_token_update_strategy(ecache::AuthTokenUpdateStrategyType::Rotate)
                        .build()
                        .unwrap()
                });
                statuses(f, 1, "available");
            },
            want: Ok(()),
        }];
        table(&cases, |aws, stop| async move {
            let d = desired();
            let mut seen = seen_of(&d);
            seen.security_groups = vec!["sg-other".into()];
            seen.maintenance_window = "mon:01:00-mon:02:00".into();
            let token = Some("new-token-0123456789".to_string());
            modify_redis(&aws, &stop, &d, &seen, "sg-cache", token, deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn modify_redis_stops_on_request() {
        stops_promptly(
            |f| {
                modified(f, |_| true);
                statuses(f, usize::MAX, "modifying");
            },
            |aws, stop| async move {
                let d = desired();
                let mut seen = seen_of(&d);
                seen.snapshot_retention_days += 1;
                modify_redis(&aws, &stop, &d, &seen, "sg-cache", None, deadline()).await
            },
        )
        .await;
    }

    #[test]
    fn redis_seen_and_member_settings() {
        let endpoint = |a: &str| ecache::Endpoint::builder().address(a).port(6380).build();
        let g = ecache::ReplicationGroup::builder()
            .arn(ARN)
            .status("available")
            .node_groups(
                ecache::NodeGroup::builder()
                    .primary_endpoint(endpoint("primary.t"))
                    .reader_endpoint(endpoint("reader.t"))
                    .build(),
            )
            .member_clusters("t-redis-001")
            .member_clusters("t-redis-002")
            .automatic_failover(ecache::AutomaticFailoverStatus::Enabling)
            .multi_az(ecache::MultiAzStatus::Disabled)
            .cache_node_type("cache.t4g.small")
            .snapshot_retention_limit(3)
            .build();
        let mut seen = redis_seen(&g);
        assert_eq!(seen.arn, ARN);
        assert_eq!(
            (seen.primary.as_str(), seen.reader.as_str(), seen.port),
            ("primary.t", "reader.t", 6380)
        );
        assert_eq!(seen.members, 2);
        assert!(seen.automatic_failover, "enabling counts as on");
        assert!(!seen.multi_az);
        assert_eq!(seen.snapshot_retention_days, 3);
        let c = ecache::CacheCluster::builder()
            .engine_version("7.1.0")
            .preferred_maintenance_window("Sun:05:30-Sun:06:30")
            .cache_parameter_group(
                ecache::CacheParameterGroupStatus::builder()
                    .cache_parameter_group_name("t-redis7")
                    .build(),
            )
            .security_groups(
                ecache::SecurityGroupMembership::builder()
                    .security_group_id("sg-cache")
                    .build(),
            )
            .build();
        member_settings(&c, &mut seen);
        assert_eq!(seen.engine_version, "7.1.0");
        assert_eq!(seen.maintenance_window, "sun:05:30-sun:06:30");
        assert_eq!(seen.parameter_group, "t-redis7");
        assert_eq!(seen.security_groups, vec!["sg-cache".to_string()]);
        // No node group yet: Redis's port.
        assert_eq!(
            redis_seen(&ecache::ReplicationGroup::builder().build()).port,
            6379
        );
    }

    #[tokio::test(start_paused = true)]
    async fn describe_member_table() {
        let cases = [
            Case {
                name: "found",
                script: |f| {
                    answer!(f, Cache::describe_cache_clusters, |input| {
                        if input.cache_cluster_id() != Some("t-redis-001") {
                            return Err(wrong(input));
                        }
                        Ok(DescribeCacheClustersOutput::builder()
                            .cache_clusters(
                                ecache::CacheCluster::builder()
                                    .cache_cluster_id("t-redis-001")
                                    .build(),
                            )
                            .build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Cache::describe_cache_clusters, |_| Err(failure(
                        "InvalidParameterValue",
                        "The parameter CacheClusterId is not a valid identifier"
                    )))
                },
                want: Err(
                    "DescribeCacheClusters: InvalidParameterValue: The parameter CacheClusterId",
                ),
            },
            Case {
                name: "not found: absent",
                script: |f| {
                    answer!(f, Cache::describe_cache_clusters, |_| Err(failure(
                        "CacheClusterNotFound",
                        "CacheCluster t-redis-001 not found."
                    )))
                },
                want: Err("Absent"),
            },
        ];
        table(&cases, |aws, _| async move {
            match describe_member(&aws, "t-redis-001".into()).await? {
                Some(c) if c.cache_cluster_id() == Some("t-redis-001") => Ok(c),
                Some(c) => Err(AwsError::new("Test", "Wrong", format!("{c:?}"))),
                None => Err(AwsError::new("Test", "Absent", "no member")),
            }
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_cache_subnet_group_table() {
        let cases = [
            Case {
                name: "created",
                script: |f| {
                    answer!(f, Cache::create_cache_subnet_group, |input| {
                        let d = desired();
                        let ok = input.cache_subnet_group_name() == Some("t-redis")
                            && input.subnet_ids() == d.subnet_ids
                            && tag_map(input.tags())
                                == tier_tags(&Aws::for_tests(), &d, "subnets/redis");
                        if !ok {
                            return Err(wrong(input));
                        }
                        Ok(CreateCacheSubnetGroupOutput::builder().build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Cache::create_cache_subnet_group, |_| Err(failure(
                        "CacheSubnetGroupQuotaExceeded",
                        "Quota of cache subnet groups exceeded"
                    )))
                },
                want: Err("CreateCacheSubnetGroup: CacheSubnetGroupQuotaExceeded: Quota"),
            },
        ];
        table(&cases, |aws, _| async move {
            ensure_cache_subnet_group(&aws, &desired(), &Observed::default()).await
        })
        .await;

        let cases = [
            Case {
                name: "modified",
                script: |f| {
                    answer!(f, Cache::modify_cache_subnet_group, |input| {
                        if input.cache_subnet_group_name() != Some("t-redis")
                            || input.subnet_ids() != desired().subnet_ids
                        {
                            return Err(wrong(input));
                        }
                        Ok(ModifyCacheSubnetGroupOutput::builder().build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Cache::modify_cache_subnet_group, |_| Err(failure(
                        "SubnetInUse",
                        "The subnet subnet-old is in use"
                    )))
                },
                want: Err("ModifyCacheSubnetGroup: SubnetInUse: The subnet subnet-old is in use"),
            },
        ];
        table(&cases, |aws, _| async move {
            let obs = Observed {
                cache_subnet_group: Some(vec!["subnet-old".into()]),
                ..Default::default()
            };
            ensure_cache_subnet_group(&aws, &desired(), &obs).await
        })
        .await;

        let cases = [Case {
            name: "in step",
            script: |_| {},
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            let obs = Observed {
                cache_subnet_group: Some(vec!["subnet-a".into(), "subnet-b".into()]),
                ..Default::default()
            };
            ensure_cache_subnet_group(&aws, &desired(), &obs).await
        })
        .await;
    }

    fn params(ps: &[ecache::ParameterNameValue]) -> Vec<(String, Option<String>)> {
        ps.iter()
            .map(|p| {
                (
                    p.parameter_name().unwrap_or_default().to_string(),
                    p.parameter_value().map(str::to_string),
                )
            })
            .collect()
    }

    fn with_parameters() -> Desired {
        let mut d = desired();
        d.redis.parameters = BTreeMap::from([
            ("maxmemory-policy".into(), "allkeys-lru".into()),
            ("timeout".into(), "300".into()),
        ]);
        d
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_redis_parameters_table() {
        let cases = [
            Case {
                name: "created and set",
                script: |f| {
                    answer!(f, Cache::create_cache_parameter_group, |input| {
                        let ok = input.cache_parameter_group_name() == Some("t-redis7")
                            && input.cache_parameter_group_family() == Some("redis7")
                            && tag_map(input.tags())
                                == tier_tags(&Aws::for_tests(), &desired(), "parameters/redis");
                        if !ok {
                            return Err(wrong(input));
                        }
                        Ok(CreateCacheParameterGroupOutput::builder().build())
                    }; times = 1);
                    answer!(f, Cache::modify_cache_parameter_group, |input| {
                        let want: Vec<_> = with_parameters()
                            .redis
                            .parameters
                            .into_iter()
                            .map(|(k, v)| (k, Some(v)))
                            .collect();
                        if input.cache_parameter_group_name() != Some("t-redis7")
                            || params(input.parameter_name_values()) != want
                        {
                            return Err(wrong(input));
                        }
                        Ok(ModifyCacheParameterGroupOutput::builder().build())
                    }; times = 1);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure on create",
                script: |f| {
                    answer!(f, Cache::create_cache_parameter_group, |_| Err(failure(
                        "CacheParameterGroupQuotaExceeded",
                        "Quota of cache parameter groups exceeded"
                    )))
                },
                want: Err("CreateCacheParameterGroup: CacheParameterGroupQuotaExceeded"),
            },
            Case {
                name: "AWS failure on modify",
                script: |f| {
                    answer!(f, Cache::create_cache_parameter_group, |_| {
                        Ok(CreateCacheParameterGroupOutput::builder().build())
                    });
                    answer!(f, Cache::modify_cache_parameter_group, |_| Err(failure(
                        "InvalidParameterValue",
                        "allkeys-lru is not a valid value"
                    )));
                },
                want: Err("ModifyCacheParameterGroup: InvalidParameterValue: allkeys-lru is not a valid value"),
            },
        ];
        table(&cases, |aws, _| async move {
            ensure_redis_parameters(&aws, &with_parameters(), &Observed::default()).await
        })
        .await;

        let cases = [
            Case {
                name: "set and reset",
                script: |f| {
                    answer!(f, Cache::modify_cache_parameter_group, |input| {
                        if params(input.parameter_name_values())
                            != [("timeout".to_string(), Some("300".to_string()))]
                        {
                            return Err(wrong(input));
                        }
                        Ok(ModifyCacheParameterGroupOutput::builder().build())
                    }; times = 1);
                    answer!(f, Cache::reset_cache_parameter_group, |input| {
                        if input.cache_parameter_group_name() != Some("t-redis7")
                            || params(input.parameter_name_values())
                                != [("notify-keyspace-events".to_string(), None)]
                        {
                            return Err(wrong(input));
                        }
                        Ok(ResetCacheParameterGroupOutput::builder().build())
                    }; times = 1);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure on reset",
                script: |f| {
                    answer!(f, Cache::modify_cache_parameter_group, |_| {
                        Ok(ModifyCacheParameterGroupOutput::builder().build())
                    });
                    answer!(f, Cache::reset_cache_parameter_group, |_| Err(failure(
                        "InvalidCacheParameterGroupState",
                        "The parameter group is being modified"
                    )));
                },
                want: Err("ResetCacheParameterGroup: InvalidCacheParameterGroupState"),
            },
        ];
        table(&cases, |aws, _| async move {
            let obs = Observed {
                redis_parameters: Some(BTreeMap::from([
                    ("maxmemory-policy".into(), "allkeys-lru".into()),
                    ("timeout".into(), "0".into()),
                    ("notify-keyspace-events".into(), "Ex".into()),
                ])),
                ..Default::default()
            };
            ensure_redis_parameters(&aws, &with_parameters(), &obs).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_token_table() {
        // Generated, no secret yet: a new token, kept in a new secret.
        let cases = [
            Case {
                name: "generated and kept",
                script: |f| {
                    answer!(f, Secrets::create_secret, |input| {
                        let d = desired();
                        let want_tags = tier_tags(&Aws::for_tests(), &d, "secret/redis-auth");
                        let got_tags: Tags = input
                            .tags()
                            .iter()
                            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                            .collect();
                        let ok = input.name() == Some("t/redis-auth-token")
                            && input.kms_key_id() == Some(KEY)
                            && input.secret_string().is_some_and(|s| s.len() == 48)
                            && got_tags == want_tags;
                        if !ok {
                            return Err(wrong(input));
                        }
                        Ok(CreateSecretOutput::builder().build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Secrets::create_secret, |_| Err(failure(
                        "ResourceExistsException",
                        "The operation failed because the secret t/redis-auth-token already exists."
                    )))
                },
                want: Err("CreateSecret: ResourceExistsException: The operation failed because the secret t/redis-auth-token already exists."),
            },
        ];
        table(&cases, |aws, _| async move {
            let t = ensure_token(&aws, &desired(), &Observed::default(), KEY).await?;
            match t {
                Some(t) if t.len() == 48 => Ok(t),
                t => Err(AwsError::new("Test", "Wrong", format!("{t:?}"))),
            }
        })
        .await;

        // The secret exists and the group is still to be created: read back.
        let cases = [
            Case {
                name: "read back",
                script: |f| {
                    answer!(f, Secrets::get_secret_value, |input| {
                        if input.secret_id() != Some("t/redis-auth-token") {
                            return Err(wrong(input));
                        }
                        Ok(GetSecretValueOutput::builder()
                            .secret_string("stored-token")
                            .build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Secrets::get_secret_value, |_| Err(failure(
                        "AccessDeniedException",
                        "Access to KMS is not allowed"
                    )))
                },
                want: Err("GetSecretValue: AccessDeniedException: Access to KMS is not allowed"),
            },
        ];
        table(&cases, |aws, _| async move {
            let obs = Observed {
                auth_secret_arn: Some("arn:secret".into()),
                ..Default::default()
            };
            let t = ensure_token(&aws, &desired(), &obs, KEY).await?;
            match t.as_deref() {
                Some("stored-token") => Ok(t),
                _ => Err(AwsError::new("Test", "Wrong", format!("{t:?}"))),
            }
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_token_returns_what_it_keeps() {
        let fake = Fake::new();
        let kept = Arc::new(Mutex::new(None::<String>));
        let k = kept.clone();
        answer!(fake, Secrets::create_secret, move |input| {
            *k.lock().unwrap() = input.secret_string().map(str::to_string);
            Ok(CreateSecretOutput::builder().build())
        });
        let aws = fake.aws();
        let t = ensure_token(&aws, &desired(), &Observed::default(), KEY)
            .await
            .unwrap();
        assert!(t.is_some());
        assert_eq!(t, *kept.lock().unwrap());
        // Nothing to read or make: no call at all.
        let mut d = desired();
        let obs = Observed {
            auth_secret_arn: Some("arn:secret".into()),
            redis: Some(RedisSeen::default()),
            ..Default::default()
        };
        assert_eq!(ensure_token(&aws, &d, &obs, KEY).await.unwrap(), None);
        d.redis.auth_token = AuthToken::Given("mine".into());
        assert_eq!(
            ensure_token(&aws, &d, &obs, KEY).await.unwrap().as_deref(),
            Some("mine")
        );
        d.redis.auth_token = AuthToken::Given(String::new());
        assert_eq!(ensure_token(&aws, &d, &obs, KEY).await.unwrap(), None);
        d.redis.auth_token = AuthToken::None;
        assert_eq!(ensure_token(&aws, &d, &obs, KEY).await.unwrap(), None);
        assert_eq!(fake.count("CreateSecret"), 1, "{:?}", fake.calls());
        assert_eq!(fake.calls().len(), 1, "{:?}", fake.calls());
    }

    fn listed(fake: &Fake) {
        answer!(fake, Cache::list_tags_for_resource, |input| {
            if input.resource_name() != Some(ARN) {
                return Err(wrong(input));
            }
            Ok(ListTagsForResourceOutput::builder()
                .tag_list(ecache::Tag::builder().key("a").value("1").build())
                .tag_list(ecache::Tag::builder().key("b").value("2").build())
                .tag_list(ecache::Tag::builder().key("old").value("x").build())
                .build())
        });
    }

    #[tokio::test(start_paused = true)]
    async fn retag_cache_table() {
        let cases = [
            Case {
                name: "read, set and removed",
                script: |f| {
                    listed(f);
                    answer!(f, Cache::add_tags_to_resource, |input| {
                        if input.resource_name() != Some(ARN)
                            || tag_map(input.tags()) != tags(&[("b", "3"), ("c", "4")])
                        {
                            return Err(wrong(input));
                        }
                        Ok(AddTagsToResourceOutput::builder().build())
                    }; times = 1);
                    answer!(f, Cache::remove_tags_from_resource, |input| {
                        if input.resource_name() != Some(ARN) || input.tag_keys() != ["old"] {
                            return Err(wrong(input));
                        }
                        Ok(RemoveTagsFromResourceOutput::builder().build())
                    }; times = 1);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure reading",
                script: |f| {
                    answer!(f, Cache::list_tags_for_resource, |_| Err(failure(
                        "ReplicationGroupNotFoundFault",
                        "ReplicationGroup t-redis not found"
                    )))
                },
                want: Err("ListTagsForResource: ReplicationGroupNotFoundFault: ReplicationGroup t-redis not found"),
            },
            Case {
                name: "AWS failure tagging",
                script: |f| {
                    listed(f);
                    answer!(f, Cache::add_tags_to_resource, |_| Err(failure(
                        "TagQuotaPerResourceExceeded",
                        "The request cannot be processed because it would cause the resource to have more than the allowed number of tags"
                    )));
                },
                want: Err("AddTagsToResource: TagQuotaPerResourceExceeded"),
            },
        ];
        table(&cases, |aws, _| async move {
            retag_cache(&aws, ARN, &tags(&[("a", "1"), ("b", "3"), ("c", "4")])).await
        })
        .await;
    }
}
