//! Engine versions against what RDS and ElastiCache offer today: a major alone
//! (`"15"`, `"7"`) resolves to the newest minor offered; an explicit minor must be
//! one AWS still creates. The plan checks (`check`), create and modify send the
//! resolved version (`pick`).

use crate::aws::{every, Aws, AwsError, Op};

/// An engine of the tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Redis,
    Valkey,
}

impl Engine {
    /// The cache engine named by `redis.engine`.
    pub fn cache(name: &str) -> Engine {
        if name == "valkey" {
            Engine::Valkey
        } else {
            Engine::Redis
        }
    }
    /// The engine's name in AWS's API (`Engine`).
    pub fn api_name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Redis => "redis",
            Engine::Valkey => "valkey",
        }
    }
    /// How users know it.
    pub fn title(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Redis => "Redis OSS",
            Engine::Valkey => "Valkey",
        }
    }
    pub fn service(self) -> &'static str {
        match self {
            Engine::Postgres => "RDS",
            Engine::Redis | Engine::Valkey => "ElastiCache",
        }
    }
    /// The parameter group family of a version (`postgres15`, `redis6.x`, `redis7`,
    /// `valkey8`).
    pub fn family(self, version: &str) -> String {
        let major = major(version);
        match (self, major) {
            (Engine::Redis, "6") => "redis6.x".to_string(),
            _ => format!("{}{major}", self.api_name()),
        }
    }
}

/// `15` of `15.4`.
pub fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or_default()
}

/// Whether the version names a major only (`15`, `7`).
pub fn is_major_only(version: &str) -> bool {
    !version.contains('.')
}

fn parts(v: &str) -> Vec<u32> {
    v.split('.').filter_map(|p| p.parse().ok()).collect()
}

/// The versions of `engine` in the major of `version` that AWS creates today,
/// oldest first (every page).
pub async fn offered(aws: &Aws, engine: Engine, version: &str) -> Result<Vec<String>, AwsError> {
    let family = engine.family(version);
    let mut versions: Vec<String> = match engine {
        Engine::Postgres => every(
            aws.rds
                .describe_db_engine_versions()
                .engine(engine.api_name())
                .db_parameter_group_family(&family)
                .into_paginator()
                .items()
                .send(),
        )
        .await
        .op("DescribeDBEngineVersions")?
        .into_iter()
        .filter(|v| v.status().is_none_or(|s| s == "available"))
        .filter_map(|v| v.engine_version().map(str::to_string))
        .collect(),
        // By engine only: ElastiCache refuses a family that does not exist (`redis8`).
        Engine::Redis | Engine::Valkey => every(
            aws.elasticache
                .describe_cache_engine_versions()
                .engine(engine.api_name())
                .into_paginator()
                .items()
                .send(),
        )
        .await
        .op("DescribeCacheEngineVersions")?
        .into_iter()
        .filter_map(|v| v.engine_version().map(str::to_string))
        .filter(|v| major(v) == major(version))
        .collect(),
    };
    versions.sort_by_key(|v| parts(v));
    versions.dedup();
    Ok(versions)
}

/// What `want` resolves to among `offered`: the newest of its major for a major
/// alone, itself when offered; None when AWS offers no such version.
pub fn resolve(want: &str, offered: &[String]) -> Option<String> {
    if is_major_only(want) {
        offered
            .iter()
            .filter(|v| major(v) == want)
            .max_by_key(|v| parts(v))
            .cloned()
    } else {
        offered.iter().find(|v| *v == want).cloned()
    }
}

/// The version to send for `want`: itself when it names a minor, else the newest
/// minor of its major AWS offers (one Describe call).
pub async fn pick(aws: &Aws, engine: Engine, want: &str) -> Result<String, AwsError> {
    if !is_major_only(want) {
        return Ok(want.to_string());
    }
    let offered = offered(aws, engine, want).await?;
    resolve(want, &offered).ok_or_else(|| {
        let op = match engine {
            Engine::Postgres => "DescribeDBEngineVersions",
            Engine::Redis | Engine::Valkey => "DescribeCacheEngineVersions",
        };
        AwsError::new(
            op,
            "NoVersionOffered",
            format!(
                "{} offers no {} {want}.x version in this region",
                engine.service(),
                engine.title()
            ),
        )
    })
}

/// Why `want` cannot be created, from what AWS offers in its major; None when it can.
pub fn refusal(engine: Engine, want: &str, offered: &[String]) -> Option<String> {
    if resolve(want, offered).is_some() {
        return None;
    }
    let listed = if offered.is_empty() {
        format!("no {} {} version", engine.title(), major(want))
    } else {
        offered.join(", ")
    };
    Some(format!(
        "{} does not offer {} {want} for new databases or upgrades; in major {} it offers {listed}. Write the major alone (\"{}\") for the newest, or one of these.",
        engine.service(),
        engine.title(),
        major(want),
        major(want)
    ))
}

/// Whether version `to` is older than `from`, compared as far as both go (`15` is
/// neither older nor newer than `15.15`).
pub fn is_downgrade(from: &str, to: &str) -> bool {
    let (f, t) = (parts(from), parts(to));
    let n = f.len().min(t.len());
    t[..n] < f[..n]
}

/// Whether the running version `have` satisfies the configured `want`: equal; any
/// minor of the major when `want` names a major alone; or (with automatic minor
/// upgrades) a later minor of the same major.
pub fn version_satisfies(have: &str, want: &str, auto_minor: bool) -> bool {
    if have == want {
        return true;
    }
    let (h, w) = (parts(have), parts(want));
    if h.is_empty() || h.first() != w.first() {
        return false;
    }
    w.len() == 1 || (auto_minor && h >= w)
}

/// For [`crate::framework::Attribute::same_effect_when`]: a version and the major
/// alone take the same effect (`"15.15"` recorded by an import, `"15"` configured).
pub fn same_line(a: &crate::framework::Value, b: &crate::framework::Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => {
            (is_major_only(x) && major(y) == x) || (is_major_only(y) && major(x) == y)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_resolve_to_the_newest_minor_and_minors_must_be_offered() {
        let offered: Vec<String> = ["15.13", "15.15", "15.14"].map(String::from).to_vec();
        assert_eq!(resolve("15", &offered).as_deref(), Some("15.15"));
        assert_eq!(resolve("15.14", &offered).as_deref(), Some("15.14"));
        assert_eq!(resolve("15.4", &offered), None);
        assert_eq!(resolve("16", &offered), None);
        let why = refusal(Engine::Postgres, "15.4", &offered).unwrap();
        assert!(why.contains("RDS does not offer PostgreSQL 15.4"), "{why}");
        assert!(why.contains("it offers 15.13, 15.15, 15.14"), "{why}");
        assert!(refusal(Engine::Postgres, "15", &offered).is_none());
        assert!(refusal(Engine::Valkey, "9", &[])
            .unwrap()
            .contains("no Valkey 9 version"));
    }

    #[test]
    fn families() {
        assert_eq!(Engine::Postgres.family("15"), "postgres15");
        assert_eq!(Engine::Postgres.family("16.4"), "postgres16");
        assert_eq!(Engine::Redis.family("6.2"), "redis6.x");
        assert_eq!(Engine::Redis.family("7.1"), "redis7");
        assert_eq!(Engine::Valkey.family("8"), "valkey8");
    }

    #[test]
    fn versions_compare_as_far_as_both_go() {
        assert!(version_satisfies("15.4", "15.4", false));
        assert!(version_satisfies("15.5", "15.4", true));
        assert!(!version_satisfies("15.5", "15.4", false));
        assert!(version_satisfies("15.15", "15", false));
        assert!(!version_satisfies("16.1", "15", true));
        assert!(!version_satisfies("16.1", "15.4", true));
        assert!(!version_satisfies("15.3", "15.4", true));
        assert!(is_downgrade("15.4", "14.10"));
        assert!(is_downgrade("15", "14.10"));
        assert!(is_downgrade("7.1", "7.0"));
        assert!(is_downgrade("15.10", "15.9"));
        assert!(!is_downgrade("15.4", "15.4"));
        assert!(!is_downgrade("15.15", "15"));
        assert!(!is_downgrade("15", "15.4"));
        assert!(!is_downgrade("15.4", "15.10"));
        assert!(!is_downgrade("7.0", "7.1"));
        use crate::framework::Value;
        assert!(same_line(&Value::string("15"), &Value::string("15.15")));
        assert!(same_line(&Value::string("15.15"), &Value::string("15")));
        assert!(!same_line(&Value::string("15.14"), &Value::string("15.15")));
        assert!(!same_line(&Value::string("16"), &Value::string("15.15")));
    }
}
