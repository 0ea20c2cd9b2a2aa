//! The `ode` provider: its configuration block and the list of what it offers.

use std::sync::Arc;

use async_trait::async_trait;

use crate::aws::{self, validate as awsv, Aws, Settings};
use crate::framework::validate::{int_at, string_at, string_attr, string_map_at};
use crate::framework::*;
use crate::resources;

/// The services whose endpoints can be overridden, in schema order.
const ENDPOINT_SERVICES: [&str; 12] = [
    "ec2",
    "eks",
    "iam",
    "rds",
    "elasticache",
    "s3",
    "dynamodb",
    "ecr",
    "kms",
    "logs",
    "sts",
    "secretsmanager",
];

pub struct OdeProvider;

fn schema() -> Schema {
    let mut endpoints = Block::new(
        "Custom service endpoints, for AWS emulators, VPC endpoints or FIPS endpoints. \
         Each value is a URL such as `http://127.0.0.1:4566`.",
    );
    for svc in ENDPOINT_SERVICES {
        endpoints = endpoints.attr(
            Attribute::string(svc)
                .optional()
                .doc(&format!("Endpoint URL for the {svc} API.")),
        );
    }
    let block = Block::new(
        "Stands up the ODE platform on AWS with a few composite resources. Credentials come \
         from the usual AWS sources: environment variables (`AWS_ACCESS_KEY_ID`, \
         `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_PROFILE`, `AWS_REGION`), shared \
         config and credentials files, SSO, and instance or container roles.",
    )
    .attr(
        Attribute::string("region")
            .optional()
            .doc("AWS region, e.g. `us-east-1`. Defaults to `AWS_REGION` / `AWS_DEFAULT_REGION` or the profile's region."),
    )
    .attr(
        Attribute::string("profile")
            .optional()
            .doc("Named profile from the shared AWS config and credentials files."),
    )
    .attr(
        Attribute::number("max_retries")
            .optional()
            .doc("How many times a throttled or failed AWS call is retried (0 to 100; default 24, enough to wait out throttling on a large apply). Retries back off exponentially with jitter (from 0.5 s, at most 20 s apart), with no retry quota that would give up under load; each attempt is still bounded by `call_timeout`."),
    )
    .attr(
        Attribute::string("call_timeout")
            .optional()
            .doc("How long one AWS request may go unanswered before its call is abandoned, without a retry, with an error naming the operation (`2m` by default, `1s` to `1h`). A create abandoned this way may still have been carried out: the next apply finds what it made. Throttled requests are answered, so waiting them out is bounded by `max_retries`, not by this timeout."),
    )
    .attr(
        Attribute::bool("skip_credentials_validation")
            .optional()
            .doc("Skip the STS `GetCallerIdentity` check when the provider is configured."),
    )
    .attr(
        Attribute::bool("s3_use_path_style")
            .optional()
            .doc("Address S3 buckets as `https://host/bucket` instead of `https://bucket.host` (needed by most emulators)."),
    )
    .single(
        "assume_role",
        Block::new("Assume an IAM role on top of the base credentials.")
            .attr(Attribute::string("role_arn").required().doc("ARN of the role to assume."))
            .attr(Attribute::string("session_name").optional().doc("Session name; defaults to `terraform-provider-ode`."))
            .attr(Attribute::string("external_id").optional().doc("External ID the role's trust policy requires.")),
    )
    .single("endpoints", endpoints)
    .single(
        "default_tags",
        Block::new("Tags added to every taggable AWS object this provider creates.")
            .attr(Attribute::string_map("tags").optional().doc("Tags to add; a resource's own `tags` win on conflicts.")),
    );
    Schema::new(0, block)
}

fn opt_string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The provider block as validated settings.
fn settings(config: &Value) -> Settings {
    let e = config.get("endpoints").block();
    let ep = |s: &str| opt_string(e.get(s));
    let role = config.get("assume_role").block();
    Settings {
        region: opt_string(config.get("region")),
        profile: opt_string(config.get("profile")),
        assume_role: role.get("role_arn").as_str().map(|arn| aws::AssumeRole {
            role_arn: arn.to_string(),
            session_name: opt_string(role.get("session_name")),
            external_id: opt_string(role.get("external_id")),
        }),
        endpoints: aws::Endpoints {
            ec2: ep("ec2"),
            eks: ep("eks"),
            iam: ep("iam"),
            rds: ep("rds"),
            elasticache: ep("elasticache"),
            s3: ep("s3"),
            dynamodb: ep("dynamodb"),
            ecr: ep("ecr"),
            kms: ep("kms"),
            logs: ep("logs"),
            sts: ep("sts"),
            secretsmanager: ep("secretsmanager"),
        },
        default_tags: config
            .get("default_tags")
            .block()
            .get("tags")
            .to_string_map(),
        max_retries: config
            .get("max_retries")
            .as_i64()
            .and_then(|n| u32::try_from(n).ok()),
        call_timeout: config
            .get("call_timeout")
            .as_str()
            .and_then(|s| crate::kit::timeouts::parse_duration(s).ok()),
        skip_credentials_validation: config
            .get("skip_credentials_validation")
            .as_bool()
            .unwrap_or(false),
        s3_use_path_style: config.get("s3_use_path_style").as_bool().unwrap_or(false),
        fingerprint: crate::kit::claim::fingerprint(),
    }
}

#[async_trait]
impl Provider for OdeProvider {
    type Data = Aws;

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        string_attr(config, "region", diags, awsv::region);
        string_attr(config, "profile", diags, |s| {
            if s.trim().is_empty() {
                Err("The profile name must not be empty.".into())
            } else {
                Ok(())
            }
        });
        int_at(
            config.get("max_retries"),
            AttrPath::attr("max_retries"),
            diags,
            |n| {
                if (0..=100).contains(&n) {
                    Ok(())
                } else {
                    Err(format!("max_retries must be between 0 and 100; got {n}."))
                }
            },
        );
        string_attr(config, "call_timeout", diags, |s| {
            let d = crate::kit::timeouts::parse_duration(s)?;
            if (std::time::Duration::from_secs(1)..=std::time::Duration::from_secs(3600))
                .contains(&d)
            {
                Ok(())
            } else {
                Err(format!(
                    "call_timeout must be between 1s and 1h; got {s:?}."
                ))
            }
        });
        let role = config.get("assume_role").block();
        string_at(
            role.get("role_arn"),
            AttrPath::attr("assume_role").then_attr("role_arn"),
            diags,
            awsv::arn("iam"),
        );
        string_at(
            role.get("session_name"),
            AttrPath::attr("assume_role").then_attr("session_name"),
            diags,
            |s| {
                let ok = (2..=64).contains(&s.len())
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(c));
                if ok {
                    Ok(())
                } else {
                    Err("Session names are 2 to 64 characters of letters, digits and =,.@-_".into())
                }
            },
        );
        let e = config.get("endpoints").block();
        for svc in ENDPOINT_SERVICES {
            string_at(
                e.get(svc),
                AttrPath::attr("endpoints").then_attr(svc),
                diags,
                awsv::endpoint_url,
            );
        }
        string_map_at(
            config.get("default_tags").block().get("tags"),
            AttrPath::attr("default_tags").then_attr("tags"),
            diags,
            awsv::tag,
        );
    }

    async fn configure(&self, req: ConfigureRequest<'_>, diags: &mut Diagnostics) -> Option<Aws> {
        if !req.config.is_wholly_known() {
            diags.error(
                "Provider configuration is not known yet",
                "Some provider arguments depend on values known only after apply. Apply the \
                 resources they depend on first (for example with -target).",
            );
            return None;
        }
        let s = settings(req.config);
        tracing::debug!(
            core_version = req.core_version,
            region = s.region.as_deref().unwrap_or("(from environment)"),
            endpoints_overridden = s.endpoints.s3.is_some() || s.endpoints.ec2.is_some(),
            "configuring provider"
        );
        match Aws::connect(&s).await {
            Ok(aws) => Some(aws),
            Err(msg) => {
                diags.error("Cannot configure the AWS provider", msg);
                None
            }
        }
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Aws>>> {
        resources::all()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        crate::functions::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_schema_is_well_formed() {
        assert_eq!(schema().block.lint(""), Vec::<String>::new());
    }

    #[test]
    fn bad_provider_values_name_their_attribute() {
        let config = Value::object([
            ("region", Value::string("not-a-region")),
            ("max_retries", Value::int(-1)),
            ("call_timeout", Value::string("2d")),
            (
                "endpoints",
                Value::object([("s3", Value::string("not a url"))]),
            ),
            (
                "assume_role",
                Value::object([("role_arn", Value::string("bad"))]),
            ),
            (
                "default_tags",
                Value::object([("tags", Value::object([("", Value::string("x"))]))]),
            ),
        ]);
        let mut d = Diagnostics::default();
        OdeProvider.validate(&config, &mut d);
        let paths: Vec<String> =
            d.0.iter()
                .map(|x| x.path.as_ref().unwrap().to_string())
                .collect();
        assert_eq!(
            paths,
            [
                "region",
                "max_retries",
                "call_timeout",
                "assume_role.role_arn",
                "endpoints.s3",
                "default_tags.tags[\"\"]"
            ]
        );
    }
}
