//! `ode_registry`: what users write and what they get back.

use crate::aws::validate as awsv;
use crate::framework::validate::range;
use crate::framework::{Attribute, Block, Schema, Type, Value};

/// An ECR repository name: what the registry's name and each `<name>-<key>` must be.
/// ECR's grammar: path parts joined by one `/`, each part groups of lowercase letters
/// and digits joined by one separator: `.`, `_`, `__` or a run of `-`.
pub fn repository_name(s: &str) -> Result<(), String> {
    if (2..=200).contains(&s.len()) && s.split('/').all(repository_path_part) {
        Ok(())
    } else {
        Err(format!("{s:?}: repository names are lowercase letters, digits and - _ . /, starting with a letter or digit, with one separator between groups (`.`, `_`, `__` or hyphens)."))
    }
}

fn repository_path_part(part: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut rest = part;
    loop {
        let group = rest.len() - rest.trim_start_matches(alnum).len();
        if group == 0 {
            return false;
        }
        rest = &rest[group..];
        if rest.is_empty() {
            return true;
        }
        let sep = rest.len() - rest.trim_start_matches(['.', '_', '-']).len();
        let separator = &rest[..sep];
        let valid = matches!(separator, "." | "_" | "__") || separator.chars().all(|c| c == '-');
        if !valid {
            return false;
        }
        rest = &rest[sep..];
    }
}

pub const TYPE_NAME: &str = "ode_registry";

/// The platform's images, made when `repositories` is null or empty.
pub const DEFAULT_REPOSITORIES: [&str; 3] = ["api", "worker", "viewer"];
pub const KEEP_TAGGED: i64 = 30;
pub const UNTAGGED_DAYS: i64 = 7;

fn repository_block() -> Block {
    Block::new("The ECR repositories of the registry, keyed by a short name (`repositories = { api = {} }`); a repository is `<name>-<key>`. When null (or empty) the registry makes the platform's `api`, `worker` and `viewer`.")
        .attr(Attribute::number("keep_tagged_images").optional().check_int(range(1, 10000)).doc(
            "Tagged images to keep (the registry's `keep_tagged_images` when null); older ones expire.",
        ))
        .attr(Attribute::number("untagged_expiry_days").optional().check_int(range(1, 3650)).doc(
            "Days after which untagged images expire (the registry's `untagged_expiry_days` when null).",
        ))
}

pub fn schema() -> Schema {
    let computed = Attribute::output;
    let block = Block::new(
        "The ECR repositories the platform's images go to, as one resource: image scanning \
         on push (always: the seed's rule), immutable tags, encryption, a lifecycle policy \
         and a repository policy that lets the given principals (the EKS node role) pull. \
         Read with one batched DescribeRepositories and one round per repository; settings \
         changed outside Terraform are drift that apply repairs.",
    )
    .attr(Attribute::string("name").required().requires_replace().check_str(repository_name).doc(
        "Name of the registry (e.g. `ode`): the prefix of every repository's name. Changing it replaces the registry.",
    ))
    .attr(Attribute::number("keep_tagged_images").default(KEEP_TAGGED).check_int(range(1, 10000)).doc(
        "Tagged images each repository keeps (default 30); older ones expire.",
    ))
    .attr(Attribute::number("untagged_expiry_days").default(UNTAGGED_DAYS).check_int(range(1, 3650)).doc(
        "Days after which untagged images expire (default 7).",
    ))
    .attr(Attribute::bool("immutable_tags").default(true).doc(
        "Refuse to overwrite an image tag (default true).",
    ))
    .attr(Attribute::string("kms_key_arn").optional().requires_replace().check_str(awsv::arn("kms")).doc(
        "KMS key for the repositories' encryption (default: AES256 by ECR). Changing it replaces the registry.",
    ))
    .attr(Attribute::new("pull_principal_arns", Type::set(Type::String)).implied(Value::List(Vec::new())).check_str(awsv::principal_arn).doc(
        "IAM principals allowed to pull (e.g. the EKS node role), a set: written as each repository's policy.",
    ))
    .attr(Attribute::bool("force_destroy").default(false).doc(
        "Let destroy delete repositories that still hold images. Off by default: destroy refuses, before deleting anything, while a repository holds images.",
    ))
    .attr(Attribute::string_map("tags").implied(Value::Map(Default::default())).check_entries(awsv::tag).doc(
        "Tags for every repository, merged over the provider's `default_tags`.",
    ))
    .attr(repository_block().into_map_attribute("repositories").implied(Value::Map(
        DEFAULT_REPOSITORIES
            .iter()
            .map(|k| (k.to_string(), Value::Map(Default::default())))
            .collect(),
    )))
    .single("timeouts", crate::kit::timeouts::block("20m"))
    .attr(computed("id", Type::String, "The registry name."))
    .attr(computed("registry_id", Type::String, "The AWS account's registry id."))
    .attr(computed("repository_names", Type::map(Type::String), "Repository names by key."))
    .attr(computed("repository_urls", Type::map(Type::String), "Repository URLs (for `docker push`) by key."))
    .attr(computed("repository_arns", Type::map(Type::String), "Repository ARNs by key."))
    .attr(Attribute::string("compliance").computed().doc(
        "`verified` when every repository scans on push, has the configured tag mutability, lifecycle and pull policy; otherwise what differs (drift that apply repairs).",
    ));
    let [cost, items] = crate::pricing::attributes();
    let block = block.attr(cost).attr(items);
    Schema::new(0, block)
}

#[cfg(test)]
mod tests {
    use super::repository_name;

    #[test]
    fn repository_names_follow_ecrs_grammar() {
        for ok in [
            "ode",
            "ode-images",
            "ode--images",
            "ode__a",
            "ode.a_b",
            "team/api-v2",
            "a1",
        ] {
            assert!(repository_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "o",
            "Ode",
            "ode._images",
            "ode-_api",
            "ode___a",
            "ode.",
            "-ode",
            "team//api",
            "team/",
            "ode images",
            "",
        ] {
            assert!(repository_name(bad).is_err(), "{bad}");
        }
    }
}
