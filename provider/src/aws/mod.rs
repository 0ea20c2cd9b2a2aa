//! AWS access: the configured clients every resource receives, error handling,
//! and name checks. Resources talk to AWS only through [`Aws`].

pub mod error;
pub mod validate;

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::SharedCredentialsProvider;

pub use error::{found, AwsError, Op};

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
    pub skip_credentials_validation: bool,
    pub s3_use_path_style: bool,
}

/// Configured clients, built once per provider process and shared by all resources.
pub struct Aws {
    pub region: String,
    pub partition: String,
    pub default_tags: BTreeMap<String, String>,
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub sts: aws_sdk_sts::Client,
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
        if let Some(n) = s.max_retries {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(n + 1));
        }
        let mut base = loader.load().await;
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
        let sts = {
            let mut b = aws_sdk_sts::config::Builder::from(&base);
            if let Some(url) = &s.endpoints.sts {
                b = b.endpoint_url(url);
            }
            aws_sdk_sts::Client::from_conf(b.build())
        };

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

        let e = &s.endpoints;
        let s3 = {
            let mut b =
                aws_sdk_s3::config::Builder::from(&base).force_path_style(s.s3_use_path_style);
            if let Some(url) = &e.s3 {
                b = b.endpoint_url(url);
            }
            aws_sdk_s3::Client::from_conf(b.build())
        };
        let dynamodb = {
            let mut b = aws_sdk_dynamodb::config::Builder::from(&base);
            if let Some(url) = &e.dynamodb {
                b = b.endpoint_url(url);
            }
            aws_sdk_dynamodb::Client::from_conf(b.build())
        };
        let ec2 = {
            let mut b = aws_sdk_ec2::config::Builder::from(&base);
            if let Some(url) = &e.ec2 {
                b = b.endpoint_url(url);
            }
            aws_sdk_ec2::Client::from_conf(b.build())
        };
        Ok(Aws {
            region,
            partition,
            default_tags: s.default_tags.clone(),
            s3,
            dynamodb,
            ec2,
            sts,
        })
    }

    /// The provider's default tags with `tags` merged over them.
    pub fn tags_all(&self, tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut all = self.default_tags.clone();
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        all
    }
}
