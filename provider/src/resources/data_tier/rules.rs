//! Rules for single values of `ode_data_tier`. [`super::schema`] attaches each to its
//! attribute (`Attribute::check_*`) and the server runs them on every configuration;
//! `validate` keeps only the rules that span several attributes.

/// `hh:mm-hh:mm` -> minutes of the day (start, end).
pub fn daily_window(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    Some((hhmm(a)?, hhmm(b)?))
}

fn hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `ddd:hh:mm-ddd:hh:mm` -> minutes of the week (start, end).
pub fn weekly_window(s: &str) -> Option<(u32, u32)> {
    let lower = s.to_lowercase();
    let (a, b) = lower.split_once('-')?;
    let at = |p: &str| -> Option<u32> {
        let (day, time) = p.split_once(':')?;
        let d = DAYS.iter().position(|x| *x == day)? as u32;
        Some(d * 1440 + hhmm(time)?)
    };
    Some((at(a)?, at(b)?))
}

/// Whether a daily window overlaps a weekly one (every day's copy of it).
pub fn overlaps(daily: (u32, u32), weekly: (u32, u32)) -> bool {
    let week = 7 * 1440;
    let span = |(s, e): (u32, u32), len: u32| if e > s { (s, e) } else { (s, e + len) };
    let (ws, we) = span(weekly, week);
    let (ds, de) = span(daily, 1440);
    (0..8).any(|day| {
        let (s, e) = (ds + day * 1440, de + day * 1440);
        [0, week]
            .iter()
            .any(|shift| s < we + shift && ws + shift < e)
    })
}

pub use crate::framework::validate::range;

/// An engine version of one of `majors` (`15`, `15.4`, `7.0`).
pub fn engine_version(
    majors: std::ops::RangeInclusive<u32>,
    example: &'static str,
) -> impl Fn(&str) -> Result<(), String> {
    move |s| {
        let parts: Vec<&str> = s.split('.').collect();
        let ok = (1..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            && parts[0].parse::<u32>().is_ok_and(|m| majors.contains(&m));
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{s:?} is not a version this tier supports (majors {} to {}, like \"{example}\").",
                majors.start(),
                majors.end()
            ))
        }
    }
}

/// An instance class or node type like `<prefix>t3.medium`.
pub fn class(prefix: &'static str) -> impl Fn(&str) -> Result<(), String> {
    move |s| {
        let rest = s.strip_prefix(prefix).unwrap_or_default();
        let parts: Vec<&str> = rest.split('.').collect();
        if parts.len() == 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            Ok(())
        } else {
            Err(format!("{s:?} is not a class like \"{prefix}t3.medium\"."))
        }
    }
}

pub fn tier_name(s: &str) -> Result<(), String> {
    let ok = (1..=30).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?}: a tier name is 1 to 30 lowercase letters, digits and single hyphens, starting with a letter (it prefixes DB, Redis and bucket names)."))
    }
}

/// A source network for the databases' security groups: an IPv4 or IPv6
/// CIDR block in AWS's form, never the whole internet.
pub fn allowed_cidr(s: &str) -> Result<(), String> {
    if !s.contains(':') {
        return crate::resources::network::layout::Cidr::parse(s).and_then(|c| {
            if c.prefix == 0 {
                Err(format!(
                    "{s:?} opens the databases to everyone; list the networks that need them."
                ))
            } else {
                Ok(())
            }
        });
    }
    let bad = || format!("{s:?} is not an IPv6 CIDR block (for example \"2001:db8::/56\").");
    let (ip, len) = s.split_once('/').ok_or_else(bad)?;
    let net = ip
        .parse::<std::net::Ipv6Addr>()
        .ok()
        .zip(
            len.parse::<u8>()
                .ok()
                .filter(|_| len.bytes().all(|b| b.is_ascii_digit())),
        )
        .and_then(|(addr, len)| ipnet::Ipv6Net::new(addr, len).ok())
        .ok_or_else(bad)?;
    if net.prefix_len() == 0 {
        return Err(format!(
            "{s:?} opens the databases to everyone; list the networks that need them."
        ));
    }
    if net.trunc() != net {
        return Err(format!(
            "{s:?} has host bits set; the network address is {}.",
            net.trunc()
        ));
    }
    Ok(())
}

pub fn database_name(s: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?}: a database name is 1 to 63 letters, digits or '_', starting with a letter."
        ))
    }
}

pub fn username(s: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        Err(format!(
            "{s:?}: a user name is 1 to 63 letters, digits or '_', starting with a letter."
        ))
    } else if ["rdsadmin", "postgres", "admin", "root"].contains(&s.to_lowercase().as_str()) {
        Err(format!(
            "{s:?} is reserved; choose another master user name."
        ))
    } else {
        Ok(())
    }
}

pub fn password(s: &str) -> Result<(), String> {
    if !(8..=128).contains(&s.chars().count()) {
        Err("a master password is 8 to 128 characters.".to_string())
    } else if s.chars().any(|c| "/\"@ ".contains(c)) {
        Err("a master password may not contain '/', '\"', '@' or spaces.".to_string())
    } else {
        Ok(())
    }
}

/// A daily window of at least `min` minutes; `what` and `example` name it in messages.
fn daily_of(s: &str, what: &str, example: &str, min: u32) -> Result<(), String> {
    match daily_window(s) {
        Some((a, b)) if (b + 1440 - a) % 1440 >= min => Ok(()),
        Some(_) => Err(format!(
            "{s:?}: the {what} must last at least {min} minutes."
        )),
        None => Err(format!("{s:?} is not a window like \"{example}\" (UTC).")),
    }
}

/// RDS's backup window: at least 30 minutes.
pub fn backup_window(s: &str) -> Result<(), String> {
    daily_of(s, "backup window", "03:00-04:00", 30)
}

/// ElastiCache's snapshot window: at least 60 minutes.
pub fn snapshot_window(s: &str) -> Result<(), String> {
    daily_of(s, "snapshot window", "02:00-03:00", 60)
}

/// A weekly window of at least `min` minutes (RDS: 30, ElastiCache: 60); `example`
/// is the tier's default, shown in the message.
pub fn maintenance_window(example: &'static str, min: u32) -> impl Fn(&str) -> Result<(), String> {
    const WEEK: u32 = 7 * 1440;
    move |s| match weekly_window(s) {
        Some((a, b)) if (b + WEEK - a) % WEEK >= min => Ok(()),
        Some(_) => Err(format!(
            "{s:?}: the maintenance window must last at least {min} minutes."
        )),
        None => Err(format!("{s:?} is not a window like \"{example}\" (UTC).")),
    }
}

pub fn postgres_parameter(k: &str, _: Option<&str>) -> Result<(), String> {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._".contains(c))
    {
        Ok(())
    } else {
        Err(format!("{k:?} is not a PostgreSQL parameter name."))
    }
}

pub fn redis_parameter(k: &str, _: Option<&str>) -> Result<(), String> {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        Ok(())
    } else {
        Err(format!("{k:?} is not a Redis parameter name."))
    }
}

pub fn auth_token(s: &str) -> Result<(), String> {
    let n = s.chars().count();
    if !(16..=128).contains(&n) {
        Err("an AUTH token is 16 to 128 characters.".to_string())
    } else if !s
        .chars()
        .all(|c| c.is_ascii_graphic() && !"/\"@".contains(c))
    {
        Err("an AUTH token is printable ASCII without '/', '\"' or '@'.".to_string())
    } else {
        Ok(())
    }
}

pub fn snapshot_id(s: &str) -> Result<(), String> {
    let ok = (1..=255).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':');
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?} is not a DB snapshot identifier."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_cidrs() {
        for ok in ["10.0.0.0/16", "192.168.1.0/24", "2001:db8::/56", "fd00::/8"] {
            assert_eq!(allowed_cidr(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("0.0.0.0/0", "everyone"),
            ("::/0", "everyone"),
            ("010.0.0.0/8", "IPv4 CIDR"),
            ("10.0.0.1/16", "host bits"),
            ("2001:db8::1/56", "host bits"),
            ("2001:db8::/129", "IPv6 CIDR"),
            ("10.0.0.0", "not a CIDR"),
        ] {
            let e = allowed_cidr(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn windows_parse_and_overlap() {
        assert_eq!(daily_window("03:00-04:00"), Some((180, 240)));
        assert_eq!(daily_window("3:00-04:00"), None);
        assert_eq!(
            weekly_window("sun:04:30-sun:05:30"),
            Some((6 * 1440 + 270, 6 * 1440 + 330))
        );
        assert_eq!(weekly_window("funday:04:30-sun:05:30"), None);
        let m = weekly_window("sun:04:30-sun:05:30").unwrap();
        assert!(!overlaps(daily_window("03:00-04:00").unwrap(), m));
        assert!(overlaps(daily_window("04:00-05:00").unwrap(), m));
        // Windows across midnight and across the week's end.
        assert!(overlaps(
            daily_window("23:30-00:30").unwrap(),
            weekly_window("mon:00:00-mon:01:00").unwrap()
        ));
        assert!(overlaps(
            daily_window("00:10-00:50").unwrap(),
            weekly_window("sun:23:30-mon:00:30").unwrap()
        ));
    }

    #[test]
    fn versions_and_classes() {
        assert!(engine_version(12..=17, "15.4")("15.4").is_ok());
        assert!(engine_version(12..=17, "15.4")("9.6").is_err());
        assert!(engine_version(12..=17, "15.4")("15.x").is_err());
        assert!(class("db.")("db.t3.medium").is_ok());
        assert!(class("db.")("t3.medium").is_err());
        assert!(class("cache.")("cache.r7g.large").is_ok());
    }
}
