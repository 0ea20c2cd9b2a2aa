//! Checks for AWS names and identifiers, shared by the provider and resources.

/// Region names such as `us-east-1`, `eu-central-2`, `us-gov-west-1`.
pub fn region(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an AWS region name (for example \"us-east-1\")."
        ))
    }
}

/// An ARN of the given service (`"iam"`, `"kms"`, ...), e.g. `arn:aws:iam::123456789012:role/x`.
pub fn arn(service: &'static str) -> impl Fn(&str) -> Result<(), String> {
    move |s| {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == service
            && !parts[5].is_empty();
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{s:?} is not a valid {service} ARN (arn:PARTITION:{service}:REGION:ACCOUNT:RESOURCE)."
            ))
        }
    }
}

/// An http(s) URL with a host.
pub fn endpoint_url(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => Err(format!(
            "{s:?} is not an endpoint URL (for example \"https://s3.us-east-1.amazonaws.com\" \
             or \"http://127.0.0.1:4566\")."
        )),
    }
}

/// Tag key rules, plus the `ode:` prefix this provider reserves for ownership tags.
pub fn tag(key: &str, value: Option<&str>) -> Result<(), String> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err("Tag keys must be 1 to 128 characters long.".into());
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!(
            "Tag key {key:?} uses the reserved prefix \"aws:\"."
        ));
    }
    if key.starts_with(crate::aws::OWNERSHIP_PREFIX) {
        return Err(format!(
            "Tag key {key:?} uses the prefix {:?}, which this provider reserves for its \
             ownership tags.",
            crate::aws::OWNERSHIP_PREFIX
        ));
    }
    if value.is_some_and(|v| v.chars().count() > 256) {
        return Err("Tag values must be at most 256 characters long.".into());
    }
    Ok(())
}

/// S3 bucket naming rules.
/// An EC2 id with `prefix` (`vpc-`, `subnet-`, `sg-`); `what` names it in the message.
pub fn ec2_id(prefix: &'static str, what: &'static str) -> impl Fn(&str) -> Result<(), String> {
    move |s| {
        // AWS's ids are the prefix and 8 or 17 lowercase hexadecimal digits.
        let number = s.strip_prefix(prefix).unwrap_or("");
        if matches!(number.len(), 8 | 17)
            && number
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        {
            Ok(())
        } else {
            Err(format!(
                "{s:?} is not a {what} ID ({prefix} and 8 or 17 hexadecimal digits)."
            ))
        }
    }
}

pub fn bucket_name(s: &str) -> Result<(), String> {
    let n = s.len();
    if !(3..=63).contains(&n) {
        return Err(format!(
            "Bucket names must be 3 to 63 characters long; {s:?} has {n}."
        ));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        return Err(format!(
            "{s:?}: bucket names may contain only lowercase letters, digits, dots and hyphens."
        ));
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(s.chars().next()) || !edge_ok(s.chars().last()) {
        return Err(format!(
            "{s:?}: bucket names must begin and end with a letter or digit."
        ));
    }
    if s.contains("..") || s.contains(".-") || s.contains("-.") {
        return Err(format!(
            "{s:?}: dots may not be next to each other or to a hyphen."
        ));
    }
    if s.split('.').count() == 4 && s.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err(format!(
            "{s:?}: bucket names may not look like an IP address."
        ));
    }
    let reserved_prefix = ["xn--", "sthree-", "amzn-s3-demo-"];
    let reserved_suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    if reserved_prefix.iter().any(|p| s.starts_with(p))
        || reserved_suffix.iter().any(|x| s.ends_with(x))
    {
        return Err(format!("{s:?} uses a prefix or suffix S3 reserves."));
    }
    Ok(())
}

/// An IAM role ARN (`arn:aws:iam::123456789012:role/name`): what EKS and the other
/// services assume; a user or policy ARN is refused.
pub fn role_arn(s: &str) -> Result<(), String> {
    arn("iam")(s)?;
    let resource = s.splitn(6, ':').nth(5).unwrap_or_default();
    if resource.starts_with("role/") && resource.len() > "role/".len() {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
        ))
    }
}

/// An IAM principal ARN: a role, a user or an account root.
pub fn principal_arn(s: &str) -> Result<(), String> {
    arn("iam")(s)?;
    let resource = s.splitn(6, ':').nth(5).unwrap_or_default();
    let ok = resource == "root"
        || ["role/", "user/"]
            .iter()
            .any(|p| resource.starts_with(p) && resource.len() > p.len());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an IAM principal ARN (a role, a user or an account's root)."
        ))
    }
}

/// DynamoDB table naming rules.
pub fn table_name(s: &str) -> Result<(), String> {
    let n = s.len();
    if !(3..=255).contains(&n) {
        return Err(format!(
            "Table names must be 3 to 255 characters long; {s:?} has {n}."
        ));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(format!(
            "{s:?}: table names may contain only letters, digits, '_', '-' and '.'."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
        ] {
            assert!(region(ok).is_ok(), "{ok}");
        }
        for bad in ["not-a-region", "useast1", "us-east", "US-EAST-1", ""] {
            assert!(region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_and_principal_arns() {
        assert!(role_arn("arn:aws:iam::123456789012:role/ode").is_ok());
        for bad in [
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::123456789012:role/",
        ] {
            assert!(role_arn(bad).is_err(), "{bad}");
        }
        for ok in [
            "arn:aws:iam::123456789012:role/ode",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::123456789012:root",
        ] {
            assert!(principal_arn(ok).is_ok(), "{ok}");
        }
        assert!(principal_arn("arn:aws:iam::aws:policy/ReadOnlyAccess").is_err());
    }

    #[test]
    fn bucket_names() {
        for ok in ["ode-terraform-state", "a.b.c", "abc"] {
            assert!(bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "Upper",
            "-lead",
            "sthree-state",
            "state--ol-s3",
            "trail-",
            "a..b",
            "192.168.1.1",
            "xn--x",
            "a_b",
        ] {
            assert!(bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arns_and_urls() {
        assert!(arn("iam")("arn:aws:iam::123456789012:role/deploy").is_ok());
        assert!(arn("iam")("bad").is_err());
        assert!(arn("kms")("arn:aws:iam::1:role/x").is_err());
        assert!(endpoint_url("http://127.0.0.1:4566").is_ok());
        assert!(endpoint_url("not a url").is_err());
        assert!(endpoint_url("http://").is_err());
    }

    #[test]
    fn tags() {
        assert!(tag("Name", Some("x")).is_ok());
        assert!(tag("", Some("x")).is_err());
        assert!(tag("aws:foo", None).is_err());
        assert!(tag("ode:stack", None).is_err());
    }
}
