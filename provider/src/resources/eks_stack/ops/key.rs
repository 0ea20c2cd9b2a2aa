//! The secrets encryption key: the stack's own (made behind its alias) or a
//! supplied one, checked at plan.

use super::*;

/// The cluster role's inline policy: the use of the secrets key `key`, and no
/// other key (compared with what IAM holds by `kit::policy::same`).
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
        // Judged by this state's fingerprint, in a create as in an update: the key
        // keeps the create's mark until the first read (kit::claim).
        return match claim::judge(&tags, &aws.fingerprint) {
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
    let description = format!(
        "Envelope encryption of Kubernetes secrets of EKS cluster {}",
        d.name
    );
    Ok(kit::key::create_aliased(aws, &alias, description, &tags).await?)
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // SDK error types in scripted answers
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, table, Case, Fake};
    use crate::framework::Value;
    use aws_sdk_kms::operation::create_alias::CreateAliasOutput;
    use aws_sdk_kms::operation::create_key::CreateKeyOutput;
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::operation::list_keys::ListKeysOutput;
    use aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput;
    use aws_sdk_kms::types::{KeyListEntry, KeyMetadata, KeySpec, KeyState, KeyUsageType, Tag};
    use aws_sdk_kms::Client as Kms;

    const NAME: &str = "demo";
    const FP: &str = "0123456789abcdef";
    const ALIAS: &str = "alias/demo-eks-secrets";
    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const KEY_ARN: &str =
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn desired(creating: Option<&str>) -> Desired {
        let mut d = Desired::from_value(&Value::object([
            ("name", Value::string(NAME)),
            ("subnet_ids", Value::string_list(["subnet-1"])),
        ]));
        d.creating = creating.map(str::to_string);
        d
    }

    fn meta(state: KeyState, usage: KeyUsageType, spec: KeySpec) -> KeyMetadata {
        KeyMetadata::builder()
            .key_id(KEY_ID)
            .arn(KEY_ARN)
            .key_state(state)
            .key_usage(usage)
            .key_spec(spec)
            .build()
            .unwrap()
    }

    fn symmetric() -> KeyMetadata {
        meta(
            KeyState::Enabled,
            KeyUsageType::EncryptDecrypt,
            KeySpec::SymmetricDefault,
        )
    }

    /// DescribeKey answers `m` for the key `id` (an ARN or an alias).
    fn described(fake: &Fake, id: &'static str, m: Option<KeyMetadata>) {
        answer!(fake, Kms::describe_key, move |i| {
            if i.key_id() != Some(id) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DescribeKeyOutput::builder()
                .set_key_metadata(m.clone())
                .build())
        }; times = 1);
    }

    // ------------------------------------------------------- check_supplied_key

    #[tokio::test(start_paused = true)]
    async fn check_supplied_key_table() {
        let cases = [
            Case {
                name: "enabled symmetric encryption key",
                script: |f| described(f, KEY_ARN, Some(symmetric())),
                want: Ok(()),
            },
            Case {
                name: "disabled",
                script: |f| {
                    let mut m = symmetric();
                    m.key_state = Some(KeyState::Disabled);
                    described(f, KEY_ARN, Some(m));
                },
                want: Err("is Disabled; EKS needs an enabled key"),
            },
            Case {
                name: "pending deletion",
                script: |f| {
                    let mut m = symmetric();
                    m.key_state = Some(KeyState::PendingDeletion);
                    described(f, KEY_ARN, Some(m));
                },
                want: Err("is PendingDeletion; EKS needs an enabled key"),
            },
            Case {
                name: "asymmetric signing key",
                script: |f| {
                    described(
                        f,
                        KEY_ARN,
                        Some(meta(
                            KeyState::Enabled,
                            KeyUsageType::SignVerify,
                            KeySpec::Rsa2048,
                        )),
                    )
                },
                want: Err("is a RSA_2048 key for SIGN_VERIFY"),
            },
            Case {
                name: "symmetric HMAC key",
                script: |f| {
                    described(
                        f,
                        KEY_ARN,
                        Some(meta(
                            KeyState::Enabled,
                            KeyUsageType::GenerateVerifyMac,
                            KeySpec::Hmac256,
                        )),
                    )
                },
                want: Err("is a HMAC_256 key for GENERATE_VERIFY_MAC"),
            },
            Case {
                name: "not found",
                script: |f| {
                    answer!(f, Kms::describe_key, |_| Err(failure(
                        "NotFoundException",
                        "Key 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist"
                    )))
                },
                want: Err("No KMS key arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab in this account and region."),
            },
            Case {
                name: "no kms:DescribeKey: left for EKS to judge",
                script: |f| {
                    answer!(f, Kms::describe_key, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: kms:DescribeKey"
                    )))
                },
                want: Ok(()),
            },
            Case {
                name: "other AWS failure",
                script: |f| {
                    answer!(f, Kms::describe_key, |_| Err(failure(
                        "KMSInternalException",
                        "internal error"
                    )))
                },
                want: Err("DescribeKey: KMSInternalException: internal error"),
            },
            Case {
                name: "no metadata in the answer",
                script: |f| described(f, KEY_ARN, None),
                want: Err("KMS described no key for arn:aws:kms"),
            },
        ];
        table(&cases, |aws, _| async move {
            check_supplied_key(&aws, KEY_ARN)
                .await
                .map_err(|m| AwsError::new("CheckSuppliedKey", "Invalid", m))
        })
        .await;
    }

    type Script = fn(&Fake);

    #[tokio::test]
    async fn is_stack_key_asks_the_alias() {
        let rows: [(Script, bool); 4] = [
            (|f| described(f, ALIAS, Some(symmetric())), true),
            (
                |f| {
                    let mut m = symmetric();
                    m.arn = Some("arn:aws:kms:us-east-1:111122223333:key/other".into());
                    described(f, ALIAS, Some(m));
                },
                false,
            ),
            (
                |f| {
                    answer!(f, Kms::describe_key, |_| {
                        Err(failure(
                        "NotFoundException",
                        "Alias arn:aws:kms:us-east-1:111122223333:alias/demo-eks-secrets is not found."
                    ))
                    })
                },
                false,
            ),
            (
                |f| {
                    answer!(f, Kms::describe_key, |_| Err(failure(
                        "AccessDeniedException",
                        "no"
                    )))
                },
                false,
            ),
        ];
        for (i, (script, want)) in rows.into_iter().enumerate() {
            let fake = Fake::new();
            script(&fake);
            assert_eq!(
                is_stack_key(&fake.aws(), NAME, KEY_ARN).await,
                want,
                "row {i}"
            );
            assert!(
                fake.unscripted().is_empty(),
                "row {i}: {:?}",
                fake.unscripted()
            );
        }
    }

    // --------------------------------------------------------------- ensure_key

    fn no_alias(fake: &Fake) {
        answer!(fake, Kms::describe_key, |_| Err(failure(
            "NotFoundException",
            "Alias arn:aws:kms:us-east-1:111122223333:alias/demo-eks-secrets is not found."
        )); times = 1);
    }

    /// ListKeys answers `ids` (one page).
    fn listed(fake: &Fake, ids: &'static [&'static str]) {
        answer!(fake, Kms::list_keys, move |_| {
            Ok(ListKeysOutput::builder()
                .set_keys(Some(ids.iter().map(|id| KeyListEntry::builder().key_id(*id).build()).collect()))
                .truncated(false)
                .build())
        }; times = 1);
    }

    fn key_tags(fake: &Fake, tags: &'static [(&'static str, &'static str)]) {
        answer!(fake, Kms::list_resource_tags, move |i| {
            if i.key_id() != Some(KEY_ID) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(ListResourceTagsOutput::builder()
                .set_tags(Some(
                    tags.iter()
                        .map(|(k, v)| Tag::builder().tag_key(*k).tag_value(*v).build().unwrap())
                        .collect(),
                ))
                .build())
        }; times = 1);
    }

    /// CreateKey answers a request tagged as the stack's (marked `creating`).
    fn key_created(fake: &Fake, creating: Option<&'static str>) {
        answer!(fake, Kms::create_key, move |i| {
            let tags: Tags = i
                .tags()
                .iter()
                .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
                .collect();
            let ok = tags.get(&owner_key("stack")).map(String::as_str) == Some(NAME)
                && tags.get(&owner_key("key")).map(String::as_str) == Some("kms")
                && tags.get(CREATING_TAG).map(String::as_str) == creating
                && i.description().is_some_and(|d| d.contains(NAME));
            if !ok {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(CreateKeyOutput::builder().key_metadata(symmetric()).build())
        }; times = 1);
    }

    fn alias_created(fake: &Fake) {
        answer!(fake, Kms::create_alias, |i| {
            if i.alias_name() != Some(ALIAS) || i.target_key_id() != Some(KEY_ID) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(CreateAliasOutput::builder().build())
        }; times = 1);
    }

    async fn ensure_stack_key(d: Desired, aws: Aws) -> Result<(), AwsError> {
        let arn = ensure_key(&aws, &d).await.map_err(|e| match e {
            ClaimError::Aws(e) => e,
            ClaimError::Taken { what, owner } => {
                AwsError::new("Claim", "Taken", format!("{what} is taken ({owner:?})"))
            }
        })?;
        if arn != KEY_ARN {
            return Err(AwsError::new("Test", "WrongArn", arn));
        }
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_key_table() {
        let cases = [
            Case {
                name: "absent: created marked as the stack's, then its alias",
                script: |f| {
                    no_alias(f);
                    listed(f, &[]);
                    key_created(f, Some(FP));
                    alias_created(f);
                },
                want: Ok(()),
            },
            Case {
                name: "made by an unfinished create that never aliased it: aliased, not made again",
                script: |f| {
                    no_alias(f);
                    listed(f, &[KEY_ID]);
                    key_tags(
                        f,
                        &[("ode:stack", NAME), ("ode:component", "eks-stack"), ("ode:key", "kms"), ("ode:creating", FP), ("team", "old")],
                    );
                    described(f, KEY_ID, Some(symmetric()));
                    alias_created(f);
                },
                want: Ok(()),
            },
            Case {
                name: "a key of the stack with another mark is not taken",
                script: |f| {
                    no_alias(f);
                    listed(f, &[KEY_ID]);
                    key_tags(
                        f,
                        &[("ode:stack", NAME), ("ode:component", "eks-stack"), ("ode:key", "kms"), ("ode:creating", "fedcba9876543210")],
                    );
                    key_created(f, Some(FP));
                    alias_created(f);
                },
                want: Ok(()),
            },
            Case {
                name: "left by an unfinished create of this stack: adopted",
                script: |f| {
                    described(f, ALIAS, Some(symmetric()));
                    key_tags(f, &[("ode:stack", NAME), ("ode:creating", FP)]);
                },
                want: Ok(()),
            },
            Case {
                name: "being created by another configuration",
                script: |f| {
                    described(f, ALIAS, Some(symmetric()));
                    key_tags(f, &[("ode:stack", NAME), ("ode:creating", "fedcba9876543210")]);
                },
                want: Err("KMS key alias/demo-eks-secrets is taken (CreatingElsewhere)"),
            },
            Case {
                name: "a finished key of that alias, met by a create",
                script: |f| {
                    described(f, ALIAS, Some(symmetric()));
                    key_tags(f, &[("ode:stack", NAME)]);
                },
                want: Err("KMS key alias/demo-eks-secrets is taken (Managed)"),
            },
            Case {
                name: "DescribeKey fails",
                script: |f| {
                    answer!(f, Kms::describe_key, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: kms:DescribeKey"
                    )))
                },
                want: Err("DescribeKey: AccessDeniedException: not authorized to perform: kms:DescribeKey"),
            },
            Case {
                name: "ListResourceTags fails",
                script: |f| {
                    described(f, ALIAS, Some(symmetric()));
                    answer!(f, Kms::list_resource_tags, |_| Err(failure(
                        "KMSInternalException",
                        "internal error"
                    )));
                },
                want: Err("ListResourceTags: KMSInternalException: internal error"),
            },
            Case {
                name: "CreateKey refused",
                script: |f| {
                    no_alias(f);
                    listed(f, &[]);
                    answer!(f, Kms::create_key, |_| Err(failure(
                        "LimitExceededException",
                        "Customer master keys per account limit exceeded"
                    )));
                },
                want: Err("CreateKey: LimitExceededException: Customer master keys per account limit exceeded"),
            },
            Case {
                name: "CreateAlias refused",
                script: |f| {
                    no_alias(f);
                    listed(f, &[]);
                    key_created(f, Some(FP));
                    answer!(f, Kms::create_alias, |_| Err(failure(
                        "AlreadyExistsException",
                        "An alias with the name arn:aws:kms:us-east-1:111122223333:alias/demo-eks-secrets already exists"
                    )));
                    described(f, ALIAS, Some(KeyMetadata::builder().key_id("other-key").build().unwrap()));
                },
                want: Err("CreateAlias: AlreadyExistsException: An alias with the name"),
            },
            Case {
                name: "CreateAlias carried out, its answer lost: the alias is the new key's",
                script: |f| {
                    no_alias(f);
                    listed(f, &[]);
                    key_created(f, Some(FP));
                    answer!(f, Kms::create_alias, |_| Err(failure(
                        "AlreadyExistsException",
                        "An alias with the name arn:aws:kms:us-east-1:111122223333:alias/demo-eks-secrets already exists"
                    )));
                    described(f, ALIAS, Some(symmetric()));
                },
                want: Ok(()),
            },
        ];
        table(&cases, |aws, _| ensure_stack_key(desired(Some(FP)), aws)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_key_on_update_table() {
        let cases = [
            Case {
                name: "the stack's own finished key: kept",
                script: |f| {
                    described(f, ALIAS, Some(symmetric()));
                    key_tags(f, &[("ode:stack", NAME)]);
                },
                want: Ok(()),
            },
            Case {
                name: "a key of that alias that is not the stack's",
                script: |f| {
                    described(f, ALIAS, Some(symmetric()));
                    key_tags(f, &[("ode:stack", "other")]);
                },
                want: Err("KMS key alias/demo-eks-secrets is taken (Managed)"),
            },
            Case {
                name: "absent: created without a creating mark",
                script: |f| {
                    no_alias(f);
                    key_created(f, None);
                    alias_created(f);
                },
                want: Ok(()),
            },
        ];
        table(&cases, |aws, _| ensure_stack_key(desired(None), aws)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_key_retries_a_key_not_visible_yet() {
        let cases = [Case {
            name: "key not found right after create, then aliased",
            script: |f| {
                no_alias(f);
                listed(f, &[]);
                key_created(f, Some(FP));
                answer!(f, Kms::create_alias, |_| Err(failure(
                    "NotFoundException",
                    "Key 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist"
                )); times = 1);
                alias_created(f);
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| ensure_stack_key(desired(Some(FP)), aws)).await;
    }

    #[test]
    fn key_policy_allows_only_the_key() {
        for key in [KEY_ARN, "arn:aws-cn:kms:cn-north-1:111122223333:key/k"] {
            let p: serde_json::Value = serde_json::from_str(&key_policy(key)).unwrap();
            let statements = p["Statement"].as_array().unwrap();
            assert_eq!(statements.len(), 1);
            let s = &statements[0];
            assert_eq!(s["Effect"], "Allow");
            assert_eq!(s["Resource"], key);
            assert_eq!(
                s["Action"],
                serde_json::json!([
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ListGrants",
                    "kms:DescribeKey"
                ])
            );
        }
    }
}
