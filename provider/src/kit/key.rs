//! A composite's own KMS key, made behind an alias.
//!
//! KMS has no idempotency token for CreateKey and cannot list keys by tag, so a
//! key made by a create that never reached CreateAlias (a killed apply, or a
//! CreateKey whose answer was lost and which the SDK sent again) is found by its
//! tags: a create that carries the claim mark first looks for keys with all of its
//! tags, mark included, and aliases the one it finds instead of making another.
//! Spare copies (a CreateKey carried out twice) are scheduled for deletion.

use futures::StreamExt;

use super::tags::{kms as kms_tags, Tags};
use crate::aws::{found, required, Aws, AwsError, Op};

/// How many ListResourceTags calls a search keeps in flight.
const SEARCH_PARALLELISM: usize = 8;

/// The key behind `alias` (its ARN): the one an unfinished create with the same
/// `tags` left, when `tags` carry the claim mark, or a new one.
pub async fn create_aliased(
    aws: &Aws,
    alias: &str,
    description: String,
    tags: &Tags,
) -> Result<String, AwsError> {
    let claimed = tags.contains_key(super::claim::CREATING_TAG);
    // Found by the ownership tags and the mark only: other tags may have changed
    // since the unfinished create.
    let ownership: Tags = tags
        .iter()
        .filter(|(k, _)| k.starts_with(crate::aws::OWNERSHIP_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let left = if claimed {
        find(aws, &ownership).await?
    } else {
        Vec::new()
    };
    let (id, arn) = match left.split_first() {
        Some(((id, arn), spares)) => {
            tracing::info!(alias, key = %id, "aliasing the key an unfinished create left");
            for (spare, _) in spares {
                schedule_deletion(aws, spare).await?;
            }
            (id.clone(), arn.clone())
        }
        None => {
            let r = aws
                .kms
                .create_key()
                .description(description)
                .set_tags(Some(kms_tags::list(tags, "CreateKey")?))
                .send()
                .await
                .op("CreateKey")?;
            let meta = r.key_metadata();
            let id = required("CreateKey", "KeyMetadata.KeyId", meta.map(|m| m.key_id()))?;
            let arn = required("CreateKey", "KeyMetadata.Arn", meta.and_then(|m| m.arn()))?;
            (id.to_string(), arn.to_string())
        }
    };
    // A key made a moment ago may not be visible yet (KMS is eventually consistent).
    let aliased = super::retry::on_new(true, || async {
        aws.kms
            .create_alias()
            .alias_name(alias)
            .target_key_id(&id)
            .send()
            .await
            .op("CreateAlias")
    })
    .await;
    match aliased {
        Ok(_) => Ok(arn),
        // A CreateAlias carried out whose answer was lost: the alias is this key's.
        Err(e)
            if e.is_code(&["AlreadyExistsException"])
                && alias_target(aws, alias).await? == Some(id) =>
        {
            Ok(arn)
        }
        Err(e) => Err(e),
    }
}

/// The key id `alias` points at, if the alias exists.
async fn alias_target(aws: &Aws, alias: &str) -> Result<Option<String>, AwsError> {
    let r = found(
        aws.kms
            .describe_key()
            .key_id(alias)
            .send()
            .await
            .op("DescribeKey"),
        &["NotFoundException"],
    )?;
    Ok(r.and_then(|r| r.key_metadata().map(|m| m.key_id().to_string())))
}

/// Schedules key `id` for deletion in 7 days (the shortest wait KMS allows); a key
/// already gone or already pending deletion is done.
pub async fn schedule_deletion(aws: &Aws, id: &str) -> Result<(), AwsError> {
    tracing::info!(key = %id, "scheduling the deletion of the key");
    let r = aws
        .kms
        .schedule_key_deletion()
        .key_id(id)
        .pending_window_in_days(7)
        .send()
        .await
        .op("ScheduleKeyDeletion");
    match r {
        Err(e) if !(e.is_not_found() || e.is_code(&["KMSInvalidStateException"])) => Err(e),
        _ => Ok(()),
    }
}

/// Schedules for deletion every key that carries the `ownership` tags (stack,
/// component, key) but `keep` (an ARN): spare copies that no alias names, left by a
/// CreateKey AWS carried out twice (its first answer lost). Destroys call it last.
pub async fn retire_spares(
    aws: &Aws,
    ownership: &Tags,
    keep: Option<&str>,
) -> Result<(), AwsError> {
    for (id, arn) in find(aws, ownership).await? {
        if keep != Some(arn.as_str()) {
            schedule_deletion(aws, &id).await?;
        }
    }
    Ok(())
}

/// Keys of the account and region (id, ARN) that carry every tag of `want` and are
/// not pending deletion, oldest first: ListKeys (every page), ListResourceTags of
/// each key, then DescribeKey of those that match. Keys whose tags cannot be read
/// (another account's policy) are not ours and are passed over.
pub async fn find(aws: &Aws, want: &Tags) -> Result<Vec<(String, String)>, AwsError> {
    let mut ids = Vec::new();
    let mut pages = aws.kms.list_keys().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.op("ListKeys")?;
        ids.extend(
            page.keys()
                .iter()
                .filter_map(|k| k.key_id())
                .map(str::to_string),
        );
    }
    let tagged: Vec<Result<Option<String>, AwsError>> = futures::stream::iter(ids)
        .map(|id| async move {
            let r = aws
                .kms
                .list_resource_tags()
                .key_id(&id)
                .send()
                .await
                .op("ListResourceTags");
            match r {
                Ok(r) => {
                    let tags = kms_tags::map(r.tags());
                    let all = want.iter().all(|(k, v)| tags.get(k) == Some(v));
                    Ok(all.then_some(id))
                }
                Err(e) if e.is_permission() || e.is_not_found() => Ok(None),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(SEARCH_PARALLELISM)
        .collect()
        .await;
    let mut keys = Vec::new();
    for id in tagged {
        let Some(id) = id? else { continue };
        let meta = aws
            .kms
            .describe_key()
            .key_id(&id)
            .send()
            .await
            .op("DescribeKey")?;
        if let Some(m) = meta.key_metadata() {
            let state = m.key_state().map(|s| s.as_str()).unwrap_or_default();
            if !matches!(state, "PendingDeletion" | "PendingReplicaDeletion") {
                let created = m.creation_date().map(|d| d.secs()).unwrap_or_default();
                keys.push((created, id, m.arn().unwrap_or_default().to_string()));
            }
        }
    }
    keys.sort();
    Ok(keys.into_iter().map(|(_, id, arn)| (id, arn)).collect())
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // SDK error types in scripted answers
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, table, Case, Fake};
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::operation::list_keys::ListKeysOutput;
    use aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput;
    use aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionOutput;
    use aws_sdk_kms::types::{KeyListEntry, KeyMetadata, KeyState, Tag};
    use aws_sdk_kms::Client as Kms;

    fn arn(id: &str) -> String {
        format!("arn:aws:kms:us-east-1:111122223333:key/{id}")
    }

    /// Keys `a` (the stack's, aliased), `b` (a spare of the stack's), `c`
    /// (another stack's) and `d` (the stack's, already pending deletion).
    fn account(f: &Fake) {
        answer!(f, Kms::list_keys, |_| Ok(ListKeysOutput::builder()
            .set_keys(Some(
                ["a", "b", "c", "d"]
                    .iter()
                    .map(|id| KeyListEntry::builder().key_id(*id).build())
                    .collect()
            ))
            .truncated(false)
            .build()));
        answer!(f, Kms::list_resource_tags, |i| {
            let stack = if i.key_id() == Some("c") {
                "other"
            } else {
                "demo"
            };
            let tags = [
                ("ode:stack", stack),
                ("ode:component", "eks-stack"),
                ("ode:key", "kms"),
            ];
            Ok(ListResourceTagsOutput::builder()
                .set_tags(Some(
                    tags.iter()
                        .map(|(k, v)| Tag::builder().tag_key(*k).tag_value(*v).build().unwrap())
                        .collect(),
                ))
                .build())
        });
        answer!(f, Kms::describe_key, |i| {
            let id = i.key_id().unwrap_or_default().to_string();
            let state = if id == "d" {
                KeyState::PendingDeletion
            } else {
                KeyState::Enabled
            };
            Ok(DescribeKeyOutput::builder()
                .key_metadata(
                    KeyMetadata::builder()
                        .key_id(&id)
                        .arn(arn(&id))
                        .key_state(state)
                        .build()
                        .unwrap(),
                )
                .build())
        });
    }

    fn scheduled(f: &Fake, only: &'static str) {
        answer!(f, Kms::schedule_key_deletion, move |i| {
            if i.key_id() != Some(only) || i.pending_window_in_days() != Some(7) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(ScheduleKeyDeletionOutput::builder().build())
        }; times = 1);
    }

    #[tokio::test(start_paused = true)]
    async fn retire_spares_keeps_the_kept_key_and_others_keys() {
        let cases = [Case {
            name: "the spare goes; the kept key, another stack's and one pending deletion stay",
            script: |f| {
                account(f);
                scheduled(f, "b");
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            let ownership = crate::kit::tags::ownership("demo", "eks-stack", "kms");
            retire_spares(&aws, &ownership, Some(arn("a").as_str())).await
        })
        .await;
    }
}
