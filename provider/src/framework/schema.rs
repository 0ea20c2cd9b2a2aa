//! Schemas: what the core shows users and validates configuration against, plus
//! the plan behaviour of each attribute (defaults, replacement, state reuse).

use std::fmt;
use std::sync::Arc;

use super::diag::{AttrPath, Diagnostics};
use super::types::Type;
use super::validate::{int_at, string_at, string_map_at};
use super::value::Value;

/// A rule for one attribute's value, declared with the attribute and run by the
/// server on every configuration (unknown and null values pass; they are checked
/// once known). Rules that need several attributes or AWS stay in the resource.
#[derive(Clone)]
pub enum Check {
    /// A string; in a list, set or map of strings, each element.
    Str(StrRule),
    /// A whole number.
    Int(IntRule),
    /// Each entry of a map of strings (key, value when known).
    Entry(EntryRule),
}

/// A rule's answer: `Err` says what is wrong.
pub type RuleResult = Result<(), String>;
pub type StrRule = Arc<dyn Fn(&str) -> RuleResult + Send + Sync>;
pub type IntRule = Arc<dyn Fn(i64) -> RuleResult + Send + Sync>;
pub type EntryRule = Arc<dyn Fn(&str, Option<&str>) -> RuleResult + Send + Sync>;

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::Str(_) => "Check::Str",
            Check::Int(_) => "Check::Int",
            Check::Entry(_) => "Check::Entry",
        })
    }
}

impl Check {
    /// Runs the rule on `v`, the value of an attribute of type `ty` at `at`.
    fn run(&self, ty: &Type, v: &Value, at: &AttrPath, diags: &mut Diagnostics) {
        match (self, ty) {
            (Check::Str(f), Type::List(_)) => {
                for (i, e) in v.as_list().unwrap_or_default().iter().enumerate() {
                    string_at(e, at.clone().then_index(i), diags, |s| f(s));
                }
            }
            // A set's elements have no index: the attribute is named.
            (Check::Str(f), Type::Set(_)) => {
                for e in v.as_list().unwrap_or_default() {
                    string_at(e, at.clone(), diags, |s| f(s));
                }
            }
            (Check::Str(f), Type::Map(_)) => {
                string_map_at(v, at.clone(), diags, |_, val| val.map_or(Ok(()), |s| f(s)))
            }
            (Check::Str(f), _) => string_at(v, at.clone(), diags, |s| f(s)),
            (Check::Int(f), _) => int_at(v, at.clone(), diags, |n| f(n)),
            (Check::Entry(f), _) => string_map_at(v, at.clone(), diags, |k, val| f(k, val)),
        }
    }
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; the value is an object or null.
    Single,
    /// Like `Single`, but the value is never null (absent block = object of nulls).
    Group,
    List,
    Set,
    Map,
}

/// One attribute of a block.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    /// Markdown shown in docs and `providers schema -json`.
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Sent in config only; never stored in state or plan (protocol 6.8+).
    pub write_only: bool,
    pub deprecated: bool,
    /// A change of this attribute replaces the whole object.
    pub requires_replace: bool,
    /// A computed value that stays as it is in state when other attributes change.
    pub use_state_for_unknown: bool,
    /// The value planned when the configuration leaves the attribute null.
    pub default: Option<Value>,
    /// What a null in configuration stands for, when the resource applies its
    /// own default (see [`Attribute::implied`]).
    pub implied: Option<Value>,
    /// A map of objects whose attributes are declared like a block's (a nested
    /// attribute, `node_groups = { system = { ... } }`): unlike a labelled block,
    /// a module can pass a whole map to it, whether its keys are known or not.
    pub nested: Option<Vec<Attribute>>,
    /// Rules for the value, run by the server (see [`Check`]).
    pub checks: Vec<Check>,
    /// When two different values still take the same effect (see
    /// [`Attribute::same_effect_when`]).
    pub same_when: Option<fn(&Value, &Value) -> bool>,
}

impl Attribute {
    pub fn new(name: &str, ty: Type) -> Self {
        Attribute {
            name: name.to_string(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecated: false,
            requires_replace: false,
            use_state_for_unknown: false,
            default: None,
            implied: None,
            nested: None,
            checks: Vec::new(),
            same_when: None,
        }
    }

    /// A map of objects with these attributes (each optional, required or
    /// computed as declared), keyed by a name the user chooses.
    pub fn map_nested(name: &str, attributes: Vec<Attribute>) -> Self {
        let ty = Type::map(Type::object(
            attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect::<Vec<_>>(),
        ));
        Attribute {
            nested: Some(attributes),
            ..Self::new(name, ty)
        }
    }
    pub fn string(name: &str) -> Self {
        Self::new(name, Type::String)
    }
    pub fn bool(name: &str) -> Self {
        Self::new(name, Type::Bool)
    }
    pub fn number(name: &str) -> Self {
        Self::new(name, Type::Number)
    }
    pub fn string_map(name: &str) -> Self {
        Self::new(name, Type::map(Type::String))
    }
    pub fn string_list(name: &str) -> Self {
        Self::new(name, Type::list(Type::String))
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }
    pub fn use_state_for_unknown(mut self) -> Self {
        self.use_state_for_unknown = true;
        self
    }
    /// A computed attribute that keeps its value while the object lives (ids,
    /// ARNs, endpoints): known in every plan but the one that makes the object.
    pub fn output(name: &str, ty: Type, doc: &str) -> Self {
        Attribute::new(name, ty)
            .computed()
            .use_state_for_unknown()
            .doc(doc)
    }
    /// A computed attribute that any change may move (statuses, versions):
    /// unknown in every plan that changes the object.
    pub fn volatile_output(name: &str, ty: Type, doc: &str) -> Self {
        Attribute::new(name, ty).computed().doc(doc)
    }
    /// Optional with a default: the attribute is also computed so the default can be planned.
    pub fn default(mut self, v: impl Into<Value>) -> Self {
        self.optional = true;
        self.computed = true;
        self.default = Some(v.into());
        self
    }
    /// Optional, and a null stands for `v` (the resource's documented default).
    /// State keeps what the configuration wrote, null included; a state that
    /// spells the default out (as an import records it) plans no change while the
    /// configuration leaves it null. The attribute is computed so that such a
    /// value may be planned where the configuration has null.
    pub fn implied(mut self, v: impl Into<Value>) -> Self {
        self.optional = true;
        self.computed = true;
        self.implied = Some(v.into());
        self
    }
    /// A rule for a string value (each element of a list, set or map of strings).
    pub fn check_str(
        mut self,
        f: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.checks.push(Check::Str(Arc::new(f)));
        self
    }
    /// A rule for a whole number.
    pub fn check_int(
        mut self,
        f: impl Fn(i64) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.checks.push(Check::Int(Arc::new(f)));
        self
    }
    /// A rule for each entry (key, value when known) of a map of strings.
    pub fn check_entries(
        mut self,
        f: impl Fn(&str, Option<&str>) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.checks.push(Check::Entry(Arc::new(f)));
        self
    }
    /// Two different values take the same effect when `f` says so (after nulls
    /// stand for the implied value): an implied `"15"` and a recorded `"15.15"` for
    /// an engine version whose major alone was asked for.
    pub fn same_effect_when(mut self, f: fn(&Value, &Value) -> bool) -> Self {
        self.same_when = Some(f);
        self
    }
    pub fn doc(mut self, d: &str) -> Self {
        self.description = d.to_string();
        self
    }
}

impl Attribute {
    /// Whether two values of this attribute take the same effect: nulls stand for
    /// the implied value, element by element in map-nested attributes.
    pub fn same_effect(&self, a: &Value, b: &Value) -> bool {
        let resolve = |v: &Value| match (v, &self.implied) {
            (Value::Null, Some(i)) => i.clone(),
            _ => v.clone(),
        };
        let (a, b) = (resolve(a), resolve(b));
        match (&self.nested, &a, &b) {
            (Some(nested), Value::Map(x), Value::Map(y)) => {
                x.len() == y.len()
                    && x.iter().all(|(k, xe)| {
                        let Some(ye) = y.get(k) else {
                            return false;
                        };
                        nested
                            .iter()
                            .all(|n| n.same_effect(xe.get(&n.name), ye.get(&n.name)))
                    })
            }
            _ => a == b || self.same_when.is_some_and(|f| f(&a, &b)),
        }
    }
}

/// A nested block type.
#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

/// A block: attributes and nested blocks.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    pub fn new(description: &str) -> Self {
        Block {
            description: description.to_string(),
            ..Default::default()
        }
    }
    pub fn attr(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }
    /// Adds a nested block that appears at most once.
    pub fn single(mut self, name: &str, block: Block) -> Self {
        self.blocks.push(NestedBlock {
            type_name: name.to_string(),
            block,
            nesting: Nesting::Single,
            min_items: 0,
            max_items: 0,
        });
        self
    }
    /// Adds a nested block that appears at most once and whose absence means
    /// all its attributes are null (its value is never null).
    pub fn group(mut self, name: &str, block: Block) -> Self {
        self.blocks.push(NestedBlock {
            type_name: name.to_string(),
            block,
            nesting: Nesting::Group,
            min_items: 0,
            max_items: 0,
        });
        self
    }
    /// This block's attributes as an optional map-nested attribute named `name`,
    /// described by the block's description. Prefer it to a labelled [`Block::map`]
    /// block: a module can pass a whole map to an attribute, while the labels of
    /// `dynamic` blocks must be known when the configuration is validated.
    pub fn into_map_attribute(self, name: &str) -> Attribute {
        Attribute::map_nested(name, self.attributes)
            .optional()
            .doc(&self.description)
    }
    /// Adds a nested block that repeats with a label, as a map keyed by the label
    /// (`node_group "system" { ... }`).
    pub fn map(mut self, name: &str, block: Block) -> Self {
        self.blocks.push(NestedBlock {
            type_name: name.to_string(),
            block,
            nesting: Nesting::Map,
            min_items: 0,
            max_items: 0,
        });
        self
    }
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Points diagnostics inside an element of a map-nested attribute at the
    /// element (`node_groups["worker"]`): cores place a path that goes further
    /// into the element on the whole resource, but an element's path on its line.
    /// The attribute the path went on to is named at the start of the detail.
    pub fn point_at_map_elements(&self, diags: &mut crate::framework::Diagnostics) {
        use crate::framework::diag::Step;
        for d in diags.0.iter_mut() {
            let Some(path) = d.path.as_mut() else {
                continue;
            };
            let nested = match path.0.first() {
                Some(Step::Attr(a)) => self.attribute(a).is_some_and(|a| a.nested.is_some()),
                _ => false,
            };
            if nested && path.0.len() > 2 && matches!(path.0[1], Step::Key(_)) {
                let rest = crate::framework::AttrPath(path.0.split_off(2));
                let name = rest.to_string();
                let name = name.trim_start_matches('.');
                if !d.detail.starts_with(name) {
                    d.detail = format!("{name}: {}", d.detail);
                }
            }
        }
    }

    /// Plans attributes with an implied value (in nested single and group blocks
    /// and in the elements of map-nested attributes too): where the configuration
    /// leaves one null, the plan keeps the prior value when it has the same effect
    /// as the implied one (a default spelled out, as an import records it), and
    /// is null otherwise (back to the default).
    pub fn settle_implied(&self, config: &Value, prior: &Value, planned: &mut Value) {
        if config.is_unknown() || !matches!(planned, Value::Map(_)) {
            return;
        }
        for a in &self.attributes {
            let (c, p) = (config.get(&a.name), prior.get(&a.name));
            if a.implied.is_some() && c.is_null() {
                let keep = !p.is_null() && a.same_effect(p, &Value::Null);
                planned.set(&a.name, if keep { p.clone() } else { Value::Null });
                continue;
            }
            let (Some(nested), Value::Map(_)) = (&a.nested, c) else {
                continue;
            };
            let inner = Block {
                attributes: nested.clone(),
                ..Default::default()
            };
            if let Value::Map(m) = planned {
                if let Some(Value::Map(elements)) = m.get_mut(&a.name) {
                    for (key, element) in elements.iter_mut() {
                        inner.settle_implied(c.get(key), p.get(key), element);
                    }
                }
            }
        }
        let once = |b: &&NestedBlock| matches!(b.nesting, Nesting::Single | Nesting::Group);
        for b in self.blocks.iter().filter(once) {
            if let Value::Map(m) = planned {
                if let Some(inner) = m.get_mut(&b.type_name) {
                    b.block.settle_implied(
                        config.get(&b.type_name),
                        prior.get(&b.type_name),
                        inner,
                    );
                }
            }
        }
    }

    /// Runs every attribute's declared [`Check`]s on `config` (in nested single and
    /// group blocks and in the elements of map-nested attributes too), each
    /// failure pointed at its attribute (or element). A value for a read-only
    /// (computed-only) attribute is refused: the cores pass it on, and the plan
    /// would silently replace it.
    pub fn run_checks(&self, config: &Value, at: &AttrPath, diags: &mut Diagnostics) {
        if !matches!(config, Value::Map(_)) {
            return;
        }
        for a in &self.attributes {
            let v = config.get(&a.name);
            let here = at.clone().then_attr(&a.name);
            if a.computed && !a.optional && !a.required && !v.is_null() {
                diags.attr_error(
                    here.clone(),
                    "Read-only attribute",
                    format!(
                        "{} is set by the provider from what AWS reports and cannot be configured; remove it from the configuration.",
                        a.name
                    ),
                );
                continue;
            }
            for c in &a.checks {
                c.run(&a.ty, v, &here, diags);
            }
            if let (Some(nested), Some(elements)) = (&a.nested, v.as_map()) {
                let inner = Block {
                    attributes: nested.clone(),
                    ..Default::default()
                };
                for (key, element) in elements {
                    inner.run_checks(element, &here.clone().then_key(key), diags);
                }
            }
        }
        let once = |b: &&NestedBlock| matches!(b.nesting, Nesting::Single | Nesting::Group);
        for b in self.blocks.iter().filter(once) {
            b.block.run_checks(
                config.get(&b.type_name),
                &at.clone().then_attr(&b.type_name),
                diags,
            );
        }
    }

    /// Writes out every implied value that `v` leaves null (in nested single and
    /// group blocks and in map-nested elements too): an imported state names each
    /// setting, so that a configuration that writes the default plans no change,
    /// and one that leaves it null keeps it (see [`Block::settle_implied`]).
    pub fn spell_out_implied(&self, v: &mut Value) {
        let Value::Map(m) = v else {
            return;
        };
        for a in &self.attributes {
            let slot = m.entry(a.name.clone()).or_insert(Value::Null);
            if let (Value::Null, Some(i)) = (&*slot, &a.implied) {
                *slot = i.clone();
            }
            if let (Some(nested), Value::Map(elements)) = (&a.nested, slot) {
                let inner = Block {
                    attributes: nested.clone(),
                    ..Default::default()
                };
                for element in elements.values_mut() {
                    inner.spell_out_implied(element);
                }
            }
        }
        let once = |b: &&NestedBlock| matches!(b.nesting, Nesting::Single | Nesting::Group);
        for b in self.blocks.iter().filter(once) {
            if let Some(inner) = m.get_mut(&b.type_name) {
                b.block.spell_out_implied(inner);
            }
        }
    }

    /// Sets every write-only attribute of `v` to null, in nested single blocks
    /// too: the core never keeps a value of one in a plan or in state.
    pub fn null_write_only(&self, v: &mut Value) {
        for a in self.attributes.iter().filter(|a| a.write_only) {
            v.set(&a.name, Value::Null);
        }
        let once = |b: &&NestedBlock| matches!(b.nesting, Nesting::Single | Nesting::Group);
        for b in self.blocks.iter().filter(once) {
            if let Value::Map(m) = v {
                if let Some(inner) = m.get_mut(&b.type_name) {
                    b.block.null_write_only(inner);
                }
            }
        }
    }

    /// The write-only attributes that `config` sets (in nested single blocks too).
    pub fn write_only_set(
        &self,
        config: &Value,
        at: &crate::framework::AttrPath,
    ) -> Vec<crate::framework::AttrPath> {
        let mut out: Vec<_> = self
            .attributes
            .iter()
            .filter(|a| a.write_only && !config.get(&a.name).is_null())
            .map(|a| at.clone().then_attr(&a.name))
            .collect();
        let once = |b: &&NestedBlock| matches!(b.nesting, Nesting::Single | Nesting::Group);
        for b in self.blocks.iter().filter(once) {
            out.extend(b.block.write_only_set(
                config.get(&b.type_name),
                &at.clone().then_attr(&b.type_name),
            ));
        }
        out
    }

    /// The object type of a value of this block.
    pub fn value_type(&self) -> Type {
        let mut attrs: Vec<(String, Type)> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            let obj = b.block.value_type();
            let t = match b.nesting {
                Nesting::Single | Nesting::Group => obj,
                Nesting::List => Type::list(obj),
                Nesting::Set => Type::set(obj),
                Nesting::Map => Type::map(obj),
            };
            attrs.push((b.type_name.clone(), t));
        }
        Type::object(attrs)
    }

    /// Problems the core would reject (or that would make poor docs), with their path.
    pub fn lint(&self, at: &str) -> Vec<String> {
        let mut out = Vec::new();
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        for a in &self.attributes {
            let p = format!("{at}{}", a.name);
            if !name_ok(&a.name) {
                out.push(format!("{p}: name must be lowercase letters, digits and _"));
            }
            if !(a.required || a.optional || a.computed) {
                out.push(format!("{p}: needs one of required, optional, computed"));
            }
            if a.required && (a.optional || a.computed) {
                out.push(format!("{p}: required excludes optional and computed"));
            }
            if a.description.trim().is_empty() {
                out.push(format!("{p}: has no description"));
            }
            if a.write_only && a.computed {
                out.push(format!("{p}: write-only attributes cannot be computed"));
            }
            if a.default.is_some() && !(a.optional && a.computed) {
                out.push(format!("{p}: a default needs optional + computed"));
            }
            if a.implied.is_some() && (a.default.is_some() || a.write_only || a.requires_replace) {
                out.push(format!(
                    "{p}: an implied value excludes a default, write-only and requires_replace"
                ));
            }
            if let Some(nested) = &a.nested {
                let inner = Block {
                    attributes: nested.clone(),
                    description: a.description.clone(),
                    ..Default::default()
                };
                out.extend(inner.lint(&format!("{p}.")));
            }
        }
        for b in &self.blocks {
            if !name_ok(&b.type_name) {
                out.push(format!("{at}{}: bad block name", b.type_name));
            }
            if b.block.description.trim().is_empty() {
                out.push(format!("{at}{}: block has no description", b.type_name));
            }
            out.extend(b.block.lint(&format!("{at}{}.", b.type_name)));
        }
        out
    }
}

/// A versioned schema of a resource, data source or the provider itself.
#[derive(Clone, Debug)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        Schema { version, block }
    }
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_value_type_includes_nested_blocks() {
        let b = Block::new("root")
            .attr(Attribute::string("a").required().doc("a"))
            .single(
                "inner",
                Block::new("inner").attr(Attribute::bool("x").optional().doc("x")),
            );
        assert_eq!(
            b.value_type(),
            Type::object([
                ("a", Type::String),
                ("inner", Type::object([("x", Type::Bool)])),
            ])
        );
        assert!(b.lint("").is_empty(), "{:?}", b.lint(""));
    }

    fn implied_schema() -> Block {
        Block::new("root")
            .attr(Attribute::number("size").implied(100).doc("size"))
            .attr(
                Attribute::map_nested("items", vec![Attribute::bool("on").implied(true).doc("on")])
                    .implied(Value::Map(
                        [(
                            "a".to_string(),
                            Value::object::<[(&str, Value); 0], &str>([]),
                        )]
                        .into(),
                    ))
                    .doc("items"),
            )
            .group(
                "inner",
                Block::new("inner").attr(Attribute::string("mode").implied("fast").doc("mode")),
            )
    }

    #[test]
    fn implied_values_keep_a_spelled_out_default() {
        let b = implied_schema();
        let config = Value::object([("inner", Value::object([("mode", Value::Null)]))]);
        let spelled = Value::object([
            ("size", Value::int(100)),
            (
                "items",
                Value::Map([("a".to_string(), Value::object([("on", Value::Bool(true))]))].into()),
            ),
            ("inner", Value::object([("mode", Value::string("fast"))])),
        ]);
        let mut planned = spelled.clone();
        b.settle_implied(&config, &spelled, &mut planned);
        assert_eq!(planned, spelled, "a spelled-out default plans no change");

        // Another value than the default goes back to null (the default).
        let other = Value::object([
            ("size", Value::int(50)),
            (
                "items",
                Value::Map([("b".to_string(), Value::object([("on", Value::Bool(true))]))].into()),
            ),
            ("inner", Value::object([("mode", Value::string("slow"))])),
        ]);
        let mut planned = other.clone();
        b.settle_implied(&config, &other, &mut planned);
        assert!(planned.get("size").is_null() && planned.get("items").is_null());
        assert!(planned.get("inner").get("mode").is_null());

        // An import spells the defaults out; the result plans no change.
        let mut imported = Value::object([("inner", Value::object([("mode", Value::Null)]))]);
        b.spell_out_implied(&mut imported);
        assert_eq!(imported.get("size"), &Value::int(100));
        assert_eq!(imported.get("inner").get("mode"), &Value::string("fast"));
        let mut planned = imported.clone();
        b.settle_implied(
            &Value::object([("inner", Value::Null)]),
            &imported,
            &mut planned,
        );
        assert_eq!(planned, imported);

        // Inside a configured map element, per attribute.
        let config = Value::object([(
            "items",
            Value::Map([("a".to_string(), Value::object([("on", Value::Null)]))].into()),
        )]);
        let mut planned = spelled.clone();
        b.settle_implied(&config, &spelled, &mut planned);
        assert_eq!(planned.get("items"), spelled.get("items"));
        assert!(b.lint("").is_empty(), "{:?}", b.lint(""));
    }

    #[test]
    fn declared_checks_run_where_the_values_are() {
        let short = |s: &str| {
            if s.len() <= 3 {
                Ok(())
            } else {
                Err(format!("{s:?} is long"))
            }
        };
        let b = Block::new("root")
            .attr(
                Attribute::string("name")
                    .optional()
                    .check_str(short)
                    .doc("n"),
            )
            .attr(
                Attribute::string_list("ids")
                    .optional()
                    .check_str(short)
                    .doc("i"),
            )
            .attr(
                Attribute::number("size")
                    .optional()
                    .check_int(|n| {
                        if n > 0 {
                            Ok(())
                        } else {
                            Err("not positive".into())
                        }
                    })
                    .doc("s"),
            )
            .attr(
                Attribute::map_nested(
                    "items",
                    vec![Attribute::string("mode")
                        .optional()
                        .check_str(short)
                        .doc("m")],
                )
                .optional()
                .doc("items"),
            )
            .group(
                "inner",
                Block::new("inner").attr(
                    Attribute::string_map("tags")
                        .optional()
                        .check_entries(|k, _| {
                            if k.is_empty() {
                                Err("empty key".into())
                            } else {
                                Ok(())
                            }
                        })
                        .doc("t"),
                ),
            );
        let config = Value::object([
            ("name", Value::string("long name")),
            (
                "ids",
                Value::List(vec![
                    Value::string("ok"),
                    Value::Unknown,
                    Value::string("toolong"),
                ]),
            ),
            ("size", Value::int(0)),
            (
                "items",
                Value::Map(
                    [(
                        "a".to_string(),
                        Value::object([("mode", Value::string("fast!"))]),
                    )]
                    .into(),
                ),
            ),
            (
                "inner",
                Value::object([(
                    "tags",
                    Value::Map([(String::new(), Value::string("x"))].into()),
                )]),
            ),
        ]);
        let mut d = Diagnostics::default();
        b.run_checks(&config, &AttrPath::root(), &mut d);
        let paths: Vec<String> =
            d.0.iter()
                .map(|d| d.path.clone().unwrap_or_default().to_string())
                .collect();
        assert_eq!(paths.len(), 5, "{paths:?}");
        assert!(
            paths.contains(&AttrPath::attr("ids").then_index(2).to_string()),
            "{paths:?}"
        );
        assert!(
            paths.contains(
                &AttrPath::attr("items")
                    .then_key("a")
                    .then_attr("mode")
                    .to_string()
            ),
            "{paths:?}"
        );
        assert!(
            paths.contains(
                &AttrPath::attr("inner")
                    .then_attr("tags")
                    .then_key("")
                    .to_string()
            ),
            "{paths:?}"
        );
        // Unknown and null values pass.
        let mut d = Diagnostics::default();
        b.run_checks(
            &Value::object([("name", Value::Unknown), ("size", Value::Null)]),
            &AttrPath::root(),
            &mut d,
        );
        assert!(d.0.is_empty());
    }

    #[test]
    fn lint_catches_what_the_core_rejects() {
        let b = Block::new("root")
            .attr(Attribute::string("Bad").required().doc("x"))
            .attr(Attribute::string("none").doc("x"))
            .attr(Attribute::string("both").required().optional().doc("x"))
            .attr(Attribute::string("nodoc").optional());
        let problems = b.lint("");
        assert_eq!(problems.len(), 4, "{problems:?}");
    }
}
