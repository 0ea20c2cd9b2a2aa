//! The `timeouts` block every composite resource offers, and the duration
//! syntax users write in it (`30m`, `1h30m`, `90s`, `1.5h`).

use std::time::Duration;

use crate::framework::validate::string_at;
use crate::framework::{AttrPath, Attribute, Block, Diagnostics, Value};

/// The longest timeout accepted: a week. Longer values are almost always typos,
/// and keeping them bounded keeps deadline arithmetic far from overflow.
pub const MAX: Duration = Duration::from_secs(7 * 24 * 3600);

const NANOS: [(&str, u128); 3] = [
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
];

/// Parses a duration: one or more `<number><unit>` parts, units `h`, `m`, `s`,
/// numbers with an optional decimal fraction (`1.5h`, `1h30m`, `90s`). The
/// total must be positive and at most [`MAX`].
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!("{s:?} is not a duration: write a number and a unit (h, m, s), like \"30m\", \"1h30m\" or \"1.5h\".")
    };
    let mut rest = s;
    let mut total: u128 = 0;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (number, tail) = rest.split_at(digits);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let per = NANOS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, n)| *n)
            .ok_or_else(|| format!("{s:?}: unknown unit {unit:?}; use h, m or s, like \"30m\"."))?;
        total = total.saturating_add(scaled(number, per).ok_or_else(bad)?);
        rest = tail;
    }
    if total == 0 {
        return Err(format!("{s:?}: a timeout must be longer than zero."));
    }
    if total > MAX.as_nanos() {
        return Err(format!(
            "{s:?} is longer than the maximum of 168h (a week)."
        ));
    }
    // total <= MAX, so it fits in u64 nanoseconds.
    Ok(Duration::from_nanos(
        u64::try_from(total).map_err(|_| bad())?,
    ))
}

/// `number` (digits with an optional fraction) times `per` nanoseconds,
/// without overflow; `None` when `number` is malformed.
fn scaled(number: &str, per: u128) -> Option<u128> {
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if (whole.is_empty() && frac.is_empty()) || frac.contains('.') {
        return None;
    }
    // Beyond 30 digits the value exceeds any maximum anyway: saturate.
    let parse = |d: &str| -> Option<u128> {
        if d.len() > 30 {
            return Some(u128::MAX / 4);
        }
        if d.is_empty() {
            Some(0)
        } else {
            d.parse().ok()
        }
    };
    let w = parse(whole)?.saturating_mul(per);
    let frac = &frac[..frac.len().min(12)];
    let f = parse(frac)?.saturating_mul(per) / 10u128.pow(frac.len() as u32);
    Some(w.saturating_add(f))
}

/// The three operation limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timeouts {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Timeouts {
    /// The configured limits of `v`'s `timeouts` block, `default` where unset.
    pub fn from_value(v: &Value, default: Duration) -> Self {
        let b = v.get("timeouts").block();
        let get = |op: &str| {
            b.get(op)
                .as_str()
                .and_then(|s| parse_duration(s).ok())
                .unwrap_or(default)
        };
        Timeouts {
            create: get("create"),
            update: get("update"),
            delete: get("delete"),
        }
    }
}

impl Timeouts {
    /// The verb for diagnostics and the limit of a create (`true`) or an update.
    pub fn for_apply(&self, create: bool) -> (&'static str, Duration) {
        if create {
            ("Creating", self.create)
        } else {
            ("Updating", self.update)
        }
    }
}

/// The `timeouts` block's schema; `default` is stated in the descriptions.
pub fn block(default: &str) -> Block {
    let op = |name: &str| {
        Attribute::string(name).optional().doc(&format!(
            "Limit for {name} (default {default}), e.g. `45m`, `1h30m`, `1.5h`."
        ))
    };
    Block::new("How long operations may take, as durations like `30m`, `1h30m` or `1.5h` (at most `168h`).")
        .attr(op("create"))
        .attr(op("update"))
        .attr(op("delete"))
}

/// Checks the durations of `config`'s `timeouts` block.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    for op in ["create", "update", "delete"] {
        string_at(
            config.get("timeouts").block().get(op),
            AttrPath::attr("timeouts").then_attr(op),
            diags,
            |s| parse_duration(s).map(|_| ()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_users_write() {
        let cases = [
            ("30m", 1800.0),
            ("1h30m", 5400.0),
            ("90s", 90.0),
            ("1.5h", 5400.0),
            ("45s", 45.0),
            ("2h", 7200.0),
            ("0.5s", 0.5),
            ("1h0m1s", 3601.0),
            ("168h", 604800.0),
        ];
        for (s, secs) in cases {
            assert_eq!(parse_duration(s).map(|d| d.as_secs_f64()), Ok(secs), "{s}");
        }
    }

    #[test]
    fn rejects_the_rest() {
        for s in [
            "", "30", "m", "10x", "1.2.3h", ".h", "-5m", "1 h", "0s", "0h0m", "169h", "1d", "30M",
            "h1",
        ] {
            assert!(parse_duration(s).is_err(), "{s:?} was accepted");
        }
    }

    #[test]
    fn extreme_values_are_errors_not_panics() {
        for s in [
            "99999999999999999999999999999999999999999999h",
            "18446744073709551616s",
            "340282366920938463463374607431768211455h",
            "1.99999999999999999999999999999999999999h",
            "9999999999999999999h9999999999999999999m",
        ] {
            let _ = parse_duration(s);
        }
        assert!(parse_duration("99999999999999999999999999999h").is_err());
        assert!(parse_duration("1.99999999999999999999999999999999999999h").is_ok());
    }

    #[test]
    fn unset_limits_take_the_default() {
        let v = Value::object([(
            "timeouts",
            Value::object([
                ("create", Value::string("10m")),
                ("update", Value::Null),
                ("delete", Value::string("bogus")),
            ]),
        )]);
        let t = Timeouts::from_value(&v, Duration::from_secs(1800));
        assert_eq!(t.create, Duration::from_secs(600));
        assert_eq!(t.update, Duration::from_secs(1800));
        assert_eq!(t.delete, Duration::from_secs(1800));
        let t = Timeouts::from_value(&Value::Null, Duration::from_secs(60));
        assert_eq!(t.create, Duration::from_secs(60));
    }
}
