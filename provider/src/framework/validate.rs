//! Helpers for validating configuration values. Unknown and null values pass:
//! they are checked again at plan time, once known.

use super::diag::{AttrPath, Diagnostics};
use super::value::Value;

/// Runs `check` on a known string value and reports a failure at `path`.
pub fn string_at(
    v: &Value,
    path: AttrPath,
    diags: &mut Diagnostics,
    check: impl Fn(&str) -> Result<(), String>,
) {
    if let Some(s) = v.as_str() {
        if let Err(why) = check(s) {
            diags.attr_error(path.clone(), format!("Invalid value for {path}"), why);
        }
    }
}

/// [`string_at`] for a top-level attribute of `obj`.
pub fn string_attr(
    obj: &Value,
    name: &str,
    diags: &mut Diagnostics,
    check: impl Fn(&str) -> Result<(), String>,
) {
    string_at(obj.get(name), AttrPath::attr(name), diags, check)
}

/// Runs `check` on a known integer and reports a failure at `path`.
pub fn int_at(
    v: &Value,
    path: AttrPath,
    diags: &mut Diagnostics,
    check: impl Fn(i64) -> Result<(), String>,
) {
    if let Value::Number(n) = v {
        let res = match n.as_i64() {
            Some(i) => check(i),
            None => Err(format!("{n} is not a whole number.")),
        };
        if let Err(why) = res {
            diags.attr_error(path.clone(), format!("Invalid value for {path}"), why);
        }
    }
}

/// Checks the keys and values of a known map of strings (entries may be unknown).
pub fn string_map_at(
    v: &Value,
    path: AttrPath,
    diags: &mut Diagnostics,
    check: impl Fn(&str, Option<&str>) -> Result<(), String>,
) {
    if let Some(m) = v.as_map() {
        for (k, val) in m {
            if let Err(why) = check(k, val.as_str()) {
                let at = path.clone().then_key(k);
                diags.attr_error(at.clone(), format!("Invalid value for {at}"), why);
            }
        }
    }
}

/// A string that must be one of `choices`; the message lists them.
pub fn one_of(choices: &'static [&'static str]) -> impl Fn(&str) -> Result<(), String> {
    move |s| {
        if choices.contains(&s) {
            Ok(())
        } else {
            Err(format!("{s:?}: use one of {}.", choices.join(", ")))
        }
    }
}

/// A whole number in `lo..=hi`.
pub fn range(lo: i64, hi: i64) -> impl Fn(i64) -> Result<(), String> {
    move |n| {
        if (lo..=hi).contains(&n) {
            Ok(())
        } else {
            Err(format!("must be {lo} to {hi}, not {n}."))
        }
    }
}

/// Accepts strings of `min..=max` characters.
pub fn length(min: usize, max: usize) -> impl Fn(&str) -> Result<(), String> {
    move |s| {
        let n = s.chars().count();
        if n < min || n > max {
            Err(format!("Must be {min} to {max} characters long; got {n}."))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_null_pass_known_bad_fails_with_path() {
        let mut d = Diagnostics::default();
        let obj = Value::object([
            ("a", Value::Unknown),
            ("b", Value::Null),
            ("c", "xy".into()),
        ]);
        for n in ["a", "b", "c"] {
            string_attr(&obj, n, &mut d, length(3, 5));
        }
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].path, Some(AttrPath::attr("c")));
    }

    #[test]
    fn map_entries_are_reported_by_key() {
        let mut d = Diagnostics::default();
        let m = Value::object([("", Value::string("v")), ("ok", "v".into())]);
        string_map_at(&m, AttrPath::attr("tags"), &mut d, |k, _| {
            if k.is_empty() {
                Err("empty".into())
            } else {
                Ok(())
            }
        });
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "tags[\"\"]");
    }
}
