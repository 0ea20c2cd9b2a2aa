//! The schema-driven plan pipeline.
//!
//! 1. Destroy plans pass through unchanged.
//! 2. Defaults fill attributes the configuration leaves null.
//! 3. On create, every other computed attribute that is null in config becomes unknown.
//! 4. On update, nothing changes unless some value differs from the prior state.
//!    When one does, attributes marked `requires_replace` that differ are
//!    reported, and computed attributes null in config become unknown, except
//!    those marked `use_state_for_unknown` (unless the object is replaced).
//! 5. Write-only attributes are never planned (always null).
//! 6. Attributes with an implied value that the configuration leaves null keep a
//!    prior value of the same effect (a spelled-out default), else plan null.
//!
//! The resource's own `modify_plan` hook runs after this.

use super::diag::AttrPath;
use super::schema::{Attribute, Block};
use super::value::Value;

/// The output of the pipeline.
pub struct Planned {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
}

pub fn plan(block: &Block, prior: &Value, proposed: &Value, config: &Value) -> Planned {
    if proposed.is_null() {
        return Planned {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let mut planned = proposed.clone();
    let attrs = &block.attributes;
    let config_null = |a: &Attribute| config.get(&a.name).is_null();

    for a in attrs.iter().filter(|a| config_null(a)) {
        if let Some(d) = &a.default {
            planned.set(&a.name, d.clone());
        }
    }
    block.null_write_only(&mut planned);
    block.settle_implied(config, prior, &mut planned);

    let mut requires_replace = Vec::new();
    if prior.is_null() {
        for a in attrs
            .iter()
            .filter(|a| a.computed && a.default.is_none() && a.implied.is_none() && config_null(a))
        {
            planned.set(&a.name, Value::Unknown);
        }
    } else if planned != *prior {
        for a in attrs.iter().filter(|a| a.requires_replace) {
            if planned.get(&a.name) != prior.get(&a.name) {
                requires_replace.push(AttrPath::attr(&a.name));
            }
        }
        let replacing = !requires_replace.is_empty();
        for a in attrs
            .iter()
            .filter(|a| a.computed && a.default.is_none() && a.implied.is_none() && config_null(a))
        {
            if replacing || !a.use_state_for_unknown {
                planned.set(&a.name, Value::Unknown);
            }
        }
    }
    requires_replace.sort();
    Planned {
        planned,
        requires_replace,
    }
}

/// The first path where a known planned value differs from the applied one.
pub fn find_plan_mismatch(planned: &Value, applied: &Value, at: AttrPath) -> Option<AttrPath> {
    match (planned, applied) {
        (Value::Unknown, _) => None,
        (Value::Map(p), Value::Map(a)) => p.iter().find_map(|(k, pv)| {
            let av = a.get(k).unwrap_or(&Value::Null);
            find_plan_mismatch(pv, av, at.clone().then_attr(k))
        }),
        (Value::List(p), Value::List(a)) if p.len() == a.len() => p
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (pv, av))| find_plan_mismatch(pv, av, at.clone().then_index(i))),
        (p, a) if p == a => None,
        _ => Some(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Attribute;

    fn block() -> Block {
        Block::new("test")
            .attr(
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .doc("n"),
            )
            .attr(Attribute::string("note").optional().doc("n"))
            .attr(Attribute::bool("flag").default(true).doc("f"))
            .attr(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .doc("i"),
            )
            .attr(Attribute::string("etag").computed().doc("e"))
            .attr(Attribute::string("secret").optional().write_only().doc("s"))
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())))
    }

    #[test]
    fn create_fills_defaults_and_unknowns() {
        let config = obj(&[("name", "a".into()), ("secret", "pw".into())]);
        let p = plan(&block(), &Value::Null, &config, &config);
        assert_eq!(p.planned.get("flag"), &Value::Bool(true));
        assert_eq!(p.planned.get("id"), &Value::Unknown);
        assert_eq!(p.planned.get("etag"), &Value::Unknown);
        assert_eq!(p.planned.get("secret"), &Value::Null);
        assert_eq!(p.planned.get("name"), &Value::string("a"));
        assert!(p.requires_replace.is_empty());
    }

    fn prior() -> Value {
        obj(&[
            ("name", "a".into()),
            ("note", Value::Null),
            ("flag", true.into()),
            ("id", "i-1".into()),
            ("etag", "e-1".into()),
            ("secret", Value::Null),
        ])
    }

    #[test]
    fn no_change_keeps_prior_state() {
        let config = obj(&[("name", "a".into())]);
        let p = plan(&block(), &prior(), &prior(), &config);
        assert_eq!(p.planned, prior());
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn in_place_change_marks_only_volatile_computed_values_unknown() {
        let config = obj(&[("name", "a".into()), ("note", "hi".into())]);
        let mut proposed = prior();
        proposed.set("note", "hi".into());
        let p = plan(&block(), &prior(), &proposed, &config);
        assert_eq!(p.planned.get("id"), &Value::string("i-1"));
        assert_eq!(p.planned.get("etag"), &Value::Unknown);
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn replacing_change_reports_path_and_unknowns_everything_computed() {
        let config = obj(&[("name", "b".into())]);
        let mut proposed = prior();
        proposed.set("name", "b".into());
        let p = plan(&block(), &prior(), &proposed, &config);
        assert_eq!(p.requires_replace, vec![AttrPath::attr("name")]);
        assert_eq!(p.planned.get("id"), &Value::Unknown);
    }

    #[test]
    fn destroy_passes_through() {
        let p = plan(&block(), &prior(), &Value::Null, &Value::Null);
        assert!(p.planned.is_null());
    }

    #[test]
    fn mismatch_finds_the_differing_path() {
        let planned = obj(&[("a", Value::Unknown), ("b", Value::List(vec!["x".into()]))]);
        let applied = obj(&[("a", "z".into()), ("b", Value::List(vec!["y".into()]))]);
        let at = find_plan_mismatch(&planned, &applied, AttrPath::root()).unwrap();
        assert_eq!(at.to_string(), "b[0]");
        assert!(find_plan_mismatch(&planned, &planned.clone(), AttrPath::root()).is_none());
    }
}
