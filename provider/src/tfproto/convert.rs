//! Conversions between protocol messages and framework types.

use crate::framework::codec::{self, Attrs};
use crate::framework::diag::{AttrPath, Diagnostic, Diagnostics, Severity, Step};
use crate::framework::function::{Function, FunctionError, Param};
use crate::framework::schema::{Attribute, Block, Nesting, Schema};
use crate::framework::{Type, Value};

use super::pb;

// ------------------------------------------------------------------ values

/// Decodes a DynamicValue (msgpack preferred, JSON as fallback; absent = null).
pub fn decode(dv: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let res = if !dv.msgpack.is_empty() {
        codec::from_msgpack(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        codec::from_json(&dv.json, ty, Attrs::Strict)
    } else {
        Ok(Value::Null)
    };
    res.map_err(|e| {
        let mut d = Diagnostics::default();
        d.error("Malformed value from the core", e.to_string());
        d
    })
}

/// Encodes a value as a msgpack DynamicValue.
pub fn encode(v: &Value, ty: &Type) -> Result<pb::DynamicValue, Diagnostics> {
    codec::to_msgpack(v, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            let mut d = Diagnostics::default();
            d.error(
                "Provider produced a value that does not fit its schema",
                format!("{e}. This is a bug in the provider; please report it."),
            );
            d
        })
}

// ------------------------------------------------------------- diagnostics

pub fn path(p: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attr(a) => Selector::AttributeName(a.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub fn diagnostics(d: Diagnostics) -> Vec<pb::Diagnostic> {
    d.0.into_iter().map(diagnostic).collect()
}

fn diagnostic(d: Diagnostic) -> pb::Diagnostic {
    use pb::diagnostic::Severity as S;
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => S::Error,
            Severity::Warning => S::Warning,
        } as i32,
        summary: d.summary,
        detail: d.detail,
        attribute: d.path.as_ref().map(path),
    }
}

// ------------------------------------------------------------------ schemas

fn type_bytes(t: &Type) -> Vec<u8> {
    t.to_json().to_string().into_bytes()
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    let nested_type = a.nested.as_ref().map(|attrs| pb::schema::Object {
        attributes: attrs.iter().map(attribute).collect(),
        nesting: pb::schema::object::NestingMode::Map as i32,
    });
    pb::schema::Attribute {
        name: a.name.clone(),
        // A nested attribute's type is given by its nested_type alone.
        r#type: if nested_type.is_some() {
            Vec::new()
        } else {
            type_bytes(&a.ty)
        },
        nested_type,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecated,
        write_only: a.write_only,
        deprecation_message: String::new(),
    }
}

fn block(b: &Block) -> pb::schema::Block {
    use pb::schema::nested_block::NestingMode as M;
    pb::schema::Block {
        version: 0,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b
            .blocks
            .iter()
            .map(|nb| pb::schema::NestedBlock {
                type_name: nb.type_name.clone(),
                block: Some(block(&nb.block)),
                nesting: match nb.nesting {
                    Nesting::Single => M::Single,
                    Nesting::Group => M::Group,
                    Nesting::List => M::List,
                    Nesting::Set => M::Set,
                    Nesting::Map => M::Map,
                } as i32,
                min_items: nb.min_items,
                max_items: nb.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecated,
        deprecation_message: String::new(),
    }
}

pub fn schema(s: &Schema) -> pb::Schema {
    let mut b = block(&s.block);
    b.version = s.version;
    pb::Schema {
        version: s.version,
        block: Some(b),
    }
}

fn param(p: &Param) -> pb::function::Parameter {
    pb::function::Parameter {
        name: p.name.clone(),
        r#type: type_bytes(&p.ty),
        allow_null_value: p.allow_null,
        allow_unknown_values: false,
        description: p.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
    }
}

pub fn function(f: &dyn Function) -> pb::Function {
    let sig = f.signature();
    pb::Function {
        parameters: sig.params.iter().map(param).collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return {
            r#type: type_bytes(&sig.returns),
        }),
        summary: sig.summary,
        description: sig.description,
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

pub fn function_error(e: FunctionError) -> pb::FunctionError {
    pb::FunctionError {
        text: e.text,
        function_argument: e.argument.map(|i| i as i64),
    }
}
