//! PostgreSQL (RDS): the instance's finder, subnet and parameter groups, its
//! waiter, create (or restore), the modification that brings it to the plan, tags.

use super::*;
use crate::framework::Value;

pub(super) fn rds_tags(tags: &Tags) -> Vec<rds::Tag> {
    kit::tags::rds::list(tags)
}

/// The tier's DB instance (None when it does not exist or is being deleted).
pub(super) async fn describe_db(aws: &Aws, d: &Desired) -> Result<Option<DbSeen>, AwsError> {
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

type CreateDb = aws_sdk_rds::operation::create_db_instance::builders::CreateDBInstanceFluentBuilder;
type ModifyDb = aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder;

/// A `postgres` setting that is one field of the DB instance: read back (drift,
/// import), sent on create, and sent on modify when AWS holds another value.
/// Adding such a setting is its schema line and one entry in [`FIELDS`].
pub struct Field {
    /// The attribute in the `postgres` block.
    pub attr: &'static str,
    /// The value AWS holds, as the attribute's value.
    pub seen: fn(&rds::DbInstance) -> Value,
    pub create: fn(CreateDb, &Value) -> CreateDb,
    pub modify: fn(ModifyDb, &Value) -> ModifyDb,
}

/// The `postgres` settings that map one-to-one to DB instance fields.
pub const FIELDS: &[Field] = &[
    Field {
        attr: "performance_insights",
        seen: |i| Value::Bool(i.performance_insights_enabled().unwrap_or(false)),
        create: |r, v| r.set_enable_performance_insights(v.as_bool()),
        modify: |r, v| r.set_enable_performance_insights(v.as_bool()),
    },
    Field {
        attr: "copy_tags_to_snapshot",
        seen: |i| Value::Bool(i.copy_tags_to_snapshot().unwrap_or(false)),
        create: |r, v| r.set_copy_tags_to_snapshot(v.as_bool()),
        modify: |r, v| r.set_copy_tags_to_snapshot(v.as_bool()),
    },
];

pub(super) fn db_seen(i: &rds::DbInstance) -> DbSeen {
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
        fields: FIELDS.iter().map(|f| (f.attr, (f.seen)(i))).collect(),
        tags: kit::tags::rds::map(i.tag_list()),
    }
}

pub(super) async fn ensure_db_subnet_group(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
) -> Result<(), AwsError> {
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
        None => crate::aws::made(
            aws.rds
                .create_db_subnet_group()
                .db_subnet_group_name(d.db_id())
                .db_subnet_group_description(format!("ODE data tier {}", d.name))
                .set_subnet_ids(Some(d.subnet_ids.clone()))
                .set_tags(Some(rds_tags(&tier_tags(aws, d, "subnets/postgres"))))
                .send()
                .await
                .op("CreateDBSubnetGroup")
                .map(|_| ()),
            &["DBSubnetGroupAlreadyExists"],
        ),
    }
}

pub(super) async fn ensure_pg_parameters(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
) -> Result<(), AwsError> {
    let group = d.pg_parameter_group();
    let have = match &obs.pg_parameters {
        Some(h) => h.clone(),
        None => {
            crate::aws::made(
                aws.rds
                    .create_db_parameter_group()
                    .db_parameter_group_name(&group)
                    .db_parameter_group_family(d.pg_family())
                    .description(format!("ODE data tier {}", d.name))
                    .set_tags(Some(rds_tags(&tier_tags(aws, d, "parameters/postgres"))))
                    .send()
                    .await
                    .op("CreateDBParameterGroup")
                    .map(|_| ()),
                &["DBParameterGroupAlreadyExists"],
            )?;
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

pub(super) fn db_waiter(d: &Desired, what: &str, deadline: Instant) -> Waiter {
    Waiter::new(
        "DescribeDBInstances",
        format!("DB instance {} to {what}", d.db_id()),
        deadline,
    )
}

/// Deletes the DB instance (a final snapshot named `snapshot`, or none) and waits
/// until it is gone; one already being deleted is waited for.
pub(super) async fn delete_db(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    snapshot: Option<&str>,
    deadline: Instant,
) -> Result<(), AwsError> {
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
}

/// What RDS said about the instance in its event log lately (the reason of a
/// failure), as ": message; message"; empty when it said nothing or cannot be read.
async fn db_events(aws: &Aws, id: &str) -> String {
    let r = aws
        .rds
        .describe_events()
        .source_identifier(id)
        .source_type(rds::SourceType::DbInstance)
        .duration(24 * 60)
        .send()
        .await;
    events_text(
        "DB instance",
        id,
        r.map(|r| {
            r.events()
                .iter()
                .filter_map(|e| e.message().map(str::to_string))
                .collect()
        }),
    )
}

pub(super) async fn wait_db_available(
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
                | "inaccessible-encryption-credentials" => {
                    Status::Failed(format!("{status}{}", db_events(aws, &id).await))
                }
                _ => Status::Pending(status),
            })
        })
        .await
}

pub(super) async fn create_db(aws: &Aws, d: &Desired, sg: &str, key: &str) -> Result<(), AwsError> {
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
        .engine_version(pick(aws, Engine::Postgres, &p.engine_version).await?)
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
        .auto_minor_version_upgrade(p.auto_minor_version_upgrade)
        .set_tags(Some(tags));
    for f in FIELDS {
        req = (f.create)(req, &p.fields[f.attr]);
    }
    req = match &p.password {
        Password::Managed => req
            .manage_master_user_password(true)
            .master_user_secret_kms_key_id(key),
        Password::Given(pw) => req.master_user_password(pw),
    };
    match req.send().await.op("CreateDBInstance") {
        // A CreateDBInstance RDS carried out, retried after its answer was lost: the
        // instance carries this create's mark.
        Err(e) if e.is_code(&["DBInstanceAlreadyExists"]) => {
            let ours = describe_db(aws, d)
                .await?
                .is_some_and(|db| kit::claim::marked(&db.tags, &aws.fingerprint));
            if ours {
                Ok(())
            } else {
                Err(e)
            }
        }
        other => other.map(|_| ()),
    }
}

/// Sends a modification from [`db_modification`], its engine version resolved to
/// the newest minor RDS offers when it names a major alone.
pub(super) async fn send_modification(
    aws: &Aws,
    mut m: aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder,
) -> Result<(), AwsError> {
    if let Some(v) = m.get_engine_version().clone().filter(|v| is_major_only(v)) {
        m = m.engine_version(pick(aws, Engine::Postgres, &v).await?);
    }
    m.send().await.op("ModifyDBInstance")?;
    Ok(())
}

/// What to change on an existing instance (None when nothing differs).
/// `password_changed`: the user's password changed since the last apply.
pub(super) fn db_modification(
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
        // A major alone is resolved to a minor by `send_modification`.
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
    for f in FIELDS {
        let want = &p.fields[f.attr];
        if seen.fields.get(f.attr) != Some(want) {
            m = (f.modify)(m, want);
            any = true;
        }
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

/// Brings an RDS resource's tags from `have` to `want`.
pub(super) async fn retag_rds(
    aws: &Aws,
    arn: &str,
    have: &Tags,
    want: &Tags,
) -> Result<(), AwsError> {
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

/// The tags of an RDS resource.
pub(super) async fn rds_tags_of(aws: &Aws, arn: &str) -> Result<Tags, AwsError> {
    let r = aws
        .rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok(kit::tags::rds::map(r.tag_list()))
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

#[cfg(test)]
// The scripts answer the SDK's own (large) error types.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, stops_promptly, table, Case, Fake};
    use crate::framework::Value;
    use aws_sdk_rds::operation::add_tags_to_resource::AddTagsToResourceOutput;
    use aws_sdk_rds::operation::create_db_instance::CreateDbInstanceOutput;
    use aws_sdk_rds::operation::create_db_parameter_group::CreateDbParameterGroupOutput;
    use aws_sdk_rds::operation::create_db_subnet_group::CreateDbSubnetGroupOutput;
    use aws_sdk_rds::operation::describe_db_engine_versions::DescribeDbEngineVersionsOutput;
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::operation::describe_events::DescribeEventsOutput;
    use aws_sdk_rds::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_rds::operation::modify_db_instance::builders::ModifyDbInstanceInputBuilder;
    use aws_sdk_rds::operation::modify_db_instance::ModifyDbInstanceInput;
    use aws_sdk_rds::operation::modify_db_parameter_group::ModifyDbParameterGroupOutput;
    use aws_sdk_rds::operation::modify_db_subnet_group::ModifyDbSubnetGroupOutput;
    use aws_sdk_rds::operation::remove_tags_from_resource::RemoveTagsFromResourceOutput;
    use aws_sdk_rds::operation::reset_db_parameter_group::ResetDbParameterGroupOutput;
    use aws_sdk_rds::operation::restore_db_instance_from_db_snapshot::RestoreDbInstanceFromDbSnapshotOutput;
    use aws_sdk_rds::Client as Rds;
    use std::time::Duration;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";
    const ARN: &str = "arn:aws:rds:us-east-1:123456789012:db:t-postgres";

    /// A tier named `t` with the schema's defaults.
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
        d.postgres.engine_version = "15.14".into();
        d
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    fn tag_map(tags: &[rds::Tag]) -> Tags {
        tags.iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()
    }

    fn instance(status: &str) -> rds::DbInstance {
        rds::DbInstance::builder()
            .db_instance_identifier("t-postgres")
            .db_instance_arn(ARN)
            .db_instance_status(status)
            .build()
    }

    /// DescribeDBInstances of `t-postgres` answers the instance in `status`.
    fn statuses(fake: &Fake, times: usize, status: &'static str) {
        answer!(fake, Rds::describe_db_instances, move |input| {
            if input.db_instance_identifier() != Some("t-postgres") {
                return Err(failure("WrongInput", &format!("{input:?}")));
            }
            Ok(DescribeDbInstancesOutput::builder()
                .db_instances(instance(status))
                .build())
        }; times = times);
    }

    /// DescribeEvents of the instance answers `messages`, oldest first.
    fn events(fake: &Fake, messages: &'static [&'static str]) {
        answer!(fake, Rds::describe_events, move |input| {
            if input.source_identifier() != Some("t-postgres")
                || input.source_type() != Some(&rds::SourceType::DbInstance)
            {
                return Err(failure("WrongInput", &format!("{input:?}")));
            }
            let mut out = DescribeEventsOutput::builder();
            for m in messages {
                out = out.events(rds::Event::builder().message(*m).build());
            }
            Ok(out.build())
        });
    }

    fn not_found(fake: &Fake, times: usize) {
        answer!(fake, Rds::describe_db_instances, |_| Err(failure(
            "DBInstanceNotFound",
            "DBInstance t-postgres not found."
        )); times = times);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_db_available_table() {
        let cases = [
            Case {
                name: "creating, backing-up, then available",
                script: |f| {
                    statuses(f, 2, "creating");
                    statuses(f, 1, "backing-up");
                    statuses(f, 1, "available");
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Rds::describe_db_instances, |_| Err(failure(
                        "AccessDenied",
                        "User ci is not authorized to perform: rds:DescribeDBInstances"
                    )))
                },
                want: Err(
                    "AccessDenied: User ci is not authorized to perform: rds:DescribeDBInstances",
                ),
            },
            Case {
                name: "not found right after create, then creating, then available",
                script: |f| {
                    not_found(f, 2);
                    statuses(f, 1, "creating");
                    statuses(f, 1, "available");
                },
                want: Ok(()),
            },
            Case {
                name: "not listed right after create, then available",
                script: |f| {
                    answer!(f, Rds::describe_db_instances, |_| {
                        Ok(DescribeDbInstancesOutput::builder().build())
                    }; times = 1);
                    statuses(f, 1, "available");
                },
                want: Ok(()),
            },
            Case {
                name: "not found past the grace: the error is believed",
                script: |f| not_found(f, usize::MAX),
                want: Err("DBInstanceNotFound: DBInstance t-postgres not found."),
            },
            Case {
                name: "failed",
                script: |f| {
                    statuses(f, 1, "creating");
                    statuses(f, 1, "failed");
                    events(f, &["DB instance created", "Database instance failed to start: insufficient capacity in us-east-1a"]);
                },
                want: Err("DB instance t-postgres to become available failed: failed: DB instance created; Database instance failed to start: insufficient capacity in us-east-1a"),
            },
            Case {
                name: "incompatible-parameters",
                script: |f| {
                    statuses(f, 1, "incompatible-parameters");
                    events(f, &[]);
                },
                want: Err("t-postgres to become available failed: incompatible-parameters"),
            },
            Case {
                name: "incompatible-restore",
                script: |f| {
                    statuses(f, 1, "incompatible-restore");
                    events(f, &[]);
                },
                want: Err("t-postgres to become available failed: incompatible-restore"),
            },
            Case {
                name: "incompatible-network",
                script: |f| {
                    statuses(f, 1, "incompatible-network");
                    events(f, &[]);
                },
                want: Err("t-postgres to become available failed: incompatible-network"),
            },
            Case {
                name: "storage-full",
                script: |f| {
                    statuses(f, 1, "modifying");
                    statuses(f, 1, "storage-full");
                    events(f, &[]);
                },
                want: Err("t-postgres to become available failed: storage-full"),
            },
            Case {
                name: "inaccessible-encryption-credentials",
                script: |f| {
                    statuses(f, 1, "inaccessible-encryption-credentials");
                    events(f, &[]);
                },
                want: Err("failed: inaccessible-encryption-credentials"),
            },
            Case {
                name: "still creating at the deadline: the last state is named",
                script: |f| statuses(f, usize::MAX, "creating"),
                want: Err(
                    "waiting for DB instance t-postgres to become available; last seen: creating",
                ),
            },
        ];
        table(&cases, |aws, stop| async move {
            wait_db_available(&aws, &stop, &desired(), deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_db_available_stops_on_request() {
        stops_promptly(
            |f| statuses(f, usize::MAX, "creating"),
            |aws, stop| async move { wait_db_available(&aws, &stop, &desired(), deadline()).await },
        )
        .await;
        // A call that hangs is cut short too.
        stops_promptly(
            |f| {
                answer!(f, Rds::describe_db_instances, |_| {
                    Ok(DescribeDbInstancesOutput::builder().build())
                }; delay = Duration::from_secs(3600))
            },
            |aws, stop| async move { wait_db_available(&aws, &stop, &desired(), deadline()).await },
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn describe_db_table() {
        let cases = [
            Case {
                name: "available",
                script: |f| statuses(f, 1, "available"),
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Rds::describe_db_instances, |_| Err(failure(
                        "Throttling",
                        "Rate exceeded"
                    )))
                },
                want: Err("DescribeDBInstances: Throttling: Rate exceeded"),
            },
            Case {
                name: "not found: absent",
                script: |f| not_found(f, 1),
                want: Err("Absent"),
            },
            Case {
                name: "being deleted: absent",
                script: |f| statuses(f, 1, "deleting"),
                want: Err("Absent"),
            },
        ];
        table(&cases, |aws, _| async move {
            let seen = describe_db(&aws, &desired()).await?;
            match seen {
                Some(s) if s.arn == ARN && s.status == "available" => Ok(s),
                Some(s) => Err(AwsError::new("Test", "Wrong", format!("{s:?}"))),
                None => Err(AwsError::new("Test", "Absent", "no instance")),
            }
        })
        .await;
    }

    #[test]
    fn db_seen_reads_pending_changes_groups_and_tags() {
        let i = rds::DbInstance::builder()
            .db_instance_arn(ARN)
            .db_instance_status("modifying")
            .endpoint(
                rds::Endpoint::builder()
                    .address("t.rds.amazonaws.com")
                    .port(5433)
                    .build(),
            )
            .db_instance_class("db.t4g.medium")
            .preferred_maintenance_window("Sun:04:30-Sun:05:30")
            .pending_modified_values(
                rds::PendingModifiedValues::builder()
                    .db_instance_class("db.r6g.large")
                    .allocated_storage(100)
                    .multi_az(true)
                    .master_user_password("secret")
                    .build(),
            )
            .vpc_security_groups(
                rds::VpcSecurityGroupMembership::builder()
                    .vpc_security_group_id("sg-keep")
                    .status("active")
                    .build(),
            )
            .vpc_security_groups(
                rds::VpcSecurityGroupMembership::builder()
                    .vpc_security_group_id("sg-going")
                    .status("removing")
                    .build(),
            )
            .db_parameter_groups(
                rds::DbParameterGroupStatus::builder()
                    .db_parameter_group_name("t-postgres15")
                    .build(),
            )
            .master_user_secret(rds::MasterUserSecret::builder().secret_arn("arn:s").build())
            .tag_list(rds::Tag::builder().key("team").value("data").build())
            .build();
        let s = db_seen(&i);
        assert_eq!(s.arn, ARN);
        assert_eq!((s.address.as_str(), s.port), ("t.rds.amazonaws.com", 5433));
        assert_eq!(s.instance_class, "db.t4g.medium");
        assert_eq!(s.maintenance_window, "sun:04:30-sun:05:30");
        assert_eq!(s.security_groups, vec!["sg-keep".to_string()]);
        assert_eq!(s.parameter_group, "t-postgres15");
        assert_eq!(s.master_secret_arn.as_deref(), Some("arn:s"));
        assert_eq!(
            s.pending,
            BTreeMap::from([
                (
                    "postgres.instance_class".to_string(),
                    "db.r6g.large".to_string()
                ),
                ("postgres.allocated_storage".to_string(), "100".to_string()),
                ("postgres.multi_az".to_string(), "true".to_string()),
                ("postgres.password".to_string(), "(new)".to_string()),
            ])
        );
        assert_eq!(s.tags, Tags::from([("team".into(), "data".into())]));
        // Without an endpoint, the port is PostgreSQL's.
        assert_eq!(db_seen(&instance("creating")).port, 5432);
    }

    fn check_create(
        input: &aws_sdk_rds::operation::create_db_instance::CreateDbInstanceInput,
    ) -> bool {
        let d = desired();
        let p = &d.postgres;
        let want_tags = tier_tags(&Aws::for_tests(), &d, "postgres");
        input.db_instance_identifier() == Some("t-postgres")
            && input.engine() == Some("postgres")
            && input.engine_version() == Some(p.engine_version.as_str())
            && input.db_instance_class() == Some(p.instance_class.as_str())
            && input.allocated_storage() == Some(p.allocated_storage)
            && input.storage_encrypted() == Some(true)
            && input.kms_key_id() == Some(KEY)
            && input.db_subnet_group_name() == Some("t-postgres")
            && input.db_parameter_group_name() == Some("t-postgres15")
            && input.vpc_security_group_ids() == ["sg-db"]
            && input.publicly_accessible() == Some(false)
            && input.multi_az() == Some(p.multi_az)
            && input.deletion_protection() == Some(p.deletion_protection)
            && tag_map(input.tags()) == want_tags
    }

    #[tokio::test(start_paused = true)]
    async fn create_db_table() {
        let cases = [
            Case {
                name: "created, the password managed by RDS under the tier's key",
                script: |f| {
                    answer!(f, Rds::create_db_instance, |input| {
                        let managed = input.manage_master_user_password() == Some(true)
                            && input.master_user_secret_kms_key_id() == Some(KEY)
                            && input.master_user_password().is_none();
                        if !(check_create(input) && managed) {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(CreateDbInstanceOutput::builder()
                            .db_instance(instance("creating"))
                            .build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Rds::create_db_instance, |_| Err(failure(
                        "InsufficientDBInstanceCapacity",
                        "Cannot create a db.t4g.medium DB instance in us-east-1a"
                    )))
                },
                want: Err("InsufficientDBInstanceCapacity: Cannot create a db.t4g.medium"),
            },
            Case {
                name: "name taken (by an instance without this create's mark)",
                script: |f| {
                    answer!(f, Rds::create_db_instance, |_| Err(failure(
                        "DBInstanceAlreadyExists",
                        "DB instance already exists"
                    )));
                    statuses(f, 1, "available");
                },
                want: Err("CreateDBInstance: DBInstanceAlreadyExists"),
            },
            Case {
                name: "made by this create, its answer lost and the create retried",
                script: |f| {
                    answer!(f, Rds::create_db_instance, |_| Err(failure(
                        "DBInstanceAlreadyExists",
                        "DB instance already exists"
                    )));
                    answer!(f, Rds::describe_db_instances, |_| {
                        let marked = rds::Tag::builder()
                            .key("ode:creating")
                            .value("0123456789abcdef")
                            .build();
                        Ok(DescribeDbInstancesOutput::builder()
                            .db_instances(
                                rds::DbInstance::builder()
                                    .db_instance_identifier("t-postgres")
                                    .db_instance_arn(ARN)
                                    .db_instance_status("creating")
                                    .tag_list(marked)
                                    .build(),
                            )
                            .build())
                    });
                },
                want: Ok(()),
            },
        ];
        table(&cases, |aws, _| async move {
            create_db(&aws, &desired(), "sg-db", KEY).await
        })
        .await;

        // A major alone: the newest minor RDS offers in that major is sent.
        let cases = [
            Case {
                name: "15 resolves to the newest 15.x",
                script: |f| {
                    answer!(f, Rds::describe_db_engine_versions, |input| {
                        if input.engine() != Some("postgres")
                            || input.db_parameter_group_family() != Some("postgres15")
                        {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        let v = |v: &str| rds::DbEngineVersion::builder().engine_version(v).status("available").build();
                        Ok(DescribeDbEngineVersionsOutput::builder()
                            .db_engine_versions(v("15.13"))
                            .db_engine_versions(v("15.15"))
                            .db_engine_versions(v("15.14"))
                            .build())
                    });
                    answer!(f, Rds::create_db_instance, |input| {
                        if input.engine_version() != Some("15.15") {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(CreateDbInstanceOutput::builder()
                            .db_instance(instance("creating"))
                            .build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "no 15.x offered: nothing is created",
                script: |f| {
                    answer!(f, Rds::describe_db_engine_versions, |_| Ok(
                        DescribeDbEngineVersionsOutput::builder().build()
                    ));
                },
                want: Err("DescribeDBEngineVersions: NoVersionOffered: RDS offers no PostgreSQL 15.x version"),
            },
        ];
        table(&cases, |aws, _| async move {
            let mut d = desired();
            d.postgres.engine_version = "15".into();
            create_db(&aws, &d, "sg-db", KEY).await
        })
        .await;

        // The user's password.
        let cases = [Case {
            name: "created with the given password",
            script: |f| {
                answer!(f, Rds::create_db_instance, |input| {
                    let given = input.master_user_password() == Some("hunter2hunter2")
                        && input.manage_master_user_password().is_none();
                    if !(check_create(input) && given) {
                        return Err(failure("WrongInput", &format!("{input:?}")));
                    }
                    Ok(CreateDbInstanceOutput::builder().build())
                })
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            let mut d = desired();
            d.postgres.password = Password::Given("hunter2hunter2".into());
            create_db(&aws, &d, "sg-db", KEY).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn create_db_restores_from_a_snapshot() {
        let cases = [
            Case {
                name: "restored (no CreateDBInstance)",
                script: |f| {
                    answer!(f, Rds::restore_db_instance_from_db_snapshot, |input| {
                        let d = desired();
                        let ok = input.db_instance_identifier() == Some("t-postgres")
                            && input.db_snapshot_identifier() == Some("snap-1")
                            && input.db_subnet_group_name() == Some("t-postgres")
                            && input.db_parameter_group_name() == Some("t-postgres15")
                            && input.vpc_security_group_ids() == ["sg-db"]
                            && input.publicly_accessible() == Some(false)
                            && tag_map(input.tags())
                                == tier_tags(&Aws::for_tests(), &d, "postgres");
                        if !ok {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(RestoreDbInstanceFromDbSnapshotOutput::builder().build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Rds::restore_db_instance_from_db_snapshot, |_| Err(failure(
                        "DBSnapshotNotFound",
                        "DBSnapshot snap-1 not found."
                    )))
                },
                want: Err("RestoreDBInstanceFromDBSnapshot: DBSnapshotNotFound: DBSnapshot snap-1 not found."),
            },
        ];
        table(&cases, |aws, _| async move {
            let mut d = desired();
            d.postgres.restore_from_snapshot = Some("snap-1".into());
            create_db(&aws, &d, "sg-db", KEY).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_db_subnet_group_table() {
        // Missing: created, with the tier's tags.
        let cases = [
            Case {
                name: "created",
                script: |f| {
                    answer!(f, Rds::create_db_subnet_group, |input| {
                        let d = desired();
                        let ok = input.db_subnet_group_name() == Some("t-postgres")
                            && input.subnet_ids() == d.subnet_ids
                            && tag_map(input.tags())
                                == tier_tags(&Aws::for_tests(), &d, "subnets/postgres");
                        if !ok {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(CreateDbSubnetGroupOutput::builder().build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Rds::create_db_subnet_group, |_| {
                        Err(failure(
                        "DBSubnetGroupDoesNotCoverEnoughAZs",
                        "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement."
                    ))
                    })
                },
                want: Err("DBSubnetGroupDoesNotCoverEnoughAZs: The DB subnet group doesn't meet"),
            },
        ];
        table(&cases, |aws, _| async move {
            ensure_db_subnet_group(&aws, &desired(), &Observed::default()).await
        })
        .await;

        // Other subnets: modified.
        let cases = [
            Case {
                name: "modified",
                script: |f| {
                    answer!(f, Rds::modify_db_subnet_group, |input| {
                        if input.db_subnet_group_name() != Some("t-postgres")
                            || input.subnet_ids() != desired().subnet_ids
                        {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(ModifyDbSubnetGroupOutput::builder().build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Rds::modify_db_subnet_group, |_| Err(failure(
                        "SubnetAlreadyInUse",
                        "Subnet subnet-old is in use by t-postgres"
                    )))
                },
                want: Err("ModifyDBSubnetGroup: SubnetAlreadyInUse: Subnet subnet-old is in use"),
            },
        ];
        table(&cases, |aws, _| async move {
            let obs = Observed {
                db_subnet_group: Some(vec!["subnet-a".into(), "subnet-old".into()]),
                ..Default::default()
            };
            ensure_db_subnet_group(&aws, &desired(), &obs).await
        })
        .await;

        // The same subnets in another order: no call at all.
        let cases = [Case {
            name: "in step",
            script: |_| {},
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            let obs = Observed {
                db_subnet_group: Some(vec!["subnet-a".into(), "subnet-b".into()]),
                ..Default::default()
            };
            ensure_db_subnet_group(&aws, &desired(), &obs).await
        })
        .await;
    }

    fn params(ps: &[rds::Parameter]) -> Vec<(String, Option<String>, Option<rds::ApplyMethod>)> {
        ps.iter()
            .map(|p| {
                (
                    p.parameter_name().unwrap_or_default().to_string(),
                    p.parameter_value().map(str::to_string),
                    p.apply_method().cloned(),
                )
            })
            .collect()
    }

    fn with_parameters() -> Desired {
        let mut d = desired();
        d.postgres.parameters = BTreeMap::from([
            ("log_min_duration_statement".into(), "500".into()),
            ("work_mem".into(), "65536".into()),
        ]);
        d
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_pg_parameters_table() {
        // A new group: created in the engine's family, then every parameter set.
        let cases = [
            Case {
                name: "created and set",
                script: |f| {
                    answer!(f, Rds::create_db_parameter_group, |input| {
                        let ok = input.db_parameter_group_name() == Some("t-postgres15")
                            && input.db_parameter_group_family() == Some("postgres15")
                            && tag_map(input.tags())
                                == tier_tags(
                                    &Aws::for_tests(),
                                    &desired(),
                                    "parameters/postgres",
                                );
                        if !ok {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(CreateDbParameterGroupOutput::builder().build())
                    }; times = 1);
                    answer!(f, Rds::modify_db_parameter_group, |input| {
                        let pending = Some(rds::ApplyMethod::PendingReboot);
                        let want: Vec<_> = with_parameters()
                            .postgres
                            .parameters
                            .into_iter()
                            .map(|(k, v)| (k, Some(v), pending.clone()))
                            .collect();
                        if input.db_parameter_group_name() != Some("t-postgres15")
                            || params(input.parameters()) != want
                        {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(ModifyDbParameterGroupOutput::builder().build())
                    }; times = 1);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure on create",
                script: |f| {
                    answer!(f, Rds::create_db_parameter_group, |_| Err(failure(
                        "DBParameterGroupQuotaExceeded",
                        "Quota of 50 parameter groups exceeded"
                    )))
                },
                want: Err("CreateDBParameterGroup: DBParameterGroupQuotaExceeded: Quota of 50"),
            },
            Case {
                name: "AWS failure on modify",
                script: |f| {
                    answer!(f, Rds::create_db_parameter_group, |_| {
                        Ok(CreateDbParameterGroupOutput::builder().build())
                    });
                    answer!(f, Rds::modify_db_parameter_group, |_| Err(failure(
                        "InvalidParameterValue",
                        "Invalid parameter value: 65536 for: work_mem"
                    )));
                },
                want: Err("InvalidParameterValue: Invalid parameter value: 65536 for: work_mem"),
            },
            Case {
                name: "group not found right after create: reported",
                script: |f| {
                    answer!(f, Rds::create_db_parameter_group, |_| {
                        Ok(CreateDbParameterGroupOutput::builder().build())
                    });
                    answer!(f, Rds::modify_db_parameter_group, |_| Err(failure(
                        "DBParameterGroupNotFound",
                        "DBParameterGroup not found: t-postgres15"
                    )));
                },
                want: Err("DBParameterGroupNotFound: DBParameterGroup not found: t-postgres15"),
            },
        ];
        table(&cases, |aws, _| async move {
            ensure_pg_parameters(&aws, &with_parameters(), &Observed::default()).await
        })
        .await;

        // An existing group: only what differs is set, what is gone is reset,
        // applied at once when the plan says so.
        let cases = [
            Case {
                name: "set and reset",
                script: |f| {
                    answer!(f, Rds::modify_db_parameter_group, |input| {
                        let want = vec![(
                            "work_mem".to_string(),
                            Some("65536".to_string()),
                            Some(rds::ApplyMethod::Immediate),
                        )];
                        if params(input.parameters()) != want {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(ModifyDbParameterGroupOutput::builder().build())
                    }; times = 1);
                    answer!(f, Rds::reset_db_parameter_group, |input| {
                        let want = vec![(
                            "random_page_cost".to_string(),
                            None,
                            Some(rds::ApplyMethod::Immediate),
                        )];
                        if input.db_parameter_group_name() != Some("t-postgres15")
                            || params(input.parameters()) != want
                        {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(ResetDbParameterGroupOutput::builder().build())
                    }; times = 1);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure on reset",
                script: |f| {
                    answer!(f, Rds::modify_db_parameter_group, |_| {
                        Ok(ModifyDbParameterGroupOutput::builder().build())
                    });
                    answer!(f, Rds::reset_db_parameter_group, |_| Err(failure(
                        "InvalidDBParameterGroupState",
                        "The parameter group t-postgres15 is being modified"
                    )));
                },
                want: Err("ResetDBParameterGroup: InvalidDBParameterGroupState"),
            },
        ];
        table(&cases, |aws, _| async move {
            let mut d = with_parameters();
            d.postgres.apply_immediately = true;
            let obs = Observed {
                pg_parameters: Some(BTreeMap::from([
                    ("log_min_duration_statement".into(), "500".into()),
                    ("work_mem".into(), "4096".into()),
                    ("random_page_cost".into(), "1.1".into()),
                ])),
                ..Default::default()
            };
            ensure_pg_parameters(&aws, &d, &obs).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_pg_parameters_sends_at_most_20_a_call() {
        let fake = Fake::new();
        answer!(fake, Rds::modify_db_parameter_group, |input| {
            if input.parameters().len() > 20 {
                return Err(failure("InvalidParameterCombination", "more than 20"));
            }
            Ok(ModifyDbParameterGroupOutput::builder().build())
        });
        let mut d = desired();
        d.postgres.parameters = (0..25)
            .map(|i| (format!("p{i:02}"), i.to_string()))
            .collect();
        let obs = Observed {
            pg_parameters: Some(BTreeMap::new()),
            ..Default::default()
        };
        ensure_pg_parameters(&fake.aws(), &d, &obs).await.unwrap();
        assert_eq!(
            fake.count("ModifyDBParameterGroup"),
            2,
            "{:?}",
            fake.calls()
        );
        assert!(fake.unscripted().is_empty(), "{:?}", fake.unscripted());
    }

    /// What an instance shows when it is exactly as `d` asks, on security group `sg-db`.
    fn seen_of(d: &Desired) -> DbSeen {
        let p = &d.postgres;
        DbSeen {
            arn: ARN.into(),
            status: "available".into(),
            engine_version: p.engine_version.clone(),
            instance_class: p.instance_class.clone(),
            allocated_storage: p.allocated_storage,
            max_allocated_storage: p.max_allocated_storage,
            storage_type: p.storage_type.clone(),
            multi_az: p.multi_az,
            backup_retention_days: p.backup_retention_days,
            backup_window: p.backup_window.clone(),
            maintenance_window: p.maintenance_window.to_lowercase(),
            deletion_protection: p.deletion_protection,
            fields: p.fields.clone(),
            auto_minor_version_upgrade: p.auto_minor_version_upgrade,
            parameter_group: d.pg_parameter_group(),
            security_groups: vec!["sg-db".into()],
            master_secret_arn: Some("arn:aws:secretsmanager:us-east-1:1:secret:rds".into()),
            ..Default::default()
        }
    }

    struct Row {
        name: &'static str,
        change: fn(&mut Desired, &mut DbSeen),
        password_changed: bool,
        /// The modification wanted, from the base request (None: no call).
        want: fn(&Desired, ModifyDbInstanceInputBuilder) -> Option<ModifyDbInstanceInputBuilder>,
    }

    #[test]
    fn db_modification_table() {
        let rows = [
            Row {
                name: "in step: nothing",
                change: |_, _| {},
                password_changed: false,
                want: |_, _| None,
            },
            Row {
                name: "another class",
                change: |_, s| s.instance_class = "db.t3.micro".into(),
                password_changed: false,
                want: |d, m| Some(m.db_instance_class(&d.postgres.instance_class)),
            },
            Row {
                name: "a pending change already asks for the plan",
                change: |d, s| {
                    s.instance_class = "db.t3.micro".into();
                    s.pending.insert(
                        "postgres.instance_class".into(),
                        d.postgres.instance_class.clone(),
                    );
                },
                password_changed: false,
                want: |_, _| None,
            },
            Row {
                name: "a later minor AWS applied satisfies the plan",
                change: |_, s| s.engine_version = "15.16".into(),
                password_changed: false,
                want: |_, _| None,
            },
            Row {
                name: "a major upgrade moves to the new family's group",
                change: |d, _| d.postgres.engine_version = "16.3".into(),
                password_changed: false,
                want: |d, m| {
                    Some(
                        m.engine_version("16.3")
                            .allow_major_version_upgrade(true)
                            .db_parameter_group_name(d.pg_parameter_group()),
                    )
                },
            },
            Row {
                name: "storage autoscaling turned off",
                change: |_, s| s.max_allocated_storage = Some(200),
                password_changed: false,
                want: |_, m| Some(m.max_allocated_storage(0)),
            },
            Row {
                name: "public access is taken away",
                change: |_, s| s.publicly_accessible = true,
                password_changed: false,
                want: |_, m| Some(m.publicly_accessible(false)),
            },
            Row {
                name: "security groups drifted",
                change: |_, s| s.security_groups = vec!["sg-db".into(), "sg-extra".into()],
                password_changed: false,
                want: |_, m| Some(m.vpc_security_group_ids("sg-db")),
            },
            Row {
                name: "the password becomes managed",
                change: |_, s| s.master_secret_arn = None,
                password_changed: false,
                want: |_, m| {
                    Some(
                        m.manage_master_user_password(true)
                            .master_user_secret_kms_key_id(KEY),
                    )
                },
            },
            Row {
                name: "a given password replaces the managed one",
                change: |d, _| d.postgres.password = Password::Given("pw-123456789".into()),
                password_changed: false,
                want: |_, m| {
                    Some(
                        m.manage_master_user_password(false)
                            .master_user_password("pw-123456789"),
                    )
                },
            },
            Row {
                name: "a given password changed",
                change: |d, s| {
                    d.postgres.password = Password::Given("pw-123456789".into());
                    s.master_secret_arn = None;
                },
                password_changed: true,
                want: |_, m| Some(m.master_user_password("pw-123456789")),
            },
            Row {
                name: "a write-only password not in state is left alone",
                change: |d, s| {
                    d.postgres.password = Password::Given(String::new());
                    s.master_secret_arn = None;
                },
                password_changed: true,
                want: |_, _| None,
            },
        ];
        let aws = Aws::for_tests();
        for r in rows {
            let mut d = desired();
            let mut seen = seen_of(&d);
            (r.change)(&mut d, &mut seen);
            let got = db_modification(&aws, &d, &seen, "sg-db", KEY, r.password_changed)
                .map(|m| m.as_input().clone().build().unwrap());
            let base = ModifyDbInstanceInput::builder()
                .db_instance_identifier("t-postgres")
                .apply_immediately(d.postgres.apply_immediately);
            let want = (r.want)(&d, base).map(|m| m.build().unwrap());
            assert_eq!(got, want, "{}", r.name);
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn retag_rds_table() {
        let cases = [
            Case {
                name: "set and removed",
                script: |f| {
                    answer!(f, Rds::add_tags_to_resource, |input| {
                        if input.resource_name() != Some(ARN)
                            || tag_map(input.tags()) != tags(&[("b", "3"), ("c", "4")])
                        {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(AddTagsToResourceOutput::builder().build())
                    }; times = 1);
                    answer!(f, Rds::remove_tags_from_resource, |input| {
                        if input.resource_name() != Some(ARN) || input.tag_keys() != ["old"] {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(RemoveTagsFromResourceOutput::builder().build())
                    }; times = 1);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Rds::add_tags_to_resource, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: rds:AddTagsToResource"
                    )))
                },
                want: Err("AddTagsToResource: AccessDenied: not authorized to perform: rds:AddTagsToResource"),
            },
            Case {
                name: "AWS failure on remove",
                script: |f| {
                    answer!(f, Rds::add_tags_to_resource, |_| {
                        Ok(AddTagsToResourceOutput::builder().build())
                    });
                    answer!(f, Rds::remove_tags_from_resource, |_| Err(failure(
                        "DBInstanceNotFound",
                        "DBInstance t-postgres not found."
                    )));
                },
                want: Err("RemoveTagsFromResource: DBInstanceNotFound"),
            },
        ];
        table(&cases, |aws, _| async move {
            let have = tags(&[("a", "1"), ("b", "2"), ("old", "x")]);
            let want = tags(&[("a", "1"), ("b", "3"), ("c", "4")]);
            retag_rds(&aws, ARN, &have, &want).await
        })
        .await;

        // In step: no call.
        let cases = [Case {
            name: "in step",
            script: |_| {},
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            let t = tags(&[("a", "1")]);
            retag_rds(&aws, ARN, &t, &t).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn rds_tags_of_table() {
        let cases = [
            Case {
                name: "read",
                script: |f| {
                    answer!(f, Rds::list_tags_for_resource, |input| {
                        if input.resource_name() != Some(ARN) {
                            return Err(failure("WrongInput", &format!("{input:?}")));
                        }
                        Ok(ListTagsForResourceOutput::builder()
                            .tag_list(rds::Tag::builder().key("a").value("1").build())
                            .tag_list(rds::Tag::builder().key("b").value("2").build())
                            .build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Rds::list_tags_for_resource, |_| Err(failure(
                        "DBInstanceNotFound",
                        "DBInstance t-postgres not found."
                    )))
                },
                want: Err(
                    "ListTagsForResource: DBInstanceNotFound: DBInstance t-postgres not found.",
                ),
            },
        ];
        table(&cases, |aws, _| async move {
            let got = rds_tags_of(&aws, ARN).await?;
            if got != tags(&[("a", "1"), ("b", "2")]) {
                return Err(AwsError::new("Test", "Wrong", format!("{got:?}")));
            }
            Ok(got)
        })
        .await;
    }
}
