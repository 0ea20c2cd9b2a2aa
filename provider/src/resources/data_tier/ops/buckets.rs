//! The tier's buckets: made and configured through `kit::bucket`, found for an
//! import, and counted before a destroy.

use super::*;

pub(super) fn bucket_tags_for(aws: &Aws, d: &Desired, key: &str) -> Tags {
    tier_tags(aws, d, &format!("bucket/{key}"))
}

pub(super) async fn ensure_bucket(
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
            bucket::create(aws, &name, &tags).await.map_err(|e| {
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
        let policy = seen.and_then(|s| s.policy.as_deref());
        // A bucket made a moment ago may answer NoSuchBucket for a while.
        kit::retry::on_new(seen.is_none(), || {
            bucket::configure(aws, &want, &fixes, policy)
        })
        .await?;
    }
    Ok(())
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

#[cfg(test)]
// The scripts answer the SDK's own (large) error types.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, table, Case, Fake};
    use crate::framework::Value;
    use crate::kit::bucket::Lifecycle;
    use aws_sdk_s3::operation::create_bucket::CreateBucketOutput;
    use aws_sdk_s3::operation::delete_bucket_lifecycle::DeleteBucketLifecycleOutput;
    use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput;
    use aws_sdk_s3::operation::list_buckets::ListBucketsOutput;
    use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
    use aws_sdk_s3::operation::put_bucket_encryption::PutBucketEncryptionOutput;
    use aws_sdk_s3::operation::put_bucket_lifecycle_configuration::PutBucketLifecycleConfigurationOutput;
    use aws_sdk_s3::operation::put_bucket_policy::PutBucketPolicyOutput;
    use aws_sdk_s3::operation::put_bucket_tagging::PutBucketTaggingOutput;
    use aws_sdk_s3::operation::put_bucket_versioning::PutBucketVersioningOutput;
    use aws_sdk_s3::operation::put_public_access_block::PutPublicAccessBlockOutput;
    use aws_sdk_s3::types as s3;
    use aws_sdk_s3::Client as S3;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";

    fn desired() -> Desired {
        Desired::from_value(
            &Value::object([
                ("name", Value::string("t")),
                ("vpc_id", Value::string("vpc-1")),
                ("subnet_ids", Value::string_list(["subnet-a", "subnet-b"])),
            ]),
            &Value::Null,
        )
    }

    /// Versioned, SSE-KMS, to Standard-IA after 30 days.
    fn spec() -> BucketSpec {
        BucketSpec {
            versioning: true,
            kms: true,
            lifecycle: Lifecycle {
                ia_days: Some(30),
                ..Default::default()
            },
        }
    }

    fn wrong<E: aws_smithy_runtime_api::client::result::CreateUnhandledError>(
        input: &impl std::fmt::Debug,
    ) -> E {
        failure("WrongInput", &format!("{input:?}"))
    }

    fn want_tags() -> Tags {
        bucket_tags_for(&Aws::for_tests(), &desired(), "data")
    }

    /// The Sids of a policy's statements.
    fn sids(policy: Option<&str>) -> Vec<String> {
        let doc: serde_json::Value =
            serde_json::from_str(policy.unwrap_or("{}")).unwrap_or_default();
        doc["Statement"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s["Sid"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn bucket_created(fake: &Fake) {
        answer!(fake, S3::create_bucket, |input| {
            // us-east-1 takes no location constraint; the tags come with the bucket.
            let config = input.create_bucket_configuration();
            let tagged = config.is_some_and(|c| {
                c.tags().iter().any(|t| t.key() == "ode:stack" && t.value() == "t")
            });
            if input.bucket() != Some("t-data")
                || config.and_then(|c| c.location_constraint()).is_some()
                || !tagged
            {
                return Err(wrong(input));
            }
            Ok(CreateBucketOutput::builder().build())
        }; times = 1);
    }

    fn versioning_put(fake: &Fake) {
        answer!(fake, S3::put_bucket_versioning, |input| {
            let status = input.versioning_configuration().and_then(|v| v.status());
            if input.bucket() != Some("t-data") || status != Some(&s3::BucketVersioningStatus::Enabled) {
                return Err(wrong(input));
            }
            Ok(PutBucketVersioningOutput::builder().build())
        }; times = 1);
    }

    fn policy_put(fake: &Fake, want: &'static [&'static str]) {
        answer!(fake, S3::put_bucket_policy, move |input| {
            let policy = input.policy().unwrap_or_default();
            if input.bucket() != Some("t-data")
                || sids(Some(policy)) != want
                || !policy.contains("arn:aws:s3:::t-data/*")
            {
                return Err(wrong(input));
            }
            Ok(PutBucketPolicyOutput::builder().build())
        }; times = 1);
    }

    /// Every setting of a new bucket.
    fn configured(fake: &Fake) {
        versioning_put(fake);
        answer!(fake, S3::put_bucket_encryption, |input| {
            let by_default = input
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default());
            let ok = input.bucket() == Some("t-data")
                && by_default.map(|b| b.sse_algorithm()) == Some(&s3::ServerSideEncryption::AwsKms)
                && by_default.and_then(|b| b.kms_master_key_id()) == Some(KEY);
            if !ok {
                return Err(wrong(input));
            }
            Ok(PutBucketEncryptionOutput::builder().build())
        }; times = 1);
        answer!(fake, S3::put_public_access_block, |input| {
            let all = input.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            });
            if input.bucket() != Some("t-data") || !all {
                return Err(wrong(input));
            }
            Ok(PutPublicAccessBlockOutput::builder().build())
        }; times = 1);
        policy_put(fake, &["DenyInsecureTransport"]);
        answer!(fake, S3::put_bucket_tagging, |input| {
            let got: Tags = input
                .tagging()
                .map(|t| {
                    t.tag_set()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            if input.bucket() != Some("t-data") || got != want_tags() {
                return Err(wrong(input));
            }
            Ok(PutBucketTaggingOutput::builder().build())
        }; times = 1);
        answer!(fake, S3::put_bucket_lifecycle_configuration, |input| {
            let days = input
                .lifecycle_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.transitions().first())
                .map(|t| (t.days(), t.storage_class().cloned()));
            let want = Some((Some(30), Some(s3::TransitionStorageClass::StandardIa)));
            if input.bucket() != Some("t-data") || days != want {
                return Err(wrong(input));
            }
            Ok(PutBucketLifecycleConfigurationOutput::builder().build())
        }; times = 1);
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_bucket_creates_table() {
        let cases = [
            Case {
                name: "created and configured",
                script: |f| {
                    bucket_created(f);
                    configured(f);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, S3::create_bucket, |_| Err(failure(
                        "AccessDenied",
                        "User ci is not authorized to perform: s3:CreateBucket"
                    )))
                },
                want: Err("CreateBucket: AccessDenied: User ci is not authorized to perform: s3:CreateBucket"),
            },
            Case {
                name: "the name belongs to another account",
                script: |f| {
                    answer!(f, S3::create_bucket, |_| Err(failure(
                        "BucketAlreadyExists",
                        "The requested bucket name is not available."
                    )))
                },
                want: Err("BucketAlreadyExists: bucket names are global and t-data belongs to another account"),
            },
            Case {
                name: "AWS failure configuring",
                script: |f| {
                    bucket_created(f);
                    answer!(f, S3::put_bucket_policy, |_| Err(failure(
                        "AccessDenied",
                        "public policies are blocked by the BlockPublicPolicy block public access setting"
                    )));
                    configured(f);
                },
                want: Err("PutBucketPolicy: AccessDenied: public policies are blocked"),
            },
        ];
        table(&cases, |aws, _| async move {
            ensure_bucket(&aws, &desired(), "data", &spec(), None, KEY).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_bucket_waits_for_a_new_bucket_to_be_visible() {
        let cases = [Case {
            name: "not found right after create, then configured",
            script: |f| {
                bucket_created(f);
                answer!(f, S3::put_bucket_versioning, |_| Err(failure(
                    "NoSuchBucket",
                    "The specified bucket does not exist"
                )); times = 1);
                configured(f);
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            ensure_bucket(&aws, &desired(), "data", &spec(), None, KEY).await
        })
        .await;
    }

    /// What AWS shows of `t-data` when it is exactly as `spec()` asks.
    fn in_step() -> BucketSeen {
        BucketSeen {
            versioning: bucket::VERSIONING_ON.into(),
            encryption: bucket::ENC_KMS.into(),
            kms_key_arn: Some(KEY.into()),
            public_access_blocked: true,
            tls_only_policy: true,
            policy: Some(r#"{"Statement":[{"Sid":"DenyInsecureTransport"}]}"#.into()),
            tags: want_tags(),
            lifecycle: Some(spec().lifecycle),
        }
    }

    /// Versioning suspended by hand, and a user's policy without the TLS statement.
    fn drifted() -> BucketSeen {
        BucketSeen {
            versioning: "Suspended".into(),
            tls_only_policy: false,
            policy: Some(
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnly","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::t-data/*"}]}"#
                    .into(),
            ),
            ..in_step()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_bucket_repairs_drift_table() {
        let cases = [
            Case {
                name: "only what drifted is written, the user's policy kept",
                script: |f| {
                    versioning_put(f);
                    policy_put(f, &["ReadOnly", "DenyInsecureTransport"]);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    versioning_put(f);
                    answer!(f, S3::put_bucket_policy, |_| Err(failure(
                        "MalformedPolicy",
                        "Policy has invalid resource"
                    )));
                },
                want: Err("PutBucketPolicy: MalformedPolicy: Policy has invalid resource"),
            },
            Case {
                name: "bucket deleted since it was read: reported",
                script: |f| {
                    answer!(f, S3::put_bucket_versioning, |_| Err(failure(
                        "NoSuchBucket",
                        "The specified bucket does not exist"
                    )));
                    policy_put(f, &["ReadOnly", "DenyInsecureTransport"]);
                },
                want: Err("PutBucketVersioning: NoSuchBucket"),
            },
        ];
        table(&cases, |aws, _| async move {
            ensure_bucket(&aws, &desired(), "data", &spec(), Some(&drifted()), KEY).await
        })
        .await;

        // A lifecycle no longer wanted is deleted; in step, nothing is called.
        let cases = [Case {
            name: "lifecycle removed",
            script: |f| {
                answer!(f, S3::delete_bucket_lifecycle, |input| {
                    if input.bucket() != Some("t-data") {
                        return Err(wrong(input));
                    }
                    Ok(DeleteBucketLifecycleOutput::builder().build())
                }; times = 1);
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            let plain = BucketSpec {
                lifecycle: Lifecycle::default(),
                ..spec()
            };
            let d = desired();
            ensure_bucket(&aws, &d, "data", &plain, Some(&in_step()), KEY).await
        })
        .await;
        let cases = [Case {
            name: "in step",
            script: |_| {},
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            ensure_bucket(&aws, &desired(), "data", &spec(), Some(&in_step()), KEY).await
        })
        .await;
    }

    fn s3_tag(k: &str, v: &str) -> s3::Tag {
        s3::Tag::builder().key(k).value(v).build().unwrap()
    }

    /// Buckets under `t-`: `t-data` is the tier's, `t-logs` another stack's,
    /// `t-net` another component's, `t-bare` untagged, `t-gone` deleted since
    /// the listing; `tx-data` only shares the first letter.
    fn listing(fake: &Fake) {
        answer!(fake, S3::list_buckets, |input| {
            if input.prefix() != Some("t-") {
                return Err(wrong(input));
            }
            let mut out = ListBucketsOutput::builder();
            for b in ["t-data", "t-logs", "t-net", "t-bare", "t-gone", "tx-data"] {
                out = out.buckets(s3::Bucket::builder().name(b).build());
            }
            Ok(out.build())
        }; times = 1);
    }

    fn tagging(fake: &Fake) {
        answer!(fake, S3::get_bucket_tagging, |input| {
            let ours = |stack: &str, component: &str, key: &str| {
                Ok(GetBucketTaggingOutput::builder()
                    .tag_set(s3_tag(&owner_key("stack"), stack))
                    .tag_set(s3_tag(&owner_key("component"), component))
                    .tag_set(s3_tag(&owner_key("key"), key))
                    .build()
                    .unwrap())
            };
            match input.bucket().unwrap_or_default() {
                "t-data" | "tx-data" => ours("t", COMPONENT, "bucket/data"),
                "t-logs" => ours("t-logs-stack", COMPONENT, "bucket/logs"),
                "t-net" => ours("t", "network", "bucket/net"),
                "t-bare" => Err(failure("NoSuchTagSet", "The TagSet does not exist")),
                "t-gone" => Err(failure(
                    "NoSuchBucket",
                    "The specified bucket does not exist",
                )),
                _ => Err(wrong(input)),
            }
        });
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_keys_table() {
        let cases = [
            Case {
                name: "only the tier's own, a bucket gone since the listing skipped",
                script: |f| {
                    listing(f);
                    tagging(f);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure listing",
                script: |f| {
                    answer!(f, S3::list_buckets, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: s3:ListAllMyBuckets"
                    )))
                },
                want: Err("ListBuckets: AccessDenied: not authorized to perform: s3:ListAllMyBuckets"),
            },
            Case {
                name: "AWS failure reading tags",
                script: |f| {
                    listing(f);
                    answer!(f, S3::get_bucket_tagging, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: s3:GetBucketTagging"
                    )));
                },
                want: Err("GetBucketTagging: AccessDenied: not authorized to perform: s3:GetBucketTagging"),
            },
        ];
        table(&cases, |aws, _| async move {
            let keys = bucket_keys(&aws, "t").await?;
            if keys != ["data"] {
                return Err(AwsError::new("Test", "Wrong", format!("{keys:?}")));
            }
            Ok(keys)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_contents_table() {
        let cases = [
            Case {
                name: "versions and delete markers counted, a bucket gone counts none",
                script: |f| {
                    answer!(f, S3::list_object_versions, |input| {
                        match input.bucket().unwrap_or_default() {
                            "t-data" => Ok(ListObjectVersionsOutput::builder()
                                .versions(s3::ObjectVersion::builder().key("a").version_id("1").build())
                                .versions(s3::ObjectVersion::builder().key("a").version_id("2").build())
                                .delete_markers(
                                    s3::DeleteMarkerEntry::builder().key("a").version_id("3").build(),
                                )
                                .build()),
                            "t-logs" => Err(failure("NoSuchBucket", "The specified bucket does not exist")),
                            _ => Err(wrong(input)),
                        }
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, S3::list_object_versions, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: s3:ListBucketVersions"
                    )))
                },
                want: Err("ListObjectVersions: AccessDenied: not authorized to perform: s3:ListBucketVersions"),
            },
        ];
        table(&cases, |aws, _| async move {
            let obs = Observed {
                buckets: BTreeMap::from([
                    ("data".to_string(), BucketSeen::default()),
                    ("logs".to_string(), BucketSeen::default()),
                ]),
                ..Default::default()
            };
            let counts = bucket_contents(&aws, &desired(), &obs).await?;
            let want = BTreeMap::from([("data".to_string(), 3), ("logs".to_string(), 0)]);
            if counts != want {
                return Err(AwsError::new("Test", "Wrong", format!("{counts:?}")));
            }
            Ok(counts)
        })
        .await;
    }
}
