//! PostgreSQL (RDS): the instance's finder, subnet and parameter groups, its
//! waiter, create (or restore), the modification that brings it to the plan, tags.

use super::*;

pub(super) fn rds_tags(tags: &Tags) -> Vec<rds::Tag> {
    tags.iter()
        .map(|(k, v)| rds::Tag::builder().key(k).value(v).build())
        .collect()
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

pub(super) async fn ensure_pg_parameters(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
) -> Result<(), AwsError> {
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

pub(super) fn db_waiter(d: &Desired, what: &str, deadline: Instant) -> Waiter {
    Waiter::new(
        "DescribeDBInstances",
        format!("DB instance {} to {what}", d.db_id()),
        deadline,
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
                | "inaccessible-encryption-credentials" => Status::Failed(status),
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
