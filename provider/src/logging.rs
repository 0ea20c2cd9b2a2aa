//! Logging to stderr in the JSON line format cores parse from providers.
//!
//! Each event becomes one JSON object with `@level`, `@message`, `@module` and
//! `@timestamp` (microseconds, `Z` for UTC); other fields become key/value
//! pairs. The level comes from `TF_LOG_PROVIDER`, else `TF_LOG` (`JSON` means
//! trace, `OFF` or unset means nothing). Only this crate logs below WARN: the
//! AWS SDK and transport crates are capped at WARN so that request bodies,
//! headers and credentials never reach a log at any level.

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The `@module` every line carries.
const MODULE: &str = "ode";
/// Targets allowed below WARN.
const OWN_TARGET: &str = "ode_provider";

/// The level named by the environment, or `None` for no logging.
pub fn level_from_env() -> Option<Level> {
    let raw = std::env::var("TF_LOG_PROVIDER")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var("TF_LOG").ok().filter(|v| !v.is_empty()))?;
    parse_level(&raw)
}

fn parse_level(raw: &str) -> Option<Level> {
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        "OFF" | "" => None,
        // Cores treat an unrecognised level as TRACE.
        _ => Some(Level::TRACE),
    }
}

/// Installs the global subscriber. Call once, before serving.
pub fn init(level: Option<Level>) {
    if let Some(level) = level {
        let _ = tracing_subscriber::registry()
            .with(JsonLines { max: level })
            .try_init();
    }
}

struct JsonLines {
    max: Level,
}

fn allowed(max: Level, meta: &Metadata<'_>) -> bool {
    let cap = if meta.target().starts_with(OWN_TARGET) {
        max
    } else {
        max.min(Level::WARN)
    };
    *meta.level() <= cap
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: serde_json::Map<String, serde_json::Value>,
}

impl Visit for Fields {
    fn record_str(&mut self, f: &Field, v: &str) {
        if f.name() == "message" {
            self.message = v.to_string();
        } else {
            self.rest.insert(f.name().to_string(), v.into());
        }
    }
    fn record_i64(&mut self, f: &Field, v: i64) {
        self.rest.insert(f.name().to_string(), v.into());
    }
    fn record_u64(&mut self, f: &Field, v: u64) {
        self.rest.insert(f.name().to_string(), v.into());
    }
    fn record_bool(&mut self, f: &Field, v: bool) {
        self.rest.insert(f.name().to_string(), v.into());
    }
    fn record_debug(&mut self, f: &Field, v: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{v:?}");
        if f.name() == "message" {
            self.message = s;
        } else {
            self.rest.insert(f.name().to_string(), s.into());
        }
    }
}

fn timestamp() -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default()
}

/// Formats one event as a JSON line.
fn line(
    level: &Level,
    message: String,
    rest: serde_json::Map<String, serde_json::Value>,
) -> String {
    let mut obj = serde_json::Map::with_capacity(rest.len() + 4);
    obj.insert("@level".into(), level.as_str().to_ascii_lowercase().into());
    obj.insert("@message".into(), message.into());
    obj.insert("@module".into(), MODULE.into());
    obj.insert("@timestamp".into(), timestamp().into());
    obj.extend(rest);
    let mut s = serde_json::Value::Object(obj).to_string();
    s.push('\n');
    s
}

impl<S: Subscriber> Layer<S> for JsonLines {
    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        allowed(self.max, meta)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut f = Fields::default();
        event.record(&mut f);
        let s = line(event.metadata().level(), f.message, f.rest);
        let _ = std::io::stderr().lock().write_all(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_core_conventions() {
        assert_eq!(parse_level("json"), Some(Level::TRACE));
        assert_eq!(parse_level("DEBUG"), Some(Level::DEBUG));
        assert_eq!(parse_level("off"), None);
        assert_eq!(parse_level("bogus"), Some(Level::TRACE));
    }

    #[test]
    fn lines_have_the_fields_cores_parse() {
        let mut rest = serde_json::Map::new();
        rest.insert("rpc".into(), "ReadResource".into());
        let s = line(&Level::DEBUG, "done".into(), rest);
        let j: serde_json::Value = serde_json::from_str(s.trim_end()).unwrap();
        assert_eq!(j["@level"], "debug");
        assert_eq!(j["@message"], "done");
        assert_eq!(j["@module"], "ode");
        assert_eq!(j["rpc"], "ReadResource");
        let ts = j["@timestamp"].as_str().unwrap();
        // 2006-01-02T15:04:05.000000Z
        assert_eq!(ts.len(), 27, "{ts}");
        assert!(ts.ends_with('Z'));
    }

    #[test]
    fn foreign_crates_are_capped_at_warn() {
        struct Cs;
        impl tracing::callsite::Callsite for Cs {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                unreachable!()
            }
        }
        static CS: Cs = Cs;
        let sdk = Metadata::new(
            "x",
            "aws_smithy_runtime::client",
            Level::TRACE,
            None,
            None,
            None,
            tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CS)),
            tracing::metadata::Kind::EVENT,
        );
        let own = Metadata::new(
            "x",
            "ode_provider::aws",
            Level::TRACE,
            None,
            None,
            None,
            tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CS)),
            tracing::metadata::Kind::EVENT,
        );
        assert!(!allowed(Level::TRACE, &sdk));
        assert!(allowed(Level::TRACE, &own));
    }
}
