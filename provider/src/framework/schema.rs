//! Schemas: what the core shows users and validates configuration against, plus
//! the plan behaviour of each attribute (defaults, replacement, state reuse).

use super::types::Type;
use super::value::Value;

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
    /// A map of objects whose attributes are declared like a block's (a nested
    /// attribute, `node_groups = { system = { ... } }`): unlike a labelled block,
    /// a module can pass a whole map to it, whether its keys are known or not.
    pub nested: Option<Vec<Attribute>>,
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
            nested: None,
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
    pub fn doc(mut self, d: &str) -> Self {
        self.description = d.to_string();
        self
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
