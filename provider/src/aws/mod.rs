//! AWS access: the configured clients every resource receives, error handling,
//! and name checks. Resources talk to AWS only through [`Aws`].

pub mod error;
#[cfg(test)]
pub mod fake;
pub mod pace;
pub mod validate;

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::SharedCredentialsProvider;

pub use error::{found, made, required, AwsError, Op};

/// Every item of every page of a list call (its SDK paginator's `items()`
/// stream): a list never stops at the first page. The first error ends it.
pub async fn every<T, E>(
    mut items: aws_smithy_async::future::pagination_stream::PaginationStream<Result<T, E>>,
) -> Result<Vec<T>, E> {
    let mut out = Vec::new();
    while let Some(item) = items.next().await {
        out.push(item?);
    }
    Ok(out)
}

/// Tags with this prefix mark what this provider created (stack, component).
pub const OWNERSHIP_PREFIX: &str = "ode:";

/// Service endpoint overrides (for emulators, VPC endpoints, FIPS, ...).
#[derive(Clone, Debug, Default)]
pub struct Endpoints {
    pub ec2: Option<String>,
    pub eks: Option<String>,
    pub iam: Option<String>,
    pub rds: Option<String>,
    pub elasticache: Option<String>,
    pub s3: Option<String>,
    pub dynamodb: Option<String>,
    pub ecr: Option<String>,
    pub kms: Option<String>,
    pub logs: Option<String>,
    pub sts: Option<String>,
    pub secretsmanager: Option<String>,
}

/// A role to assume on top of the base credentials.
#[derive(Clone, Debug)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

/// The validated provider configuration.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Region from config; else the SDK's environment/profile chain decides.
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Endpoints,
    pub default_tags: BTreeMap<String, String>,
    pub max_retries: Option<u32>,
    /// How long one request may go unanswered before its call is abandoned, never
    /// retried (default [`DEFAULT_CALL_TIMEOUT`]).
    pub call_timeout: Option<std::time::Duration>,
    pub skip_credentials_validation: bool,
    pub s3_use_path_style: bool,
    /// The claim fingerprint of the state this process serves (the provider
    /// computes it; see `kit::claim`).
    pub fingerprint: String,
}

/// How long one AWS request may go unanswered, unless `call_timeout` says otherwise.
pub const DEFAULT_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Builds one service client from the shared SDK config, at the service's
/// overridden endpoint when one is set: one line per service in [`Aws::connect`].
///
/// Each service retries in a partition of its own, shared by every resource of this
/// provider process, with no retry quota: a busy apply waits throttling out instead of
/// giving up once a quota is spent.
macro_rules! client {
    ($sdk:ident, $base:expr, $endpoint:expr, $pacer:expr) => {
        client!($sdk, $base, $endpoint, $pacer, |b| b)
    };
    ($sdk:ident, $base:expr, $endpoint:expr, $pacer:expr, $extra:expr) => {{
        use $sdk::config::retry::{RetryPartition, TokenBucket};
        let partition = RetryPartition::custom(concat!("ode-", stringify!($sdk)))
            .token_bucket(TokenBucket::unlimited())
            .build();
        let mut b = $sdk::config::Builder::from($base)
            .retry_partition(partition)
            .interceptor(pace::PaceOperation)
            .retry_classifier(pace::PaceThrottles($pacer.clone()));
        if let Some(url) = $endpoint {
            b = b.endpoint_url(url);
        }
        $sdk::Client::from_conf(($extra)(b).build())
    }};
}

/// Attempts per AWS call when `max_retries` is not set: enough to wait out AWS's
/// throttling on a large apply (each call is still bounded by `call_timeout`).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 25;

/// The retry policy: standard retries (throttling, 5xx, transient network errors) with
/// exponential backoff and jitter from 500 ms, capped at 20 s, and no retry quota (see
/// [`client!`]); `max_retries` retries after the first attempt when set. The SDK's
/// adaptive mode is not used: its client-side limiter holds every later retry of the
/// service for 8 to 20 s once AWS has throttled one call.
pub fn retry_config(max_retries: Option<u32>) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(max_retries.map_or(DEFAULT_MAX_ATTEMPTS, |n| n.saturating_add(1)))
        .with_initial_backoff(std::time::Duration::from_millis(500))
        .with_max_backoff(std::time::Duration::from_secs(20))
}

/// Configured clients, built once per provider process and shared by all resources.
pub struct Aws {
    pub region: String,
    pub partition: String,
    pub default_tags: BTreeMap<String, String>,
    /// This process's claim fingerprint (given in [`Settings`]).
    pub fingerprint: String,
    pub ec2: aws_sdk_ec2::Client,
    pub eks: aws_sdk_eks::Client,
    pub iam: aws_sdk_iam::Client,
    pub rds: aws_sdk_rds::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub kms: aws_sdk_kms::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sts: aws_sdk_sts::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
}

impl Aws {
    /// Builds the SDK configuration and the service clients. Makes no AWS call
    /// unless credentials are to be validated (one STS GetCallerIdentity).
    pub async fn connect(s: &Settings) -> Result<Aws, String> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(r) = &s.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(p) = &s.profile {
            loader = loader.profile_name(p);
        }
        loader = loader.retry_config(retry_config(s.max_retries));
        let mut base = loader.load().await;
        // Every request waits for its operation's pace, then may go unanswered for
        // `call_timeout` at most (a stalled connection), after which its call ends with
        // an error naming the operation and is never sent again: AWS may have carried
        // out a create whose answer never came. Answered attempts (throttling, 5xx) are
        // retried, each bounded the same way (see `pace`).
        let pacer = std::sync::Arc::new(pace::Pacer::default());
        let paced = pace::PacedClient {
            inner: base
                .http_client()
                .unwrap_or_else(pace::default_https_client),
            pacer: pacer.clone(),
            call_timeout: s.call_timeout.unwrap_or(DEFAULT_CALL_TIMEOUT),
        };
        base = base.into_builder().http_client(paced).build();
        let region = base
            .region()
            .map(|r| r.to_string())
            .ok_or("No AWS region: set `region` in the provider block or AWS_REGION.")?;

        if let Some(role) = &s.assume_role {
            // The role is assumed through STS, at its overridden endpoint if any.
            let mut sts_base = base.to_builder();
            if let Some(url) = &s.endpoints.sts {
                sts_base = sts_base.endpoint_url(url.clone());
            }
            let mut p = aws_config::sts::AssumeRoleProvider::builder(&role.role_arn)
                .session_name(
                    role.session_name
                        .clone()
                        .unwrap_or_else(|| "terraform-provider-ode".into()),
                )
                .configure(&sts_base.build());
            if let Some(id) = &role.external_id {
                p = p.external_id(id);
            }
            let provider = p.build().await;
            base = base
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }
        let e = &s.endpoints;
        let sts = client!(aws_sdk_sts, &base, &e.sts, pacer);

        let mut partition = "aws".to_string();
        if !s.skip_credentials_validation {
            let who = sts
                .get_caller_identity()
                .send()
                .await
                .op("GetCallerIdentity")
                .map_err(|e| {
                    format!(
                        "Validating AWS credentials failed ({e}). Check the AWS_* environment \
                         variables, `profile`, or `assume_role`; set \
                         skip_credentials_validation = true to skip this check."
                    )
                })?;
            if let Some(p) = who.arn().and_then(|a| a.split(':').nth(1)) {
                partition = p.to_string();
            }
        } else if region.starts_with("cn-") {
            partition = "aws-cn".into();
        } else if region.starts_with("us-gov-") {
            partition = "aws-us-gov".into();
        }

        let path_style = s.s3_use_path_style;
        Ok(Aws {
            region,
            partition,
            default_tags: s.default_tags.clone(),
            fingerprint: s.fingerprint.clone(),
            ec2: client!(aws_sdk_ec2, &base, &e.ec2, pacer),
            eks: client!(aws_sdk_eks, &base, &e.eks, pacer),
            iam: client!(aws_sdk_iam, &base, &e.iam, pacer),
            rds: client!(aws_sdk_rds, &base, &e.rds, pacer),
            elasticache: client!(aws_sdk_elasticache, &base, &e.elasticache, pacer),
            s3: client!(
                aws_sdk_s3,
                &base,
                &e.s3,
                pacer,
                |b: aws_sdk_s3::config::Builder| b.force_path_style(path_style)
            ),
            dynamodb: client!(aws_sdk_dynamodb, &base, &e.dynamodb, pacer),
            ecr: client!(aws_sdk_ecr, &base, &e.ecr, pacer),
            kms: client!(aws_sdk_kms, &base, &e.kms, pacer),
            logs: client!(aws_sdk_cloudwatchlogs, &base, &e.logs, pacer),
            sts,
            secretsmanager: client!(aws_sdk_secretsmanager, &base, &e.secretsmanager, pacer),
        })
    }

    /// Clients answered by a scripted fake (see [`fake`]); unscripted calls fail.
    #[cfg(test)]
    pub fn for_tests() -> Aws {
        fake::Fake::new().aws()
    }

    /// Clients over `http`, each answered by `fake`'s scripts.
    #[cfg(test)]
    fn with_fake(
        http: aws_smithy_runtime_api::client::http::SharedHttpClient,
        fake: &fake::Fake,
    ) -> Aws {
        let base = aws_types::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("AKIDFAKE", "fake", None, None, "fake"),
            ))
            .retry_config(RetryConfig::disabled())
            .http_client(http)
            .build();
        let none: &Option<String> = &None;
        let pacer = std::sync::Arc::new(pace::Pacer::default());
        macro_rules! faked {
            ($sdk:ident) => {
                client!($sdk, &base, none, pacer, |b: $sdk::config::Builder| b
                    .interceptor(fake.clone()))
            };
        }
        Aws {
            region: "us-east-1".into(),
            partition: "aws".into(),
            default_tags: BTreeMap::new(),
            fingerprint: "0123456789abcdef".into(),
            ec2: faked!(aws_sdk_ec2),
            eks: faked!(aws_sdk_eks),
            iam: faked!(aws_sdk_iam),
            rds: faked!(aws_sdk_rds),
            elasticache: faked!(aws_sdk_elasticache),
            s3: faked!(aws_sdk_s3),
            dynamodb: faked!(aws_sdk_dynamodb),
            ecr: faked!(aws_sdk_ecr),
            kms: faked!(aws_sdk_kms),
            logs: faked!(aws_sdk_cloudwatchlogs),
            sts: faked!(aws_sdk_sts),
            secretsmanager: faked!(aws_sdk_secretsmanager),
        }
    }

    /// The provider's default tags with `tags` merged over them.
    pub fn tags_all(&self, tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut all = self.default_tags.clone();
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        all
    }
}

#[cfg(test)]
mod retry_tests {
    use super::*;
    use aws_config::retry::RetryMode;

    #[test]
    fn throttling_is_waited_out_unless_max_retries_says_otherwise() {
        let default = retry_config(None);
        assert_eq!(default.mode(), RetryMode::Standard);
        assert_eq!(default.max_attempts(), DEFAULT_MAX_ATTEMPTS);
        assert_eq!(default.max_backoff(), std::time::Duration::from_secs(20));
        assert_eq!(retry_config(Some(0)).max_attempts(), 1);
        assert_eq!(retry_config(Some(100)).max_attempts(), 101);
    }
}
