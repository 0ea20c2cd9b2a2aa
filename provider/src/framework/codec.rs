//! Type-directed msgpack and JSON codecs for [`Value`].
//!
//! The wire shapes follow the protocol's object wire format: objects are
//! msgpack maps holding every attribute of the type (null when absent), lists,
//! sets and tuples are arrays, unknown values are msgpack extension values
//! (any extension code is read as unknown; unknowns are written as code 0),
//! and `dynamic` values are written as a two-element array of the type's JSON
//! and the value.

use std::collections::BTreeMap;

use rmp::decode::{RmpRead, ValueReadError};

use super::types::Type;
use super::value::{Number, Value};

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

// ---------------------------------------------------------------- msgpack out

/// Encodes `v` as msgpack according to `ty`.
pub fn to_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, v, ty)?;
    Ok(out)
}

fn io<T>(r: Result<T, impl std::fmt::Debug>) -> Result<T, CodecError> {
    r.map_err(|e| CodecError(format!("msgpack write: {e:?}")))
}

fn write_value(out: &mut Vec<u8>, v: &Value, ty: &Type) -> Result<(), CodecError> {
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
            let actual = infer_type(v);
            io(w::write_array_len(out, 2))?;
            let tj = actual.to_json().to_string();
            io(w::write_bin(out, tj.as_bytes()))?;
            write_value(out, v, &actual)
        }
        (Type::Bool, Value::Bool(b)) => io(w::write_bool(out, *b)),
        (Type::Number, Value::Number(n)) => match n.as_i64() {
            Some(i) => io(w::write_sint(out, i)).map(|_| ()),
            None => io(w::write_f64(out, n.as_f64())),
        },
        (Type::String, Value::String(s)) => io(w::write_str(out, s)),
        (Type::List(e) | Type::Set(e), Value::List(items)) => {
            io(w::write_array_len(out, items.len() as u32))?;
            for item in items {
                write_value(out, item, e)?;
            }
            Ok(())
        }
        (Type::Tuple(elems), Value::List(items)) => {
            if elems.len() != items.len() {
                return err(format!(
                    "tuple needs {} elements, got {}",
                    elems.len(),
                    items.len()
                ));
            }
            io(w::write_array_len(out, items.len() as u32))?;
            for (item, t) in items.iter().zip(elems) {
                write_value(out, item, t)?;
            }
            Ok(())
        }
        (Type::Map(e), Value::Map(m)) => {
            io(w::write_map_len(out, m.len() as u32))?;
            for (k, item) in m {
                io(w::write_str(out, k))?;
                write_value(out, item, e)?;
            }
            Ok(())
        }
        (Type::Object(attrs), Value::Map(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return err(format!("unsupported attribute {extra:?}"));
            }
            io(w::write_map_len(out, attrs.len() as u32))?;
            for (k, t) in attrs {
                io(w::write_str(out, k))?;
                write_value(out, m.get(k).unwrap_or(&Value::Null), t)?;
            }
            Ok(())
        }
        (ty, v) => err(format!(
            "value {} does not fit type {}",
            kind(v),
            ty.to_json()
        )),
    }
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

/// The narrowest type describing a value held by a `dynamic` attribute.
fn infer_type(v: &Value) -> Type {
    match v {
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::Tuple(items.iter().map(infer_type).collect()),
        Value::Map(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), infer_type(v))).collect()),
        Value::Null | Value::Unknown => Type::Dynamic,
    }
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
    fn array(&mut self, n: usize, depth: u32) -> Result<Raw, CodecError> {
        let mut items = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            items.push(self.item(depth + 1)?);
        }
        Ok(Raw::Array(items))
    }
    fn map(&mut self, n: usize, depth: u32) -> Result<Raw, CodecError> {
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

    fn item(&mut self, depth: u32) -> Result<Raw, CodecError> {
        use rmp::Marker as M;
        if depth > 128 {
            return err("msgpack: nesting too deep");
        }
        let marker = rmp::decode::read_marker(&mut self.buf).map_err(truncated)?;
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
            M::F32 => Raw::Float(f64::from(self.num(|b| b.read_data_f32())?)),
            M::F64 => Raw::Float(self.num(|b| b.read_data_f64())?),
            M::FixStr(n) => self.text(usize::from(n))?,
            M::Str8 | M::Str16 | M::Str32 => {
                let n = self.len(width(marker, M::Str8))?;
                self.text(n)?
            }
            M::Bin8 | M::Bin16 | M::Bin32 => {
                let n = self.len(width(marker, M::Bin8))?;
                Raw::Bin(self.take(n)?.to_vec())
            }
            M::FixArray(n) => self.array(usize::from(n), depth)?,
            M::Array16 | M::Array32 => {
                let n = self.len(width(marker, M::Array16) * 2)?;
                self.array(n, depth)?
            }
            M::FixMap(n) => self.map(usize::from(n), depth)?,
            M::Map16 | M::Map32 => {
                let n = self.len(width(marker, M::Map16) * 2)?;
                self.map(n, depth)?
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
    typed(raw, ty)
}

fn parse_number(s: &str) -> Result<Number, CodecError> {
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Number::Int(i));
    }
    s.parse::<f64>()
        .map(Number::Float)
        .map_err(|_| CodecError(format!("{s:?} is not a number")))
}

fn typed(raw: Raw, ty: &Type) -> Result<Value, CodecError> {
    match raw {
        Raw::Nil => return Ok(Value::Null),
        Raw::Ext => return Ok(Value::Unknown),
        _ => {}
    }
    match (ty, raw) {
        (Type::Dynamic, Raw::Array(parts)) if parts.len() == 2 => {
            let mut parts = parts.into_iter();
            let (Some(type_part), Some(v)) = (parts.next(), parts.next()) else {
                return err("dynamic value: expected [type, value]");
            };
            let tj = match type_part {
                Raw::Bin(b) => b,
                Raw::Str(s) => s.into_bytes(),
                _ => return err("dynamic value: type must be JSON bytes"),
            };
            let j: serde_json::Value = serde_json::from_slice(&tj)
                .map_err(|e| CodecError(format!("dynamic value type: {e}")))?;
            let actual = Type::from_json(&j).map_err(CodecError)?;
            typed(v, &actual)
        }
        (Type::Bool, Raw::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Number, Raw::Int(i)) => Ok(Value::Number(Number::Int(i))),
        (Type::Number, Raw::Float(f)) => Ok(Value::Number(Number::Float(f))),
        (Type::Number, Raw::Str(s)) => parse_number(&s).map(Value::Number),
        (Type::String, Raw::Str(s)) => Ok(Value::String(s)),
        (Type::List(e) | Type::Set(e), Raw::Array(items)) => items
            .into_iter()
            .map(|r| typed(r, e))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Type::Tuple(elems), Raw::Array(items)) if elems.len() == items.len() => items
            .into_iter()
            .zip(elems)
            .map(|(r, t)| typed(r, t))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Type::Map(e), Raw::Map(items)) => {
            let mut m = BTreeMap::new();
            for (k, v) in items {
                let Raw::Str(k) = k else {
                    return err("map key must be a string");
                };
                m.insert(k, typed(v, e)?);
            }
            Ok(Value::Map(m))
        }
        (Type::Object(attrs), Raw::Map(items)) => {
            let mut m = BTreeMap::new();
            for (k, v) in items {
                let Raw::Str(k) = k else {
                    return err("object key must be a string");
                };
                let Some(t) = attrs.get(&k) else {
                    return err(format!("unsupported attribute {k:?}"));
                };
                m.insert(k, typed(v, t)?);
            }
            for k in attrs.keys() {
                m.entry(k.clone()).or_insert(Value::Null);
            }
            Ok(Value::Map(m))
        }
        (ty, raw) => err(format!(
            "msgpack {raw:?} does not fit type {}",
            ty.to_json()
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
    json_typed(&j, ty, attrs)
}

fn json_typed(j: &serde_json::Value, ty: &Type, mode: Attrs) -> Result<Value, CodecError> {
    use serde_json::Value as J;
    if j.is_null() {
        return Ok(Value::Null);
    }
    match (ty, j) {
        (Type::Dynamic, J::Object(o)) if o.contains_key("type") && o.contains_key("value") => {
            let actual = Type::from_json(&o["type"]).map_err(CodecError)?;
            json_typed(&o["value"], &actual, mode)
        }
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Number, J::Number(n)) => Ok(Value::Number(match n.as_i64() {
            Some(i) => Number::Int(i),
            None => Number::Float(n.as_f64().unwrap_or(f64::NAN)),
        })),
        (Type::Number, J::String(s)) => parse_number(s).map(Value::Number),
        (Type::String, J::String(s)) => Ok(Value::String(s.clone())),
        (Type::List(e) | Type::Set(e), J::Array(items)) => items
            .iter()
            .map(|i| json_typed(i, e, mode))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Type::Tuple(elems), J::Array(items)) if elems.len() == items.len() => items
            .iter()
            .zip(elems)
            .map(|(i, t)| json_typed(i, t, mode))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Type::Map(e), J::Object(o)) => o
            .iter()
            .map(|(k, v)| Ok((k.clone(), json_typed(v, e, mode)?)))
            .collect::<Result<_, _>>()
            .map(Value::Map),
        (Type::Object(attrs), J::Object(o)) => {
            let mut m = BTreeMap::new();
            for (k, v) in o {
                match attrs.get(k) {
                    Some(t) => {
                        m.insert(k.clone(), json_typed(v, t, mode)?);
                    }
                    None if mode == Attrs::DropUnknown => {}
                    None => return err(format!("unsupported attribute {k:?}")),
                }
            }
            for k in attrs.keys() {
                m.entry(k.clone()).or_insert(Value::Null);
            }
            Ok(Value::Map(m))
        }
        (ty, j) => err(format!("JSON {j} does not fit type {}", ty.to_json())),
    }
}

/// Encodes a wholly known value as JSON (as state files hold it).
pub fn to_json(v: &Value, ty: &Type) -> Result<serde_json::Value, CodecError> {
    use serde_json::{json, Value as J};
    Ok(match (ty, v) {
        (_, Value::Null) => J::Null,
        (_, Value::Unknown) => return err("unknown values have no JSON form"),
        (Type::Dynamic, v) => {
            let actual = infer_type(v);
            json!({"value": to_json(v, &actual)?, "type": actual.to_json()})
        }
        (Type::Bool, Value::Bool(b)) => J::Bool(*b),
        (Type::Number, Value::Number(Number::Int(i))) => json!(i),
        (Type::Number, Value::Number(Number::Float(f))) => json!(f),
        (Type::String, Value::String(s)) => J::String(s.clone()),
        (Type::List(e) | Type::Set(e), Value::List(items)) => J::Array(
            items
                .iter()
                .map(|i| to_json(i, e))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Tuple(elems), Value::List(items)) if elems.len() == items.len() => J::Array(
            items
                .iter()
                .zip(elems)
                .map(|(i, t)| to_json(i, t))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Map(e), Value::Map(m)) => J::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v, e)?)))
                .collect::<Result<_, CodecError>>()?,
        ),
        (Type::Object(attrs), Value::Map(m)) => J::Object(
            attrs
                .iter()
                .map(|(k, t)| Ok((k.clone(), to_json(m.get(k).unwrap_or(&Value::Null), t)?)))
                .collect::<Result<_, CodecError>>()?,
        ),
        (ty, v) => {
            return err(format!(
                "value {} does not fit type {}",
                kind(v),
                ty.to_json()
            ))
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

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
