//! Type-directed msgpack and JSON codecs for [`Value`].
//!
//! The wire shapes follow the protocol's object wire format: objects are
//! msgpack maps holding every attribute of the type (null when absent), lists,
//! sets and tuples are arrays, unknown values are msgpack extension values
//! (any extension code is read as unknown; unknowns are written as code 0),
//! and `dynamic` values are written as a two-element array of the type's JSON
//! and the value.
//!
//! Decoding is bounded: values nest at most [`MAX_NESTING`] levels, numbers are
//! never NaN (infinities travel in msgpack only, as Terraform's own codec writes
//! them), and an error names the attribute path where the input went wrong. The
//! fuzzing properties these guarantees are checked with live in
//! `benches/codec_fuzz/cases.rs` (short budget in the tests below, long budget in
//! `make fuzz`).

use std::collections::BTreeMap;

use rmp::decode::{RmpRead, ValueReadError};

use super::diag::{AttrPath, Step};
use super::types::Type;
use super::value::{Number, Value};

/// How deep values may nest (collections inside collections), decoded or encoded.
///
/// Far beyond any schema, and low enough that the type JSON of a `dynamic` value
/// (two JSON levels per level of the value, plus the wrapper) stays within
/// serde_json's limit of 128 levels: whatever decodes also encodes again, and the
/// encoding decodes.
pub const MAX_NESTING: usize = 60;

/// The msgpack reader's own bound, before the type gives the items a meaning: a
/// `dynamic` value's `[type, value]` arrays add a level each.
const MAX_RAW_DEPTH: usize = 2 * MAX_NESTING + 8;

/// A value did not match its type, or the bytes were not valid msgpack / JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError(pub String);

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodecError {}

fn err<T>(msg: impl Into<String>) -> Result<T, CodecError> {
    Err(CodecError(msg.into()))
}

/// An error inside a value, with the steps from where it happened up to the root
/// (innermost first, as they are collected while the recursion unwinds).
struct Fault {
    msg: String,
    steps: Vec<Step>,
}

impl Fault {
    fn new(msg: impl Into<String>) -> Self {
        Fault {
            msg: msg.into(),
            steps: Vec::new(),
        }
    }

    /// The same fault, seen from one level up.
    fn under(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }
}

impl From<CodecError> for Fault {
    fn from(e: CodecError) -> Self {
        Fault::new(e.0)
    }
}

impl From<Fault> for CodecError {
    fn from(f: Fault) -> Self {
        if f.steps.is_empty() {
            return CodecError(f.msg);
        }
        let path = AttrPath(f.steps.into_iter().rev().collect());
        CodecError(format!("{path}: {}", f.msg))
    }
}

fn fault<T>(msg: impl Into<String>) -> Result<T, Fault> {
    Err(Fault::new(msg))
}

fn index(i: usize) -> Step {
    Step::Index(i64::try_from(i).unwrap_or(i64::MAX))
}

/// The depth of a collection's items, or an error when the collection is already at
/// [`MAX_NESTING`].
fn deeper(depth: usize) -> Result<usize, Fault> {
    if depth >= MAX_NESTING {
        return fault(format!("values nest deeper than {MAX_NESTING} levels"));
    }
    Ok(depth + 1)
}

/// `s`, cut to a length fit for an error message.
fn clip(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_string(),
    }
}

/// A type for an error message (a schema's whole object type can be long).
fn type_text(ty: &Type) -> String {
    clip(&ty.to_json().to_string())
}

// ---------------------------------------------------------------- msgpack out

/// Encodes `v` as msgpack according to `ty`.
pub fn to_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, v, ty, 0)?;
    Ok(out)
}

fn io<T>(r: Result<T, impl std::fmt::Debug>) -> Result<T, Fault> {
    r.map_err(|e| Fault::new(format!("msgpack write: {e:?}")))
}

fn write_value(out: &mut Vec<u8>, v: &Value, ty: &Type, depth: usize) -> Result<(), Fault> {
    use rmp::encode as w;
    match v {
        Value::Null => return io(w::write_nil(out)),
        Value::Unknown => {
            io(w::write_ext_meta(out, 1, 0))?;
            out.push(0);
            return Ok(());
        }
        _ => {}
    }
    match (ty, v) {
        (Type::Dynamic, v) => {
            let actual = infer_type(v, depth)?;
            io(w::write_array_len(out, 2))?;
            let tj = actual.to_json().to_string();
            io(w::write_bin(out, tj.as_bytes()))?;
            write_value(out, v, &actual, depth)
        }
        (Type::Bool, Value::Bool(b)) => io(w::write_bool(out, *b)),
        (Type::Number, Value::Number(n)) => match n.as_i64() {
            Some(i) => io(w::write_sint(out, i)).map(|_| ()),
            None if n.as_f64().is_nan() => fault("NaN is not a number Terraform can hold"),
            None => io(w::write_f64(out, n.as_f64())),
        },
        (Type::String, Value::String(s)) => io(w::write_str(out, s)),
        (Type::List(e) | Type::Set(e), Value::List(items)) => {
            let inner = deeper(depth)?;
            io(w::write_array_len(out, len32(items.len())?))?;
            for (i, item) in items.iter().enumerate() {
                write_value(out, item, e, inner).map_err(|f| f.under(index(i)))?;
            }
            Ok(())
        }
        (Type::Tuple(elems), Value::List(items)) => {
            if elems.len() != items.len() {
                return fault(format!(
                    "tuple needs {} elements, got {}",
                    elems.len(),
                    items.len()
                ));
            }
            let inner = deeper(depth)?;
            io(w::write_array_len(out, len32(items.len())?))?;
            for (i, (item, t)) in items.iter().zip(elems).enumerate() {
                write_value(out, item, t, inner).map_err(|f| f.under(index(i)))?;
            }
            Ok(())
        }
        (Type::Map(e), Value::Map(m)) => {
            let inner = deeper(depth)?;
            io(w::write_map_len(out, len32(m.len())?))?;
            for (k, item) in m {
                io(w::write_str(out, k))?;
                write_value(out, item, e, inner).map_err(|f| f.under(Step::Key(k.clone())))?;
            }
            Ok(())
        }
        (Type::Object(attrs), Value::Map(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return fault(format!("unsupported attribute {extra:?}"));
            }
            let inner = deeper(depth)?;
            io(w::write_map_len(out, len32(attrs.len())?))?;
            for (k, t) in attrs {
                io(w::write_str(out, k))?;
                write_value(out, m.get(k).unwrap_or(&Value::Null), t, inner)
                    .map_err(|f| f.under(Step::Attr(k.clone())))?;
            }
            Ok(())
        }
        (ty, v) => fault(format!(
            "value {} does not fit type {}",
            kind(v),
            type_text(ty)
        )),
    }
}

/// A collection's length as msgpack writes it.
fn len32(n: usize) -> Result<u32, Fault> {
    u32::try_from(n).or_else(|_| fault(format!("{n} items are more than msgpack can hold")))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Unknown => "unknown",
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "sequence",
        Value::Map(_) => "mapping",
    }
}

/// The narrowest type describing a value held by a `dynamic` attribute (at
/// `depth`, so that a value too deep is refused before its type is built).
fn infer_type(v: &Value, depth: usize) -> Result<Type, Fault> {
    Ok(match v {
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => {
            let inner = deeper(depth)?;
            Type::Tuple(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| infer_type(v, inner).map_err(|f| f.under(index(i))))
                    .collect::<Result<_, _>>()?,
            )
        }
        Value::Map(m) => {
            let inner = deeper(depth)?;
            Type::Object(
                m.iter()
                    .map(|(k, v)| {
                        let t = infer_type(v, inner).map_err(|f| f.under(Step::Attr(k.clone())))?;
                        Ok((k.clone(), t))
                    })
                    .collect::<Result<_, Fault>>()?,
            )
        }
        Value::Null | Value::Unknown => Type::Dynamic,
    })
}

// ---------------------------------------------------------------- msgpack in

/// An untyped msgpack item, before the schema type gives it meaning.
#[derive(Debug)]
enum Raw {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bin(Vec<u8>),
    Array(Vec<Raw>),
    Map(Vec<(Raw, Raw)>),
    Ext,
}

impl Raw {
    /// What the item is, for an error message (never the whole item).
    fn describe(&self) -> String {
        match self {
            Raw::Nil => "null".into(),
            Raw::Bool(b) => format!("bool {b}"),
            Raw::Int(i) => format!("number {i}"),
            Raw::Float(f) => format!("number {f}"),
            Raw::Str(s) => format!("string {:?}", clip(s)),
            Raw::Bin(b) => format!("{} bytes of binary", b.len()),
            Raw::Array(items) => format!("array of {} items", items.len()),
            Raw::Map(items) => format!("map of {} entries", items.len()),
            Raw::Ext => "unknown".into(),
        }
    }
}

/// Reads msgpack items with `rmp`'s markers and number decoding.
struct Reader<'a> {
    buf: &'a [u8],
}

fn truncated<E>(_: E) -> CodecError {
    CodecError("msgpack: unexpected end of input".into())
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if self.buf.len() < n {
            return err("msgpack: unexpected end of input");
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    /// A length or a number that follows a marker (big-endian, as msgpack writes it).
    fn num<T>(
        &mut self,
        read: impl FnOnce(&mut &'a [u8]) -> Result<T, ValueReadError<std::io::Error>>,
    ) -> Result<T, CodecError> {
        read(&mut self.buf).map_err(truncated)
    }
    fn len(&mut self, width: u8) -> Result<usize, CodecError> {
        Ok(match width {
            1 => usize::from(self.num(|b| b.read_data_u8())?),
            2 => usize::from(self.num(|b| b.read_data_u16())?),
            _ => self.num(|b| b.read_data_u32())? as usize,
        })
    }
    fn text(&mut self, n: usize) -> Result<Raw, CodecError> {
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec())
            .map(Raw::Str)
            .map_err(|_| CodecError("msgpack: string is not UTF-8".into()))
    }
    /// A float, which Terraform's numbers can hold unless it is NaN.
    fn float(f: f64) -> Result<Raw, CodecError> {
        if f.is_nan() {
            return err("msgpack: NaN is not a number");
        }
        Ok(Raw::Float(f))
    }
    // Every item takes at least one byte, so a count larger than what is left fails
    // at the end of the input; capacity is reserved for at most 1024 items up front.
    fn array(&mut self, n: usize, depth: usize) -> Result<Raw, CodecError> {
        let mut items = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            items.push(self.item(depth + 1)?);
        }
        Ok(Raw::Array(items))
    }
    fn map(&mut self, n: usize, depth: usize) -> Result<Raw, CodecError> {
        let mut items = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let k = self.item(depth + 1)?;
            let v = self.item(depth + 1)?;
            items.push((k, v));
        }
        Ok(Raw::Map(items))
    }
    fn ext(&mut self, n: usize) -> Result<Raw, CodecError> {
        self.take(1 + n)?; // type code + payload (refinements are dropped)
        Ok(Raw::Ext)
    }

    /// The next item. Only arrays and maps recurse; everything else is read by
    /// [`Reader::scalar`], so that the frames of deep nesting stay small.
    fn item(&mut self, depth: usize) -> Result<Raw, CodecError> {
        use rmp::Marker as M;
        if depth > MAX_RAW_DEPTH {
            return err(format!(
                "msgpack: items nest deeper than {MAX_RAW_DEPTH} levels"
            ));
        }
        let marker = rmp::decode::read_marker(&mut self.buf).map_err(truncated)?;
        match marker {
            M::FixArray(n) => self.array(usize::from(n), depth),
            M::Array16 | M::Array32 => {
                let n = self.len(width(marker, M::Array16) * 2)?;
                self.array(n, depth)
            }
            M::FixMap(n) => self.map(usize::from(n), depth),
            M::Map16 | M::Map32 => {
                let n = self.len(width(marker, M::Map16) * 2)?;
                self.map(n, depth)
            }
            _ => self.scalar(marker),
        }
    }

    fn scalar(&mut self, marker: rmp::Marker) -> Result<Raw, CodecError> {
        use rmp::Marker as M;
        Ok(match marker {
            M::FixPos(n) => Raw::Int(i64::from(n)),
            M::FixNeg(n) => Raw::Int(i64::from(n)),
            M::Null => Raw::Nil,
            M::False => Raw::Bool(false),
            M::True => Raw::Bool(true),
            M::U8 => Raw::Int(i64::from(self.num(|b| b.read_data_u8())?)),
            M::U16 => Raw::Int(i64::from(self.num(|b| b.read_data_u16())?)),
            M::U32 => Raw::Int(i64::from(self.num(|b| b.read_data_u32())?)),
            M::U64 => {
                let u = self.num(|b| b.read_data_u64())?;
                i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int)
            }
            M::I8 => Raw::Int(i64::from(self.num(|b| b.read_data_i8())?)),
            M::I16 => Raw::Int(i64::from(self.num(|b| b.read_data_i16())?)),
            M::I32 => Raw::Int(i64::from(self.num(|b| b.read_data_i32())?)),
            M::I64 => Raw::Int(self.num(|b| b.read_data_i64())?),
            M::F32 => Self::float(f64::from(self.num(|b| b.read_data_f32())?))?,
            M::F64 => Self::float(self.num(|b| b.read_data_f64())?)?,
            M::FixStr(n) => self.text(usize::from(n))?,
            M::Str8 | M::Str16 | M::Str32 => {
                let n = self.len(width(marker, M::Str8))?;
                self.text(n)?
            }
            M::Bin8 | M::Bin16 | M::Bin32 => {
                let n = self.len(width(marker, M::Bin8))?;
                Raw::Bin(self.take(n)?.to_vec())
            }
            M::FixArray(_) | M::Array16 | M::Array32 | M::FixMap(_) | M::Map16 | M::Map32 => {
                return err("msgpack: a collection read as a scalar");
            }
            M::FixExt1 | M::FixExt2 | M::FixExt4 | M::FixExt8 | M::FixExt16 => {
                self.ext(1 << (marker.to_u8() - M::FixExt1.to_u8()))?
            }
            M::Ext8 | M::Ext16 | M::Ext32 => {
                let n = self.len(width(marker, M::Ext8))?;
                self.ext(n)?
            }
            M::Reserved => return err("msgpack: reserved marker 0xc1"),
        })
    }
}

/// The byte width of the length after `marker`, the first of a family of
/// consecutive markers with 1-, 2- and 4-byte lengths (or 1 and 2 for the
/// 16/32 families, doubled by the caller).
fn width(marker: rmp::Marker, first: rmp::Marker) -> u8 {
    1 << (marker.to_u8() - first.to_u8())
}

/// Decodes msgpack bytes into a value of type `ty`.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut rd = Reader { buf: bytes };
    let raw = rd.item(0)?;
    if !rd.buf.is_empty() {
        return err("msgpack: trailing bytes after value");
    }
    Ok(typed(raw, ty, 0)?)
}

/// A number written as text, which is how Terraform sends numbers that do not fit
/// 64 bits: decimal notation only (not `inf` or `NaN`), within f64's range.
fn parse_number(s: &str) -> Result<Number, CodecError> {
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Number::Int(i));
    }
    let decimal = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    match s.parse::<f64>() {
        Ok(f) if decimal && f.is_finite() => Ok(Number::Float(f)),
        Ok(_) if decimal => err(format!(
            "{:?} is beyond the range of a 64-bit float",
            clip(s)
        )),
        _ => err(format!("{:?} is not a number", clip(s))),
    }
}

/// `raw` as a value of type `ty`, `depth` collections down from the root.
///
/// Each kind of collection has a function of its own, and scalars another, so that
/// the frames of deep nesting stay small.
fn typed(raw: Raw, ty: &Type, depth: usize) -> Result<Value, Fault> {
    match (ty, raw) {
        (_, Raw::Nil) => Ok(Value::Null),
        (_, Raw::Ext) => Ok(Value::Unknown),
        (Type::Dynamic, Raw::Array(parts)) if parts.len() == 2 => typed_dynamic(parts, depth),
        (Type::List(e) | Type::Set(e), Raw::Array(items)) => typed_list(items, e, depth),
        (Type::Tuple(elems), Raw::Array(items)) => typed_tuple(items, elems, depth),
        (Type::Map(e), Raw::Map(items)) => typed_map(items, e, depth),
        (Type::Object(attrs), Raw::Map(items)) => typed_object(items, attrs, depth),
        (ty, raw) => typed_scalar(raw, ty),
    }
}

fn typed_dynamic(parts: Vec<Raw>, depth: usize) -> Result<Value, Fault> {
    let mut parts = parts.into_iter();
    let (Some(type_part), Some(v)) = (parts.next(), parts.next()) else {
        return fault("dynamic value: expected [type, value]");
    };
    let tj = match type_part {
        Raw::Bin(b) => b,
        Raw::Str(s) => s.into_bytes(),
        _ => return fault("dynamic value: type must be JSON bytes"),
    };
    let j: serde_json::Value =
        serde_json::from_slice(&tj).map_err(|e| Fault::new(format!("dynamic value type: {e}")))?;
    let actual = Type::from_json(&j).map_err(Fault::new)?;
    typed(v, &actual, depth)
}

fn typed_list(items: Vec<Raw>, e: &Type, depth: usize) -> Result<Value, Fault> {
    let inner = deeper(depth)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, r) in items.into_iter().enumerate() {
        out.push(typed(r, e, inner).map_err(|f| f.under(index(i)))?);
    }
    Ok(Value::List(out))
}

fn typed_tuple(items: Vec<Raw>, elems: &[Type], depth: usize) -> Result<Value, Fault> {
    if elems.len() != items.len() {
        return fault(format!(
            "tuple needs {} elements, got {}",
            elems.len(),
            items.len()
        ));
    }
    let inner = deeper(depth)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, (r, t)) in items.into_iter().zip(elems).enumerate() {
        out.push(typed(r, t, inner).map_err(|f| f.under(index(i)))?);
    }
    Ok(Value::List(out))
}

fn typed_map(items: Vec<(Raw, Raw)>, e: &Type, depth: usize) -> Result<Value, Fault> {
    let inner = deeper(depth)?;
    let mut m = BTreeMap::new();
    for (k, v) in items {
        let Raw::Str(k) = k else {
            return fault(format!("map key must be a string, not {}", k.describe()));
        };
        let v = typed(v, e, inner).map_err(|f| f.under(Step::Key(k.clone())))?;
        m.insert(k, v);
    }
    Ok(Value::Map(m))
}

fn typed_object(
    items: Vec<(Raw, Raw)>,
    attrs: &BTreeMap<String, Type>,
    depth: usize,
) -> Result<Value, Fault> {
    let inner = deeper(depth)?;
    let mut m = BTreeMap::new();
    for (k, v) in items {
        let Raw::Str(k) = k else {
            return fault(format!("object key must be a string, not {}", k.describe()));
        };
        let Some(t) = attrs.get(&k) else {
            return fault(format!("unsupported attribute {:?}", clip(&k)));
        };
        let v = typed(v, t, inner).map_err(|f| f.under(Step::Attr(k.clone())))?;
        m.insert(k, v);
    }
    for k in attrs.keys() {
        m.entry(k.clone()).or_insert(Value::Null);
    }
    Ok(Value::Map(m))
}

fn typed_scalar(raw: Raw, ty: &Type) -> Result<Value, Fault> {
    match (ty, raw) {
        (Type::Bool, Raw::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Number, Raw::Int(i)) => Ok(Value::Number(Number::Int(i))),
        (Type::Number, Raw::Float(f)) => Ok(Value::Number(Number::Float(f))),
        (Type::Number, Raw::Str(s)) => Ok(Value::Number(parse_number(&s)?)),
        (Type::String, Raw::Str(s)) => Ok(Value::String(s)),
        (ty, raw) => fault(format!(
            "msgpack {} does not fit type {}",
            raw.describe(),
            type_text(ty)
        )),
    }
}

// ---------------------------------------------------------------- JSON

/// How strictly JSON objects are matched against their type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Attrs {
    /// Reject attributes the type does not have.
    Strict,
    /// Drop them (for upgrading state written by an older schema).
    DropUnknown,
}

/// Decodes JSON (as the core sends it, or as stored in state) into a value of type `ty`.
pub fn from_json(bytes: &[u8], ty: &Type, attrs: Attrs) -> Result<Value, CodecError> {
    let j: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| CodecError(format!("JSON: {e}")))?;
    Ok(json_typed(&j, ty, attrs, 0)?)
}

/// JSON text for an error message, cut short.
fn json_text(j: &serde_json::Value) -> String {
    clip(&j.to_string())
}

/// `j` as a value of type `ty`, `depth` collections down from the root (split
/// like [`typed`], for small frames).
fn json_typed(j: &serde_json::Value, ty: &Type, mode: Attrs, depth: usize) -> Result<Value, Fault> {
    use serde_json::Value as J;
    match (ty, j) {
        (_, J::Null) => Ok(Value::Null),
        (Type::Dynamic, J::Object(o)) if o.contains_key("type") && o.contains_key("value") => {
            let actual = Type::from_json(&o["type"]).map_err(Fault::new)?;
            json_typed(&o["value"], &actual, mode, depth)
        }
        (Type::List(e) | Type::Set(e), J::Array(items)) => json_list(items, |_| e, mode, depth),
        (Type::Tuple(elems), J::Array(items)) => {
            if elems.len() != items.len() {
                return fault(format!(
                    "tuple needs {} elements, got {}",
                    elems.len(),
                    items.len()
                ));
            }
            json_list(items, |i| &elems[i], mode, depth)
        }
        (Type::Map(_) | Type::Object(_), J::Object(o)) => json_object(o, ty, mode, depth),
        (ty, j) => json_scalar(j, ty),
    }
}

fn json_list<'t>(
    items: &[serde_json::Value],
    elem: impl Fn(usize) -> &'t Type,
    mode: Attrs,
    depth: usize,
) -> Result<Value, Fault> {
    let inner = deeper(depth)?;
    let mut out = Vec::with_capacity(items.len());
    for (n, i) in items.iter().enumerate() {
        out.push(json_typed(i, elem(n), mode, inner).map_err(|f| f.under(index(n)))?);
    }
    Ok(Value::List(out))
}

/// A JSON object as a map (`ty` is `Map`) or an object (`ty` is `Object`).
fn json_object(
    o: &serde_json::Map<String, serde_json::Value>,
    ty: &Type,
    mode: Attrs,
    depth: usize,
) -> Result<Value, Fault> {
    let inner = deeper(depth)?;
    let mut m = BTreeMap::new();
    for (k, v) in o {
        let (t, step) = match ty {
            Type::Map(e) => (&**e, Step::Key(k.clone())),
            Type::Object(attrs) => match attrs.get(k) {
                Some(t) => (t, Step::Attr(k.clone())),
                None if mode == Attrs::DropUnknown => continue,
                None => return fault(format!("unsupported attribute {:?}", clip(k))),
            },
            _ => return fault(format!("JSON object does not fit type {}", type_text(ty))),
        };
        m.insert(
            k.clone(),
            json_typed(v, t, mode, inner).map_err(|f| f.under(step))?,
        );
    }
    if let Type::Object(attrs) = ty {
        for k in attrs.keys() {
            m.entry(k.clone()).or_insert(Value::Null);
        }
    }
    Ok(Value::Map(m))
}

fn json_scalar(j: &serde_json::Value, ty: &Type) -> Result<Value, Fault> {
    use serde_json::Value as J;
    match (ty, j) {
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Number, J::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Value::Number(Number::Int(i))),
            (None, Some(f)) if f.is_finite() => Ok(Value::Number(Number::Float(f))),
            _ => fault(format!("{n} is not a number a 64-bit float holds")),
        },
        (Type::Number, J::String(s)) => Ok(Value::Number(parse_number(s)?)),
        (Type::String, J::String(s)) => Ok(Value::String(s.clone())),
        (ty, j) => fault(format!(
            "JSON {} does not fit type {}",
            json_text(j),
            type_text(ty)
        )),
    }
}

/// Encodes a wholly known value as JSON (as state files hold it).
pub fn to_json(v: &Value, ty: &Type) -> Result<serde_json::Value, CodecError> {
    Ok(json_value(v, ty, 0)?)
}

fn json_value(v: &Value, ty: &Type, depth: usize) -> Result<serde_json::Value, Fault> {
    use serde_json::{json, Value as J};
    Ok(match (ty, v) {
        (_, Value::Null) => J::Null,
        (_, Value::Unknown) => return fault("unknown values have no JSON form"),
        (Type::Dynamic, v) => {
            let actual = infer_type(v, depth)?;
            json!({"value": json_value(v, &actual, depth)?, "type": actual.to_json()})
        }
        (Type::Bool, Value::Bool(b)) => J::Bool(*b),
        (Type::Number, Value::Number(Number::Int(i))) => json!(i),
        (Type::Number, Value::Number(Number::Float(f))) => match serde_json::Number::from_f64(*f) {
            Some(n) => J::Number(n),
            None => return fault(format!("{f} has no JSON form")),
        },
        (Type::String, Value::String(s)) => J::String(s.clone()),
        (Type::List(e) | Type::Set(e), Value::List(items)) => {
            let inner = deeper(depth)?;
            J::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(n, i)| json_value(i, e, inner).map_err(|f| f.under(index(n))))
                    .collect::<Result<_, _>>()?,
            )
        }
        (Type::Tuple(elems), Value::List(items)) if elems.len() == items.len() => {
            let inner = deeper(depth)?;
            J::Array(
                items
                    .iter()
                    .zip(elems)
                    .enumerate()
                    .map(|(n, (i, t))| json_value(i, t, inner).map_err(|f| f.under(index(n))))
                    .collect::<Result<_, _>>()?,
            )
        }
        (Type::Map(e), Value::Map(m)) => {
            let inner = deeper(depth)?;
            J::Object(
                m.iter()
                    .map(|(k, v)| {
                        let j =
                            json_value(v, e, inner).map_err(|f| f.under(Step::Key(k.clone())))?;
                        Ok((k.clone(), j))
                    })
                    .collect::<Result<_, Fault>>()?,
            )
        }
        // Attributes the type does not have are left out (a state upgrade may leave
        // one behind).
        (Type::Object(attrs), Value::Map(m)) => {
            let inner = deeper(depth)?;
            J::Object(
                attrs
                    .iter()
                    .map(|(k, t)| {
                        let j = json_value(m.get(k).unwrap_or(&Value::Null), t, inner)
                            .map_err(|f| f.under(Step::Attr(k.clone())))?;
                        Ok((k.clone(), j))
                    })
                    .collect::<Result<_, Fault>>()?,
            )
        }
        (ty, v) => {
            return fault(format!(
                "value {} does not fit type {}",
                kind(v),
                type_text(ty)
            ))
        }
    })
}

/// The fuzzing strategies and properties, shared with `benches/codec_fuzz.rs`.
#[cfg(test)]
#[path = "../../benches/codec_fuzz/cases.rs"]
mod fuzz;

#[cfg(test)]
pub(crate) mod tests {
    use super::fuzz::{self, Shape, Wire};
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    fn sample_type() -> Type {
        Type::object([
            ("s", Type::String),
            ("n", Type::Number),
            ("b", Type::Bool),
            ("l", Type::list(Type::String)),
            ("set", Type::set(Type::Number)),
            ("m", Type::map(Type::String)),
            (
                "o",
                Type::object([("x", Type::list(Type::object([("y", Type::String)])))]),
            ),
            ("t", Type::Tuple(vec![Type::String, Type::Bool])),
            ("d", Type::Dynamic),
        ])
    }

    /// Values that fit `ty`, including nulls and unknowns at any depth.
    pub(crate) fn arb_value(ty: Type, allow_unknown: bool) -> BoxedStrategy<Value> {
        let leaf = match &ty {
            Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Type::Number => prop_oneof![
                any::<i64>().prop_map(|i| Value::Number(Number::Int(i))),
                (-1e12f64..1e12).prop_map(|f| Value::Number(Number::Float(f))),
            ]
            .boxed(),
            Type::String | Type::Dynamic => ".{0,12}".prop_map(Value::String).boxed(),
            Type::List(e) | Type::Set(e) => {
                prop::collection::vec(arb_value((**e).clone(), allow_unknown), 0..4)
                    .prop_map(Value::List)
                    .boxed()
            }
            Type::Map(e) => prop::collection::btree_map(
                "[a-z]{1,5}",
                arb_value((**e).clone(), allow_unknown),
                0..4,
            )
            .prop_map(Value::Map)
            .boxed(),
            Type::Tuple(elems) => elems
                .iter()
                .map(|t| arb_value(t.clone(), allow_unknown))
                .collect::<Vec<_>>()
                .prop_map(Value::List)
                .boxed(),
            Type::Object(attrs) => attrs
                .iter()
                .map(|(k, t)| {
                    let k = k.clone();
                    arb_value(t.clone(), allow_unknown).prop_map(move |v| (k.clone(), v))
                })
                .collect::<Vec<_>>()
                .prop_map(|kv| Value::Map(kv.into_iter().collect()))
                .boxed(),
        };
        if allow_unknown {
            prop_oneof![8 => leaf, 1 => Just(Value::Null), 1 => Just(Value::Unknown)].boxed()
        } else {
            prop_oneof![9 => leaf, 1 => Just(Value::Null)].boxed()
        }
    }

    proptest! {
        #[test]
        fn msgpack_round_trips_every_shape(v in arb_value(sample_type(), true)) {
            let ty = sample_type();
            let bytes = to_msgpack(&v, &ty).unwrap();
            prop_assert_eq!(from_msgpack(&bytes, &ty).unwrap(), v);
        }

        #[test]
        fn json_round_trips_known_values(v in arb_value(sample_type(), false)) {
            let ty = sample_type();
            let j = to_json(&v, &ty).unwrap();
            let back = from_json(j.to_string().as_bytes(), &ty, Attrs::Strict).unwrap();
            prop_assert_eq!(back, v);
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = from_msgpack(&bytes, &sample_type());
        }
    }

    // The fuzzing properties (benches/codec_fuzz/cases.rs) on proptest's default
    // budget; `make fuzz` runs the same ones for as long as it is given.
    proptest! {
        #[test]
        fn fuzz_values_round_trip_through_msgpack((ty, v) in fuzz::typed_value(Wire::Msgpack)) {
            fuzz::value_round_trips(&ty, &v, Wire::Msgpack)?;
        }

        #[test]
        fn fuzz_values_round_trip_through_json((ty, v) in fuzz::typed_value(Wire::Json)) {
            fuzz::value_round_trips(&ty, &v, Wire::Json)?;
        }

        #[test]
        fn fuzz_hostile_msgpack_documents((ty, doc) in fuzz::typed_doc()) {
            fuzz::msgpack_input(&doc.to_bytes(), &ty)?;
        }

        #[test]
        fn fuzz_random_msgpack_documents((ty, doc) in fuzz::random_doc()) {
            fuzz::msgpack_input(&doc.to_bytes(), &ty)?;
        }

        #[test]
        fn fuzz_random_bytes((ty, bytes) in fuzz::random_bytes()) {
            fuzz::msgpack_input(&bytes, &ty)?;
            fuzz::json_input(&bytes, &ty, Attrs::Strict)?;
        }

        #[test]
        fn fuzz_edited_msgpack((ty, v, edits) in fuzz::edited_value(Wire::Msgpack)) {
            fuzz::edited_input(&ty, &v, &edits, Wire::Msgpack)?;
        }

        #[test]
        fn fuzz_edited_json((ty, v, edits) in fuzz::edited_value(Wire::Json)) {
            fuzz::edited_input(&ty, &v, &edits, Wire::Json)?;
        }

        #[test]
        fn fuzz_hostile_json((ty, j, attrs) in fuzz::typed_json()) {
            fuzz::json_input(j.to_string().as_bytes(), &ty, attrs)?;
        }

        #[test]
        fn fuzz_deep_nesting((shape, depth) in fuzz::deep()) {
            fuzz::deep_input(shape, depth)?;
        }

        #[test]
        fn fuzz_wrong_kinds_name_their_path((ty, v, at, pick) in fuzz::misplaced(Wire::Msgpack)) {
            fuzz::misplaced_kind(&ty, &v, &at, pick)?;
        }

        #[test]
        fn fuzz_wrong_kinds_name_their_path_in_json((ty, v, at, pick) in fuzz::misplaced(Wire::Json)) {
            fuzz::misplaced_kind(&ty, &v, &at, pick)?;
        }

        #[test]
        fn fuzz_unknown_marks_anywhere((ty, v, at, code, len) in fuzz::unknown_marks()) {
            fuzz::unknown_mark(&ty, &v, &at, code, len)?;
        }

        #[test]
        fn fuzz_type_json_round_trips(t in fuzz::typed_type()) {
            fuzz::type_json_round_trips(&t)?;
        }

        #[test]
        fn fuzz_any_json_is_a_type_or_an_error(j in fuzz::type_json_like()) {
            fuzz::json_as_type(&j)?;
        }
    }

    /// The hostile generators are useful only if a fair share of what they make
    /// decodes (so the round trip is checked) and a fair share does not.
    #[test]
    fn fuzz_inputs_are_both_accepted_and_refused() {
        let mut runner = TestRunner::deterministic();
        let (docs, jsons) = (fuzz::typed_doc(), fuzz::typed_json());
        let (mut msgpack, mut json) = (0, 0);
        for _ in 0..300 {
            let (ty, doc) = docs.new_tree(&mut runner).unwrap().current();
            msgpack += usize::from(fuzz::msgpack_input(&doc.to_bytes(), &ty).unwrap());
            let (ty, j, attrs) = jsons.new_tree(&mut runner).unwrap().current();
            json += usize::from(fuzz::json_input(j.to_string().as_bytes(), &ty, attrs).unwrap());
        }
        for (wire, n) in [("msgpack", msgpack), ("JSON", json)] {
            assert!((30..=270).contains(&n), "{wire}: {n} of 300 decoded");
        }
    }

    /// The deepest values accepted, and far deeper ones refused, fit in a small
    /// stack (the runtime's threads have 2 MiB).
    #[test]
    fn deep_inputs_decode_or_fail_on_a_small_stack() {
        let run = || {
            for shape in [
                Shape::Lists,
                Shape::Maps,
                Shape::WideLists,
                Shape::Dynamics,
                Shape::DeepTypeJson,
            ] {
                for depth in [MAX_NESTING, MAX_NESTING + 1, 200_000] {
                    let (bytes, ty) = fuzz::deep_msgpack(shape, depth);
                    let got = from_msgpack(&bytes, &ty);
                    assert_eq!(got.is_ok(), depth <= MAX_NESTING, "{shape:?} {depth}");
                    if let Ok(v) = got {
                        assert_eq!(
                            from_msgpack(&to_msgpack(&v, &ty).unwrap(), &ty),
                            Ok(v.clone())
                        );
                        let j = to_json(&v, &ty).unwrap().to_string();
                        assert_eq!(from_json(j.as_bytes(), &ty, Attrs::Strict), Ok(v));
                    }
                    let (text, ty) = fuzz::deep_json(shape, depth);
                    let got = from_json(text.as_bytes(), &ty, Attrs::Strict);
                    assert_eq!(got.is_ok(), depth <= MAX_NESTING, "{shape:?} {depth}");
                }
            }
        };
        std::thread::Builder::new()
            .stack_size(SMALL_STACK)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
    }

    /// A stack a quarter of a runtime thread's.
    const SMALL_STACK: usize = 512 * 1024;

    /// Found by fuzzing: a `dynamic` value whose type JSON spells out 100 nested lists
    /// decoded, but its own type (a tuple per level, two JSON levels each) was too
    /// deep for the JSON reader, so it could not be decoded again once encoded.
    #[test]
    fn a_dynamic_value_too_deep_to_encode_again_is_refused() {
        let (bytes, ty) = fuzz::deep_msgpack(Shape::DeepTypeJson, 100);
        let e = from_msgpack(&bytes, &ty).unwrap_err();
        assert!(e.0.contains("nest deeper than 60 levels"), "{e}");
    }

    #[test]
    fn numbers_terraform_cannot_hold_are_refused() {
        let f64_bytes = |f: f64| [&[0xcb][..], &f.to_bits().to_be_bytes()].concat();
        let ty = Type::Number;
        assert!(from_msgpack(&f64_bytes(f64::NAN), &ty).is_err());
        assert!(from_msgpack(&[0xca, 0x7f, 0xc0, 0, 0], &ty).is_err()); // f32 NaN
                                                                        // Infinities are numbers to Terraform, and travel as msgpack floats ...
        let inf = Value::Number(Number::Float(f64::INFINITY));
        assert_eq!(
            from_msgpack(&f64_bytes(f64::INFINITY), &ty),
            Ok(inf.clone())
        );
        assert_eq!(to_msgpack(&inf, &ty), Ok(f64_bytes(f64::INFINITY)));
        // ... but not in JSON, where they used to become null.
        assert!(to_json(&inf, &ty).unwrap_err().0.contains("no JSON form"));
        let nan = Value::Number(Number::Float(f64::NAN));
        assert!(to_msgpack(&nan, &ty).is_err());
        assert!(to_json(&nan, &ty).is_err());
        // Text is a number only in decimal notation and f64's range.
        for text in ["NaN", "inf", "-Infinity", "1e400", "0x10", " 1", ""] {
            let mut b = vec![0xa0 | text.len() as u8];
            b.extend_from_slice(text.as_bytes());
            assert!(from_msgpack(&b, &ty).is_err(), "{text:?}");
            let j = serde_json::to_string(text).unwrap();
            assert!(
                from_json(j.as_bytes(), &ty, Attrs::Strict).is_err(),
                "{text:?}"
            );
        }
        assert_eq!(
            from_json(b"\"123456789012345678901234567890\"", &ty, Attrs::Strict),
            Ok(Value::Number(Number::Float(1.2345678901234568e29)))
        );
        assert!(from_json(b"1e400", &ty, Attrs::Strict).is_err());
    }

    #[test]
    fn errors_name_the_attribute_path_and_stay_short() {
        let ty = Type::object([
            ("a", Type::list(Type::Number)),
            ("m", Type::map(Type::object([("b", Type::Bool)]))),
        ]);
        // {"a": [1, "x"]}
        let bytes = [0x81, 0xa1, b'a', 0x92, 0x01, 0xa1, b'x'];
        assert_eq!(
            from_msgpack(&bytes, &ty).unwrap_err().0,
            r#"a[1]: "x" is not a number"#
        );
        let e = from_json(br#"{"m": {"k\"1": {"b": "yes"}}}"#, &ty, Attrs::Strict).unwrap_err();
        assert!(
            e.0.starts_with(r#"m["k\"1"].b: JSON "yes" does not fit type"#),
            "{e}"
        );
        let e = to_msgpack(&Value::object([("a", Value::string_list(["1"]))]), &ty).unwrap_err();
        assert!(e.0.starts_with("a[0]: value string does not fit"), "{e}");
        // A long wrong value is described, not copied into the message.
        let long = to_msgpack(&Value::string("x".repeat(100_000)), &Type::String).unwrap();
        let e = from_msgpack(&long, &Type::Bool).unwrap_err();
        assert!(e.0.len() < 200, "{} bytes of error", e.0.len());
    }

    #[test]
    fn refined_unknowns_inside_collections_decode_as_unknown() {
        // ["a", <ext 12 refinement {1: false}>] as a list(string)
        let bytes = [0x92, 0xa1, b'a', 0xc7, 3, 12, 0x81, 0x01, 0xc2];
        let v = from_msgpack(&bytes, &Type::list(Type::String)).unwrap();
        assert_eq!(v, Value::List(vec![Value::string("a"), Value::Unknown]));
    }

    #[test]
    fn long_strings_lists_and_maps_use_the_wide_markers() {
        let long = "x".repeat(70_000); // str32
        let mid = "y".repeat(300); // str16
        let list = Value::List((0..70_000).map(|i| Value::Number(Number::Int(i))).collect());
        let map = Value::Map(
            (0..20)
                .map(|i| (format!("k{i}"), Value::String(mid.clone())))
                .collect(),
        );
        for (v, ty) in [
            (Value::String(long), Type::String),
            (list, Type::list(Type::Number)),
            (map, Type::map(Type::String)),
            (Value::Number(Number::Int(i64::MIN)), Type::Number),
        ] {
            let bytes = to_msgpack(&v, &ty).unwrap();
            assert_eq!(from_msgpack(&bytes, &ty).unwrap(), v);
            // Every truncation is an error, never a panic or a short value.
            for cut in [1, bytes.len() / 2, bytes.len() - 1] {
                assert!(from_msgpack(&bytes[..cut], &ty).is_err());
            }
        }
    }

    #[test]
    fn numbers_arrive_as_int_float_or_string() {
        let ty = Type::Number;
        assert_eq!(from_msgpack(&[0x05], &ty).unwrap(), Value::int(5));
        assert_eq!(from_msgpack(&[0xd0, 0xfb], &ty).unwrap(), Value::int(-5));
        let mut f = vec![0xcb];
        f.extend_from_slice(&2.5f64.to_bits().to_be_bytes());
        assert_eq!(
            from_msgpack(&f, &ty).unwrap(),
            Value::Number(Number::Float(2.5))
        );
        assert_eq!(
            from_msgpack(&[0xa2, b'4', b'2'], &ty).unwrap(),
            Value::int(42)
        );
    }

    #[test]
    fn objects_get_nulls_for_missing_attributes_and_reject_extra_ones() {
        let ty = Type::object([("a", Type::String), ("b", Type::Bool)]);
        let v = from_msgpack(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty).unwrap();
        assert_eq!(
            v,
            Value::object([("a", Value::string("x")), ("b", Value::Null)])
        );
        assert!(from_msgpack(&[0x81, 0xa1, b'z', 0xc0], &ty).is_err());
        assert!(to_msgpack(&Value::object([("z", Value::Null)]), &ty).is_err());
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::object([("k", Value::string("v"))]);
        let bytes = to_msgpack(&v, &Type::Dynamic).unwrap();
        assert_eq!(from_msgpack(&bytes, &Type::Dynamic).unwrap(), v);
    }

    #[test]
    fn upgrade_json_drops_removed_attributes_only_when_asked() {
        let ty = Type::object([("a", Type::String)]);
        let raw = br#"{"a":"x","old":1}"#;
        assert!(from_json(raw, &ty, Attrs::Strict).is_err());
        assert_eq!(
            from_json(raw, &ty, Attrs::DropUnknown).unwrap(),
            Value::object([("a", Value::string("x"))])
        );
    }
}
