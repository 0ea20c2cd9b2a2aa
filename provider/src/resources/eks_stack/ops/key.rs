//! The secrets encryption key: the stack's own (made behind its alias) or a
//! supplied one, checked at plan.

use super::*;

/// The cluster role's inline policy: the use of the secrets key `key`, and no
/// other key (normalised JSON, as read back).
pub fn key_policy(key: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "SecretsEnvelopeEncryption",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
            "Resource": key,
        }]
    })
    .to_string()
}

/// A supplied secrets key must exist, be enabled and be a symmetric encryption key.
pub async fn check_supplied_key(aws: &Aws, arn: &str) -> Result<(), String> {
    let r = aws
        .kms
        .describe_key()
        .key_id(arn)
        .send()
        .await
        .op("DescribeKey");
    let meta = match r {
        Ok(r) => r.key_metadata().cloned(),
        Err(e) if e.is_not_found() || e.is_code(&["NotFoundException"]) => {
            return Err(format!("No KMS key {arn} in this account and region."))
        }
        // Without kms:DescribeKey the key cannot be judged here; EKS judges it at create.
        Err(e) if e.is_permission() => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let Some(m) = meta else {
        return Err(format!("KMS described no key for {arn}."));
    };
    let state = m
        .key_state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let usage = m
        .key_usage()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let spec = m
        .key_spec()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    if state != "Enabled" {
        return Err(format!(
            "The key {arn} is {state}; EKS needs an enabled key."
        ));
    }
    if usage != "ENCRYPT_DECRYPT" || spec != "SYMMETRIC_DEFAULT" {
        return Err(format!(
            "The key {arn} is a {spec} key for {usage}; EKS encrypts secrets only with a symmetric (SYMMETRIC_DEFAULT) ENCRYPT_DECRYPT key."
        ));
    }
    Ok(())
}

/// Whether `arn` is the secrets key the stack `name` created (its alias).
pub async fn is_stack_key(aws: &Aws, name: &str, arn: &str) -> bool {
    let alias = format!("alias/{name}-eks-secrets");
    matches!(
        aws.kms.describe_key().key_id(alias).send().await,
        Ok(r) if r.key_metadata().and_then(|m| m.arn()) == Some(arn)
    )
}

/// The stack's secrets key: adopted through its alias when an unfinished create
/// of this stack left it, else created.
pub(super) async fn ensure_key(aws: &Aws, d: &Desired) -> Result<String, ClaimError> {
    let alias = format!("alias/{}-eks-secrets", d.name);
    let existing = found(
        aws.kms
            .describe_key()
            .key_id(&alias)
            .send()
            .await
            .op("DescribeKey"),
        &["NotFoundException"],
    )?;
    if let Some(k) = existing.as_ref().and_then(|r| r.key_metadata()) {
        let arn = k.arn().unwrap_or_default().to_string();
        let tags: Tags = aws
            .kms
            .list_resource_tags()
            .key_id(k.key_id())
            .send()
            .await
            .op("ListResourceTags")?
            .tags()
            .iter()
            .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
            .collect();
        let ours = tags.get(&owner_key("stack")) == Some(&d.name);
        return match claim::judge(&tags, d.creating.as_deref().unwrap_or_default()) {
            Owner::Ours => Ok(arn),
            // An update that makes the cluster again: the key is the stack's own.
            Owner::Managed if ours && d.creating.is_none() => Ok(arn),
            owner => Err(ClaimError::Taken {
                what: format!("KMS key {alias}"),
                owner,
            }),
        };
    }
    let mut tags = stack_tags(aws, d, "kms");
    if let Some(fp) = &d.creating {
        tags.insert(CREATING_TAG.to_string(), fp.clone());
    }
    let kms_tags = tags
        .iter()
        .map(|(k, v)| {
            aws_sdk_kms::types::Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .map_err(|e| AwsError::build("CreateKey", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let r = aws
        .kms
        .create_key()
        .description(format!(
            "Envelope encryption of Kubernetes secrets of EKS cluster {}",
            d.name
        ))
        .set_tags(Some(kms_tags))
        .send()
        .await
        .op("CreateKey")?;
    let meta = r.key_metadata();
    let (id, arn) = (
        meta.map(|m| m.key_id().to_string()).unwrap_or_default(),
        meta.and_then(|m| m.arn()).unwrap_or_default().to_string(),
    );
    aws.kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&id)
        .send()
        .await
        .op("CreateAlias")?;
    Ok(arn)
}
