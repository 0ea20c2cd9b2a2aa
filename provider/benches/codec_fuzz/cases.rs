//! Hostile inputs for the value codecs and the properties the codecs keep on them.
//!
//! Shared by the short-budget unit tests in `framework::codec` (`cargo test`, a few
//! hundred cases per property) and the long-budget bench `benches/codec_fuzz.rs`
//! (`make fuzz`). The file is compiled as a module of both, so it reaches the
//! library only through `crate::framework` and `crate::provider`, which the bench
//! re-exports at its root.
//!
//! A check returns `Ok(true)` when the input decoded, `Ok(false)` when it was refused
//! with an error, and a `TestCaseError` when a property broke. A panic is a failure
//! of its own.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value as J};

use crate::framework::codec::{self, Attrs, MAX_NESTING};
use crate::framework::diag::{AttrPath, Step};
use crate::framework::{Number, Provider, Type, Value};
use crate::provider::OdeProvider;

// ------------------------------------------------------------------ strategies

/// Which codec a generated value is meant for: JSON holds neither unknowns nor
/// infinities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    Msgpack,
    Json,
}

/// Text that has broken decoders elsewhere.
const NASTY_TEXT: &[&str] = &[
    "",
    "\0",
    "a\0b",
    "\u{feff}",
    "\u{202e}rtl",
    "\u{10ffff}",
    "ö̈",
    "\"",
    "\\",
    "null",
    "dynamic",
    "1e400",
    "NaN",
];

/// Numbers written as text, as Terraform sends those that do not fit 64 bits, and
/// text that only looks like a number.
const NUMBER_TEXT: &[&str] = &[
    "0",
    "-0",
    "+5",
    "42",
    "4.5",
    "1e3",
    "1E-7",
    "1e-400",
    "1e400",
    "-1e400",
    "123456789012345678901234567890",
    "9223372036854775808",
    "-9223372036854775809",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "0x10",
    " 1",
    "1 ",
    "1_000",
    "",
    ".",
    "1.",
    ".5",
    "--1",
    "1e",
    "٣",
];

const EDGE_INTS: &[i64] = &[
    0,
    1,
    -1,
    127,
    128,
    -32,
    -33,
    255,
    256,
    65_535,
    65_536,
    4_294_967_295,
    4_294_967_296,
    -2_147_483_649,
    1 << 53,
    (1 << 53) + 1,
    -(1 << 53) - 1,
    i64::MIN,
    i64::MAX,
];

const INFINITIES: &[f64] = &[f64::INFINITY, f64::NEG_INFINITY];

const EDGE_FLOATS: &[f64] = &[
    0.0,
    -0.0,
    0.1,
    2.5,
    -7.0,
    8_999_999_999_999_999.0,
    9.0e15,
    -9.0e15,
    9_007_199_254_740_993.0,
    9.223_372_036_854_776e18,
    1.844_674_407_370_955_2e19,
    1e300,
    5e-324,
    f64::EPSILON,
    f64::MIN_POSITIVE,
    f64::MAX,
    f64::MIN,
];

/// Strings: short runs of any chars, nasty ones, and some long enough for the
/// 8- and 16-bit length headers.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::collection::vec(any::<char>(), 0..8).prop_map(|c| c.into_iter().collect()),
        2 => prop::sample::select(NASTY_TEXT).prop_map(str::to_string),
        1 => (any::<char>(), 20..300usize).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
    .boxed()
}

fn attr_name() -> BoxedStrategy<String> {
    prop_oneof![4 => "[a-z_][a-z0-9_]{0,8}", 1 => text()].boxed()
}

/// Numbers at and around every width msgpack has, and floats of every class
/// (infinities only for msgpack; never NaN, which no codec accepts).
pub fn number(wire: Wire) -> BoxedStrategy<Number> {
    use prop::num::f64 as F;
    let finite = prop_oneof![
        F::POSITIVE | F::NEGATIVE | F::NORMAL | F::SUBNORMAL | F::ZERO,
        prop::sample::select(EDGE_FLOATS),
    ];
    let float = match wire {
        Wire::Json => finite.boxed(),
        Wire::Msgpack => prop_oneof![
            9 => finite,
            1 => prop::sample::select(INFINITIES),
        ]
        .boxed(),
    };
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        prop::sample::select(EDGE_INTS).prop_map(Number::Int),
        float.prop_map(Number::Float),
    ]
    .boxed()
}

fn scalar_type() -> BoxedStrategy<Type> {
    prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)].boxed()
}

/// Types of every kind, nested a few levels, `dynamic` included.
pub fn any_type() -> BoxedStrategy<Type> {
    prop_oneof![scalar_type(), Just(Type::Dynamic)]
        .prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                prop::collection::btree_map(attr_name(), inner.clone(), 0..5)
                    .prop_map(Type::Object),
                prop::collection::vec(inner, 0..4).prop_map(Type::Tuple),
            ]
        })
        .boxed()
}

/// The provider's real types: the provider block's, every resource's, and every
/// function's parameters and result, with their names.
pub fn schema_types() -> Vec<(String, Type)> {
    let p = OdeProvider;
    let mut out = vec![("provider".to_string(), p.schema().value_type())];
    for r in p.resources() {
        out.push((r.type_name().to_string(), r.schema().value_type()));
    }
    for f in p.functions() {
        let sig = f.signature();
        for param in sig.params {
            out.push((format!("{}({})", f.name(), param.name), param.ty));
        }
        out.push((format!("{}() result", f.name()), sig.returns));
    }
    out
}

/// Random types, and now and then one of the provider's own.
pub fn typed_type() -> BoxedStrategy<Type> {
    let real: Vec<Type> = schema_types().into_iter().map(|(_, t)| t).collect();
    prop_oneof![3 => any_type(), 1 => prop::sample::select(real)].boxed()
}

/// Values of type `ty` with nulls (and, for msgpack, unknowns) at any depth; a
/// `dynamic` attribute holds a value of some other type.
pub fn value_of(ty: &Type, wire: Wire) -> BoxedStrategy<Value> {
    value_in(ty, wire, 2)
}

/// `budget`: how many more `dynamic` values may nest inside this one.
fn value_in(ty: &Type, wire: Wire, budget: u32) -> BoxedStrategy<Value> {
    let known = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => number(wire).prop_map(Value::Number).boxed(),
        Type::String => text().prop_map(Value::String).boxed(),
        Type::Dynamic => {
            let inner = if budget == 0 {
                scalar_type()
            } else {
                any_type()
            };
            inner
                .prop_flat_map(move |t| value_in(&t, wire, budget.saturating_sub(1)))
                .boxed()
        }
        Type::List(e) | Type::Set(e) => prop::collection::vec(value_in(e, wire, budget), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Map(e) => prop::collection::btree_map(text(), value_in(e, wire, budget), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(elems) => elems
            .iter()
            .map(|t| value_in(t, wire, budget))
            .collect::<Vec<_>>()
            .prop_map(Value::List)
            .boxed(),
        Type::Object(attrs) => attrs
            .iter()
            .map(|(k, t)| (Just(k.clone()), value_in(t, wire, budget)))
            .collect::<Vec<_>>()
            .prop_map(|kv| Value::Map(kv.into_iter().collect()))
            .boxed(),
    };
    match wire {
        Wire::Msgpack => {
            prop_oneof![8 => known, 1 => Just(Value::Null), 1 => Just(Value::Unknown)].boxed()
        }
        Wire::Json => prop_oneof![9 => known, 1 => Just(Value::Null)].boxed(),
    }
}

/// A type and a value of it.
pub fn typed_value(wire: Wire) -> BoxedStrategy<(Type, Value)> {
    typed_type()
        .prop_flat_map(move |t| {
            let v = value_of(&t, wire);
            (Just(t), v)
        })
        .boxed()
}

/// A msgpack document, well formed or not: what a buggy or hostile peer could send.
#[derive(Clone, Debug)]
pub enum Doc {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F32(f32),
    F64(f64),
    /// A string's bytes (not necessarily UTF-8) and its header width: 0 the
    /// smallest that fits, 1 to 3 the 8-, 16- or 32-bit length at least.
    Str(Vec<u8>, u8),
    Bin(Vec<u8>, u8),
    /// An extension value (how unknowns travel): type code and payload.
    Ext(i8, Vec<u8>),
    Array(Vec<Doc>, u8),
    Map(Vec<(Doc, Doc)>, u8),
    /// Bytes as they are: a header that promises more than follows, a reserved
    /// marker, anything.
    Bytes(Vec<u8>),
}

impl Doc {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Doc::Nil => out.push(0xc0),
            Doc::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
            Doc::Int(i) => {
                out.push(0xd3);
                out.extend_from_slice(&i.to_be_bytes());
            }
            Doc::Uint(u) => {
                out.push(0xcf);
                out.extend_from_slice(&u.to_be_bytes());
            }
            Doc::F32(f) => {
                out.push(0xca);
                out.extend_from_slice(&f.to_be_bytes());
            }
            Doc::F64(f) => {
                out.push(0xcb);
                out.extend_from_slice(&f.to_be_bytes());
            }
            Doc::Str(b, w) => {
                header(
                    out,
                    b.len(),
                    *w,
                    Some((0xa0, 31)),
                    [Some(0xd9), Some(0xda), Some(0xdb)],
                );
                out.extend_from_slice(b);
            }
            Doc::Bin(b, w) => {
                header(
                    out,
                    b.len(),
                    (*w).max(1),
                    None,
                    [Some(0xc4), Some(0xc5), Some(0xc6)],
                );
                out.extend_from_slice(b);
            }
            Doc::Ext(code, data) => {
                match data.len() {
                    1 => out.push(0xd4),
                    2 => out.push(0xd5),
                    4 => out.push(0xd6),
                    8 => out.push(0xd7),
                    16 => out.push(0xd8),
                    n => header(out, n, 1, None, [Some(0xc7), Some(0xc8), Some(0xc9)]),
                }
                out.push(code.to_be_bytes()[0]);
                out.extend_from_slice(data);
            }
            Doc::Array(items, w) => {
                header(
                    out,
                    items.len(),
                    *w,
                    Some((0x90, 15)),
                    [None, Some(0xdc), Some(0xdd)],
                );
                for i in items {
                    i.write(out);
                }
            }
            Doc::Map(items, w) => {
                header(
                    out,
                    items.len(),
                    *w,
                    Some((0x80, 15)),
                    [None, Some(0xde), Some(0xdf)],
                );
                for (k, v) in items {
                    k.write(out);
                    v.write(out);
                }
            }
            Doc::Bytes(b) => out.extend_from_slice(b),
        }
    }
}

/// A length header: the fix form (`fix`: base marker and largest length) when
/// `width` is 0 and the length fits, else the first of the 8-, 16- and 32-bit forms
/// (`wide`) from `width` on that holds it.
fn header(
    out: &mut Vec<u8>,
    len: usize,
    width: u8,
    fix: Option<(u8, usize)>,
    wide: [Option<u8>; 3],
) {
    if let Some((base, max)) = fix {
        if width == 0 && len <= max {
            out.push(base | len as u8);
            return;
        }
    }
    let from = usize::from(width.max(1) - 1).min(2);
    for (i, marker) in wide.iter().enumerate().skip(from) {
        let Some(marker) = marker else { continue };
        let bytes = 1usize << i;
        if i == 2 || len < 1 << (8 * bytes) {
            out.push(*marker);
            out.extend_from_slice(&(len as u32).to_be_bytes()[4 - bytes..]);
            return;
        }
    }
}

fn bytes(n: std::ops::Range<usize>) -> BoxedStrategy<Vec<u8>> {
    prop::collection::vec(any::<u8>(), n).boxed()
}

/// A marker whose length promises far more than any input holds.
fn lying_header() -> BoxedStrategy<Doc> {
    const MARKERS: &[u8] = &[
        0xdc, 0xdd, 0xde, 0xdf, 0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9,
    ];
    (prop::sample::select(MARKERS), any::<u32>(), bytes(0..4))
        .prop_map(|(m, n, tail)| {
            let mut b = vec![m];
            b.extend_from_slice(&n.to_be_bytes());
            b.extend(tail);
            Doc::Bytes(b)
        })
        .boxed()
}

/// Any document at all, a few levels deep.
fn any_doc() -> BoxedStrategy<Doc> {
    let leaf = prop_oneof![
        Just(Doc::Nil),
        any::<bool>().prop_map(Doc::Bool),
        any::<i64>().prop_map(Doc::Int),
        any::<u64>().prop_map(Doc::Uint),
        any::<f32>().prop_map(Doc::F32),
        any::<f64>().prop_map(Doc::F64),
        (bytes(0..12), 0u8..4).prop_map(|(b, w)| Doc::Str(b, w)),
        (bytes(0..12), 0u8..4).prop_map(|(b, w)| Doc::Bin(b, w)),
        (any::<i8>(), bytes(0..18)).prop_map(|(c, d)| Doc::Ext(c, d)),
        bytes(1..4).prop_map(Doc::Bytes),
        lying_header(),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..5), 0u8..4)
                .prop_map(|(i, w)| Doc::Array(i, w)),
            (prop::collection::vec((inner.clone(), inner), 0..5), 0u8..4)
                .prop_map(|(i, w)| Doc::Map(i, w)),
        ]
    })
    .boxed()
}

fn number_doc() -> BoxedStrategy<Doc> {
    prop_oneof![
        any::<i64>().prop_map(Doc::Int),
        prop::sample::select(EDGE_INTS).prop_map(Doc::Int),
        any::<u64>().prop_map(Doc::Uint),
        any::<f32>().prop_map(Doc::F32),
        any::<f64>().prop_map(Doc::F64),
        prop::sample::select(EDGE_FLOATS).prop_map(Doc::F64),
        prop::sample::select(INFINITIES).prop_map(Doc::F64),
        Just(Doc::F64(f64::NAN)),
        Just(Doc::F32(f32::NAN)),
        prop::sample::select(NUMBER_TEXT).prop_map(|s| Doc::Str(s.as_bytes().to_vec(), 0)),
    ]
    .boxed()
}

/// Type JSON that does not describe a type, or not the one the value has.
const BAD_TYPE_JSON: &[&str] = &[
    "",
    "{",
    "\"strng\"",
    "[\"list\"]",
    "[\"object\",\"x\"]",
    "[\"tuple\",{}]",
    "[\"list\",\"string\",1]",
    "[\"object\",{},{\"a\":1}]",
    "[\"map\",[\"set\",\"dynamic\"]]",
    "3",
    "null",
];

/// The first element of a `dynamic` value: usually its type's JSON (as bin or str),
/// sometimes garbage or another type.
fn type_json_doc(t: &Type) -> BoxedStrategy<Doc> {
    let j = t.to_json().to_string().into_bytes();
    prop_oneof![
        6 => Just(Doc::Bin(j.clone(), 0)),
        2 => Just(Doc::Str(j, 0)),
        1 => prop::sample::select(BAD_TYPE_JSON).prop_map(|s| Doc::Bin(s.as_bytes().to_vec(), 0)),
        1 => any_type().prop_map(|t| Doc::Bin(t.to_json().to_string().into_bytes(), 0)),
    ]
    .boxed()
}

/// Documents shaped like a value of `ty`, each part now and then replaced by
/// something hostile: another kind, NaN, an unknown with any extension code,
/// invalid UTF-8, numbers as text, missing or extra attributes, broken `dynamic`
/// type JSON, a header that lies.
pub fn doc_like(ty: &Type) -> BoxedStrategy<Doc> {
    doc_in(ty, 2)
}

fn doc_in(ty: &Type, budget: u32) -> BoxedStrategy<Doc> {
    let shaped = match ty {
        Type::Bool => any::<bool>().prop_map(Doc::Bool).boxed(),
        Type::Number => number_doc(),
        Type::String => (
            prop_oneof![4 => text().prop_map(String::into_bytes), 1 => bytes(0..8)],
            0u8..4,
        )
            .prop_map(|(b, w)| Doc::Str(b, w))
            .boxed(),
        Type::Dynamic => {
            let inner = if budget == 0 {
                scalar_type()
            } else {
                any_type()
            };
            inner
                .prop_flat_map(move |t| (type_json_doc(&t), doc_in(&t, budget.saturating_sub(1))))
                .prop_map(|(tj, v)| Doc::Array(vec![tj, v], 0))
                .boxed()
        }
        Type::List(e) | Type::Set(e) => (prop::collection::vec(doc_in(e, budget), 0..4), 0u8..4)
            .prop_map(|(items, w)| Doc::Array(items, w))
            .boxed(),
        Type::Tuple(elems) => (
            elems.iter().map(|t| doc_in(t, budget)).collect::<Vec<_>>(),
            0u8..4,
        )
            .prop_map(|(items, w)| Doc::Array(items, w))
            .boxed(),
        Type::Map(e) => {
            let entry = (
                text().prop_map(|k| Doc::Str(k.into_bytes(), 0)),
                doc_in(e, budget),
            );
            (prop::collection::vec(entry, 0..4), 0u8..4)
                .prop_map(|(items, w)| Doc::Map(items, w))
                .boxed()
        }
        Type::Object(attrs) => {
            let parts: Vec<_> = attrs
                .iter()
                .map(|(k, t)| {
                    (
                        Just(k.clone()),
                        doc_in(t, budget),
                        prop::bool::weighted(0.9),
                    )
                })
                .collect();
            let extra = prop::option::weighted(0.05, (text(), any_doc()));
            (parts, extra, 0u8..4)
                .prop_map(|(parts, extra, w)| {
                    let mut items: Vec<(Doc, Doc)> = parts
                        .into_iter()
                        .filter(|(_, _, keep)| *keep)
                        .map(|(k, v, _)| (Doc::Str(k.into_bytes(), 0), v))
                        .collect();
                    if let Some((k, v)) = extra {
                        items.push((Doc::Str(k.into_bytes(), 0), v));
                    }
                    Doc::Map(items, w)
                })
                .boxed()
        }
    };
    prop_oneof![
        24 => shaped,
        1 => Just(Doc::Nil),
        1 => (any::<i8>(), bytes(0..20)).prop_map(|(c, d)| Doc::Ext(c, d)),
        1 => any_doc(),
    ]
    .boxed()
}

/// A type and any document at all.
pub fn random_doc() -> BoxedStrategy<(Type, Doc)> {
    (typed_type(), any_doc()).boxed()
}

/// A type and random bytes.
pub fn random_bytes() -> BoxedStrategy<(Type, Vec<u8>)> {
    (typed_type(), bytes(0..256)).boxed()
}

/// A type and a document shaped (mostly) like a value of it.
pub fn typed_doc() -> BoxedStrategy<(Type, Doc)> {
    typed_type()
        .prop_flat_map(|t| {
            let d = doc_like(&t);
            (Just(t), d)
        })
        .boxed()
}

/// JSON shaped like a value of `ty`, with the same kinds of hostile parts as
/// [`doc_like`] (numbers past any float, text that is no number, wrong kinds,
/// `dynamic` wrappers with bad or missing types, extra attributes).
pub fn json_like(ty: &Type) -> BoxedStrategy<J> {
    json_in(ty, 2)
}

fn json_in(ty: &Type, budget: u32) -> BoxedStrategy<J> {
    let shaped = match ty {
        Type::Bool => any::<bool>().prop_map(J::Bool).boxed(),
        Type::Number => prop_oneof![
            any::<i64>().prop_map(|i| json!(i)),
            any::<u64>().prop_map(|u| json!(u)),
            number(Wire::Json).prop_map(|n| match n {
                Number::Int(i) => json!(i),
                Number::Float(f) => json!(f),
            }),
            prop::sample::select(NUMBER_TEXT).prop_map(|s| J::String(s.to_string())),
        ]
        .boxed(),
        Type::String => text().prop_map(J::String).boxed(),
        Type::Dynamic => {
            let inner = if budget == 0 {
                scalar_type()
            } else {
                any_type()
            };
            inner
                .prop_flat_map(move |t| {
                    let tj = prop_oneof![
                        8 => Just(t.to_json()),
                        1 => prop::sample::select(BAD_TYPE_JSON)
                            .prop_map(|s| serde_json::from_str(s).unwrap_or(J::Null)),
                        1 => any_type().prop_map(|t| t.to_json()),
                    ];
                    (
                        tj,
                        json_in(&t, budget.saturating_sub(1)),
                        prop::bool::weighted(0.95),
                    )
                })
                .prop_map(|(tj, v, typed)| {
                    if typed {
                        json!({"type": tj, "value": v})
                    } else {
                        json!({"value": v})
                    }
                })
                .boxed()
        }
        Type::List(e) | Type::Set(e) => prop::collection::vec(json_in(e, budget), 0..4)
            .prop_map(J::Array)
            .boxed(),
        Type::Tuple(elems) => elems
            .iter()
            .map(|t| json_in(t, budget))
            .collect::<Vec<_>>()
            .prop_map(J::Array)
            .boxed(),
        Type::Map(e) => prop::collection::btree_map(text(), json_in(e, budget), 0..4)
            .prop_map(|m| J::Object(m.into_iter().collect()))
            .boxed(),
        Type::Object(attrs) => {
            let parts: Vec<_> = attrs
                .iter()
                .map(|(k, t)| {
                    (
                        Just(k.clone()),
                        json_in(t, budget),
                        prop::bool::weighted(0.9),
                    )
                })
                .collect();
            let extra = prop::option::weighted(0.05, (text(), any_json()));
            (parts, extra)
                .prop_map(|(parts, extra)| {
                    let mut o: serde_json::Map<String, J> = parts
                        .into_iter()
                        .filter(|(_, _, keep)| *keep)
                        .map(|(k, v, _)| (k, v))
                        .collect();
                    if let Some((k, v)) = extra {
                        o.insert(k, v);
                    }
                    J::Object(o)
                })
                .boxed()
        }
    };
    prop_oneof![24 => shaped, 1 => Just(J::Null), 1 => any_json()].boxed()
}

/// Words a type JSON is made of, and a few that are not.
const TYPE_WORDS: &[&str] = &[
    "bool", "number", "string", "dynamic", "list", "set", "map", "object", "tuple", "strng", "",
];

/// Any JSON, a few levels deep, its strings mostly the words of type JSON.
pub fn any_json() -> BoxedStrategy<J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        number(Wire::Json).prop_map(|n| json!(n.as_f64())),
        prop::sample::select(TYPE_WORDS).prop_map(|s| J::String(s.to_string())),
        text().prop_map(J::String),
    ];
    leaf.prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
            (prop::sample::select(TYPE_WORDS), inner.clone()).prop_map(|(w, j)| json!([w, j])),
            prop::collection::btree_map(attr_name(), inner, 0..4)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Type JSON: random JSON, or a real type's JSON with one node (any depth) swapped
/// for random JSON.
pub fn type_json_like() -> BoxedStrategy<J> {
    let swapped = (any_type(), any_json(), any::<Index>()).prop_map(|(t, with, at)| {
        let mut j = t.to_json();
        let n = at.index(count_nodes(&j));
        *nth_node(&mut j, n) = with;
        j
    });
    prop_oneof![any_json(), swapped].boxed()
}

fn count_nodes(j: &J) -> usize {
    1 + match j {
        J::Array(items) => items.iter().map(count_nodes).sum(),
        J::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// The `n`th node of `j` in pre-order (`n` below `count_nodes(j)`).
fn nth_node(j: &mut J, n: usize) -> &mut J {
    if n == 0 {
        return j;
    }
    let mut skip = n - 1;
    let children: Vec<&mut J> = match j {
        J::Array(items) => items.iter_mut().collect(),
        J::Object(o) => o.values_mut().collect(),
        _ => Vec::new(),
    };
    for child in children {
        let size = count_nodes(child);
        if skip < size {
            return nth_node(child, skip);
        }
        skip -= size;
    }
    unreachable!("n is below the node count")
}

/// A type, JSON shaped like its values, and how strictly attributes are matched.
pub fn typed_json() -> BoxedStrategy<(Type, J, Attrs)> {
    typed_type()
        .prop_flat_map(|t| {
            let j = json_like(&t);
            let attrs = prop_oneof![Just(Attrs::Strict), Just(Attrs::DropUnknown)];
            (Just(t), j, attrs)
        })
        .boxed()
}

/// One change to an encoding.
#[derive(Clone, Debug)]
pub enum Edit {
    /// XOR a byte with a non-zero mask.
    Flip(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    Truncate(Index),
}

pub fn edits() -> BoxedStrategy<Vec<Edit>> {
    let edit = prop_oneof![
        (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Edit::Flip(i, m)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Remove),
        any::<Index>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..4).boxed()
}

/// `bytes` with `edits` made in turn.
fn edited(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for e in edits {
        match e {
            Edit::Insert(i, byte) => {
                let at = i.index(b.len() + 1);
                b.insert(at, *byte);
            }
            _ if b.is_empty() => {}
            Edit::Flip(i, mask) => {
                let at = i.index(b.len());
                b[at] ^= mask;
            }
            Edit::Remove(i) => {
                b.remove(i.index(b.len()));
            }
            Edit::Truncate(i) => b.truncate(i.index(b.len())),
        }
    }
    b
}

/// A valid value's encoding with a few edits.
pub fn edited_value(wire: Wire) -> BoxedStrategy<(Type, Value, Vec<Edit>)> {
    typed_value(wire)
        .prop_flat_map(|(t, v)| (Just(t), Just(v), edits()))
        .boxed()
}

/// How a deeply nested input is built.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// One-element arrays inside each other, as a list of lists of ... strings.
    Lists,
    /// `{"k": {"k": ...}}`, as a map of maps of ... strings.
    Maps,
    /// Arrays with 32-bit length headers.
    WideLists,
    /// `dynamic` values inside each other, each a list of one `dynamic` value.
    Dynamics,
    /// One `dynamic` value whose type JSON spells out the whole depth.
    DeepTypeJson,
}

/// A shape and a depth, from shallow to far past every bound.
pub fn deep() -> BoxedStrategy<(Shape, usize)> {
    const SHAPES: &[Shape] = &[
        Shape::Lists,
        Shape::Maps,
        Shape::WideLists,
        Shape::Dynamics,
        Shape::DeepTypeJson,
    ];
    let shape = prop::sample::select(SHAPES);
    let depth = prop_oneof![
        4 => 0..=2 * MAX_NESTING + 20,
        1 => 100..5_000usize,
        1 => Just(200_000usize),
    ];
    (shape, depth).boxed()
}

/// The deepest type the deep inputs are decoded as: past both readers' own bounds,
/// so that deeper inputs fail there, while the type itself stays small enough to
/// build, print and drop.
const DEEPEST_TYPE: usize = 200;

/// `ty` inside `depth` lists (at most [`DEEPEST_TYPE`]).
fn lists_of(ty: Type, depth: usize) -> Type {
    (0..depth.min(DEEPEST_TYPE)).fold(ty, |t, _| Type::list(t))
}

fn maps_of(ty: Type, depth: usize) -> Type {
    (0..depth.min(DEEPEST_TYPE)).fold(ty, |t, _| Type::map(t))
}

/// The type JSON of strings inside `depth` lists, as text (however deep).
fn lists_json(depth: usize) -> String {
    format!(
        "{}\"string\"{}",
        r#"["list","#.repeat(depth),
        "]".repeat(depth)
    )
}

/// The msgpack bytes of a `shape` nested `depth` levels, with the type to decode
/// them as.
pub fn deep_msgpack(shape: Shape, depth: usize) -> (Vec<u8>, Type) {
    let leaf = [0xa1, b'x'];
    let mut b = Vec::new();
    let ty = match shape {
        Shape::Lists | Shape::WideLists => {
            for _ in 0..depth {
                match shape {
                    Shape::Lists => b.push(0x91),
                    _ => b.extend_from_slice(&[0xdd, 0, 0, 0, 1]),
                }
            }
            b.extend_from_slice(&leaf);
            lists_of(Type::String, depth)
        }
        Shape::Maps => {
            for _ in 0..depth {
                b.extend_from_slice(&[0x81, 0xa1, b'k']);
            }
            b.extend_from_slice(&leaf);
            maps_of(Type::String, depth)
        }
        Shape::Dynamics => {
            let list_of_dynamic = br#"["list","dynamic"]"#;
            for _ in 0..depth {
                b.extend_from_slice(&[0x92, 0xc4, list_of_dynamic.len() as u8]);
                b.extend_from_slice(list_of_dynamic);
                b.push(0x91);
            }
            b.extend_from_slice(&[0x92, 0xc4, 8]);
            b.extend_from_slice(br#""string""#);
            b.extend_from_slice(&leaf);
            Type::Dynamic
        }
        Shape::DeepTypeJson => {
            let tj = lists_json(depth);
            b.extend_from_slice(&[0x92, 0xc6]);
            b.extend_from_slice(&(tj.len() as u32).to_be_bytes());
            b.extend_from_slice(tj.as_bytes());
            b.extend(std::iter::repeat_n(0x91, depth));
            b.extend_from_slice(&leaf);
            Type::Dynamic
        }
    };
    (b, ty)
}

/// The JSON text of a `shape` nested `depth` levels, with the type to decode it as.
pub fn deep_json(shape: Shape, depth: usize) -> (String, Type) {
    match shape {
        Shape::Lists | Shape::WideLists => (
            format!("{}\"x\"{}", "[".repeat(depth), "]".repeat(depth)),
            lists_of(Type::String, depth),
        ),
        Shape::Maps => (
            format!("{}\"x\"{}", "{\"k\":".repeat(depth), "}".repeat(depth)),
            maps_of(Type::String, depth),
        ),
        Shape::Dynamics => (
            format!(
                "{}{{\"type\":\"string\",\"value\":\"x\"}}{}",
                r#"{"type":["list","dynamic"],"value":["#.repeat(depth),
                "]}".repeat(depth)
            ),
            Type::Dynamic,
        ),
        Shape::DeepTypeJson => (
            format!(
                "{{\"type\":{},\"value\":{}\"x\"{}}}",
                lists_json(depth),
                "[".repeat(depth),
                "]".repeat(depth)
            ),
            Type::Dynamic,
        ),
    }
}

/// A value, a place inside it, and a pick among the wrong kinds for that place.
pub fn misplaced(wire: Wire) -> BoxedStrategy<(Type, Value, Index, usize)> {
    typed_value(wire)
        .prop_flat_map(|(t, v)| (Just(t), Just(v), any::<Index>(), 0..4usize))
        .boxed()
}

/// A value, a place inside it for an unknown, and the unknown's extension code and
/// payload length.
pub fn unknown_marks() -> BoxedStrategy<(Type, Value, Index, i8, usize)> {
    typed_value(Wire::Msgpack)
        .prop_flat_map(|(t, v)| {
            let len = prop_oneof![Just(1usize), Just(16usize), 0..300usize];
            (Just(t), Just(v), any::<Index>(), any::<i8>(), len)
        })
        .boxed()
}

// ------------------------------------------------------------------ properties

fn fail(msg: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(msg.to_string())
}

/// How many collections deep `v` nests.
pub fn nesting(v: &Value) -> usize {
    match v {
        Value::List(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Map(m) => 1 + m.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// Whether some number inside `v` is one `f` holds for.
fn any_number(v: &Value, f: &impl Fn(f64) -> bool) -> bool {
    match v {
        Value::Number(n) => f(n.as_f64()),
        Value::List(items) => items.iter().any(|i| any_number(i, f)),
        Value::Map(m) => m.values().any(|i| any_number(i, f)),
        _ => false,
    }
}

/// What every decoded value is: never NaN (Terraform's numbers cannot hold it),
/// never nested past the bound.
fn sane(v: &Value) -> Result<(), TestCaseError> {
    prop_assert!(
        nesting(v) <= MAX_NESTING,
        "decoded a value nested {} deep",
        nesting(v)
    );
    prop_assert!(!any_number(v, &|f| f.is_nan()), "decoded a NaN: {:?}", v);
    Ok(())
}

/// `v` (of `ty`) encodes as msgpack, decodes to itself, and its encoding is a
/// fixed point.
fn msgpack_again(v: &Value, ty: &Type) -> Result<(), TestCaseError> {
    let bytes = codec::to_msgpack(v, ty).map_err(|e| fail(format!("does not encode: {e}")))?;
    let back = codec::from_msgpack(&bytes, ty)
        .map_err(|e| fail(format!("its encoding does not decode: {e}")))?;
    prop_assert_eq!(&back, v);
    prop_assert_eq!(codec::to_msgpack(&back, ty).ok(), Some(bytes));
    Ok(())
}

/// `v` (of `ty`, wholly known) encodes as JSON and decodes to itself.
fn json_again(v: &Value, ty: &Type) -> Result<(), TestCaseError> {
    let j = codec::to_json(v, ty).map_err(|e| fail(format!("has no JSON form: {e}")))?;
    let text = j.to_string();
    let back = codec::from_json(text.as_bytes(), ty, Attrs::Strict)
        .map_err(|e| fail(format!("its JSON {text} does not decode: {e}")))?;
    prop_assert_eq!(&back, v);
    Ok(())
}

/// Decoding `bytes` as msgpack of `ty` never panics. A value that decodes is sane,
/// encodes again to bytes that decode to the same value, and, when wholly known and
/// finite, has a JSON form that decodes to it too.
pub fn msgpack_input(bytes: &[u8], ty: &Type) -> Result<bool, TestCaseError> {
    let Ok(v) = codec::from_msgpack(bytes, ty) else {
        return Ok(false);
    };
    sane(&v)?;
    msgpack_again(&v, ty)?;
    if v.is_wholly_known() && !any_number(&v, &|f| f.is_infinite()) {
        json_again(&v, ty)?;
    }
    Ok(true)
}

/// Decoding JSON text as `ty` never panics. A value that decodes is sane, wholly
/// known and finite, and goes through JSON and msgpack to itself.
pub fn json_input(text: &[u8], ty: &Type, attrs: Attrs) -> Result<bool, TestCaseError> {
    let Ok(v) = codec::from_json(text, ty, attrs) else {
        return Ok(false);
    };
    sane(&v)?;
    prop_assert!(v.is_wholly_known(), "JSON decoded to an unknown: {:?}", v);
    prop_assert!(
        !any_number(&v, &|f| f.is_infinite()),
        "JSON decoded to an infinity"
    );
    json_again(&v, ty)?;
    msgpack_again(&v, ty)?;
    Ok(true)
}

/// A value the provider builds encodes, and decodes to itself; every proper prefix
/// of its msgpack encoding is refused (never read as a shorter value).
pub fn value_round_trips(ty: &Type, v: &Value, wire: Wire) -> Result<bool, TestCaseError> {
    match wire {
        Wire::Json => json_again(v, ty)?,
        Wire::Msgpack => {
            msgpack_again(v, ty)?;
            let bytes = codec::to_msgpack(v, ty).map_err(fail)?;
            let step = (bytes.len() / 256).max(1);
            for cut in (0..bytes.len()).step_by(step) {
                prop_assert!(
                    codec::from_msgpack(&bytes[..cut], ty).is_err(),
                    "the first {} of {} bytes decoded",
                    cut,
                    bytes.len()
                );
            }
        }
    }
    Ok(true)
}

/// A valid value's encoding, edited, decodes (and round-trips) or is refused.
pub fn edited_input(
    ty: &Type,
    v: &Value,
    edits: &[Edit],
    wire: Wire,
) -> Result<bool, TestCaseError> {
    match wire {
        Wire::Msgpack => {
            let bytes = codec::to_msgpack(v, ty).map_err(fail)?;
            msgpack_input(&edited(&bytes, edits), ty)
        }
        Wire::Json => {
            let text = codec::to_json(v, ty).map_err(fail)?.to_string();
            json_input(&edited(text.as_bytes(), edits), ty, Attrs::Strict)
        }
    }
}

/// A deeply nested input decodes exactly when it nests no deeper than
/// [`MAX_NESTING`] (and then round-trips); deeper ones are refused with an error
/// that says so, without exhausting the stack.
pub fn deep_input(shape: Shape, depth: usize) -> Result<bool, TestCaseError> {
    let (bytes, ty) = deep_msgpack(shape, depth);
    let msgpack = check_depth(depth, codec::from_msgpack(&bytes, &ty), "msgpack")?;
    if msgpack {
        msgpack_input(&bytes, &ty)?;
    }
    let (text, ty) = deep_json(shape, depth);
    let json = check_depth(
        depth,
        codec::from_json(text.as_bytes(), &ty, Attrs::Strict),
        "JSON",
    )?;
    if json {
        json_input(text.as_bytes(), &ty, Attrs::Strict)?;
    }
    Ok(msgpack && json)
}

fn check_depth(
    depth: usize,
    got: Result<Value, codec::CodecError>,
    wire: &str,
) -> Result<bool, TestCaseError> {
    match got {
        Ok(v) => {
            prop_assert!(
                depth <= MAX_NESTING,
                "{} nested {} deep decoded",
                wire,
                depth
            );
            prop_assert_eq!(nesting(&v), depth);
            Ok(true)
        }
        Err(e) => {
            prop_assert!(
                depth > MAX_NESTING,
                "{} nested {} deep refused: {}",
                wire,
                depth,
                e
            );
            let said = e.0.contains("nest") || e.0.contains("recursion limit");
            prop_assert!(
                said,
                "{} nested {} deep refused for another reason: {}",
                wire,
                depth,
                e
            );
            Ok(false)
        }
    }
}

/// Every place inside `v` (of `ty`): the path to it and its type. Descends through
/// known collections, and not into `dynamic` values (their type is their own).
fn places(ty: &Type, v: &Value, at: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, Type)>) {
    out.push((at.clone(), ty.clone()));
    let mut visit = |step: Step, t: &Type, item: &Value, out: &mut Vec<_>| {
        at.push(step);
        places(t, item, at, out);
        at.pop();
    };
    match (ty, v) {
        (Type::List(e) | Type::Set(e), Value::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                visit(Step::Index(i as i64), e, item, out);
            }
        }
        (Type::Tuple(elems), Value::List(items)) => {
            for (i, (item, t)) in items.iter().zip(elems).enumerate() {
                visit(Step::Index(i as i64), t, item, out);
            }
        }
        (Type::Map(e), Value::Map(m)) => {
            for (k, item) in m {
                visit(Step::Key(k.clone()), e, item, out);
            }
        }
        (Type::Object(attrs), Value::Map(m)) => {
            for (k, t) in attrs {
                visit(
                    Step::Attr(k.clone()),
                    t,
                    m.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ => {}
    }
}

/// A known value of a kind `ty` does not accept, with its own type.
fn wrong_for(ty: &Type, pick: usize) -> (Type, Value) {
    let kinds = [
        (Type::Bool, Value::Bool(true)),
        (Type::Number, Value::int(7)),
        (Type::String, Value::string("seven")),
        (Type::list(Type::String), Value::string_list(["x"])),
        (
            Type::map(Type::String),
            Value::object([("x", Value::string("y"))]),
        ),
    ];
    let fits = |wrong: &Type| match ty {
        Type::Bool | Type::Number | Type::String => wrong == ty,
        Type::List(_) | Type::Set(_) | Type::Tuple(_) => matches!(wrong, Type::List(_)),
        Type::Map(_) | Type::Object(_) => matches!(wrong, Type::Map(_)),
        Type::Dynamic => false,
    };
    let wrong: Vec<_> = kinds.into_iter().filter(|(t, _)| !fits(t)).collect();
    wrong[pick % wrong.len()].clone()
}

/// `v`'s msgpack encoding with the item at `path` replaced by `item`.
fn splice_msgpack(v: &Value, ty: &Type, path: &[Step], item: &[u8]) -> Vec<u8> {
    let Some((step, rest)) = path.split_first() else {
        return item.to_vec();
    };
    let enc = |v: &Value, t: &Type| codec::to_msgpack(v, t).expect("a generated value encodes");
    let mut out = Vec::new();
    match (ty, v, step) {
        (Type::List(_) | Type::Set(_) | Type::Tuple(_), Value::List(items), Step::Index(n)) => {
            rmp::encode::write_array_len(&mut out, items.len() as u32).expect("in memory");
            for (i, x) in items.iter().enumerate() {
                let t = match ty {
                    Type::Tuple(elems) => &elems[i],
                    Type::List(e) | Type::Set(e) => e,
                    _ => unreachable!(),
                };
                out.extend(if i as i64 == *n {
                    splice_msgpack(x, t, rest, item)
                } else {
                    enc(x, t)
                });
            }
        }
        (Type::Map(e), Value::Map(m), Step::Key(key)) => {
            rmp::encode::write_map_len(&mut out, m.len() as u32).expect("in memory");
            for (k, x) in m {
                rmp::encode::write_str(&mut out, k).expect("in memory");
                out.extend(if k == key {
                    splice_msgpack(x, e, rest, item)
                } else {
                    enc(x, e)
                });
            }
        }
        (Type::Object(attrs), Value::Map(m), Step::Attr(name)) => {
            rmp::encode::write_map_len(&mut out, attrs.len() as u32).expect("in memory");
            for (k, t) in attrs {
                let x = m.get(k).unwrap_or(&Value::Null);
                rmp::encode::write_str(&mut out, k).expect("in memory");
                out.extend(if k == name {
                    splice_msgpack(x, t, rest, item)
                } else {
                    enc(x, t)
                });
            }
        }
        _ => unreachable!("places() yields only steps into collections"),
    }
    out
}

/// The JSON node at `path` (steps that `places` found).
fn json_at<'a>(j: &'a mut J, path: &[Step]) -> &'a mut J {
    path.iter().fold(j, |j, step| match step {
        Step::Attr(k) | Step::Key(k) => &mut j[k.as_str()],
        Step::Index(i) => &mut j[*i as usize],
    })
}

/// `v` with the value at `path` replaced by `item`.
fn replaced(v: &Value, path: &[Step], item: Value) -> Value {
    let Some((step, rest)) = path.split_first() else {
        return item;
    };
    let mut v = v.clone();
    match (&mut v, step) {
        (Value::List(items), Step::Index(i)) => {
            let i = *i as usize;
            items[i] = replaced(&items[i], rest, item);
        }
        (Value::Map(m), Step::Attr(k) | Step::Key(k)) => {
            let old = m.get(k).cloned().unwrap_or_default();
            m.insert(k.clone(), replaced(&old, rest, item));
        }
        _ => unreachable!("places() yields only steps into collections"),
    }
    v
}

fn pick_place(ty: &Type, v: &Value, at: &Index) -> (Vec<Step>, Type) {
    let mut all = Vec::new();
    places(ty, v, &mut Vec::new(), &mut all);
    all.swap_remove(at.index(all.len()))
}

/// A value of the wrong kind at any place in an otherwise valid encoding (msgpack
/// and JSON) is refused, and the error names that place's attribute path.
pub fn misplaced_kind(
    ty: &Type,
    v: &Value,
    at: &Index,
    pick: usize,
) -> Result<bool, TestCaseError> {
    let (path, sub) = pick_place(ty, v, at);
    let (wt, wv) = wrong_for(&sub, pick);
    let named = AttrPath(path.clone()).to_string();
    let says_where =
        |e: &codec::CodecError| path.is_empty() || e.0.starts_with(&format!("{named}: "));

    let item = codec::to_msgpack(&wv, &wt).map_err(fail)?;
    let bytes = splice_msgpack(v, ty, &path, &item);
    match codec::from_msgpack(&bytes, ty) {
        Ok(got) => return Err(fail(format!("msgpack {wv:?} at {named} decoded: {got:?}"))),
        Err(e) => prop_assert!(
            says_where(&e),
            "msgpack error {:?} does not name {}",
            e.0,
            named
        ),
    }
    if v.is_wholly_known() && !any_number(v, &|f| f.is_infinite()) {
        let mut j = codec::to_json(v, ty).map_err(fail)?;
        *json_at(&mut j, &path) = codec::to_json(&wv, &wt).map_err(fail)?;
        match codec::from_json(j.to_string().as_bytes(), ty, Attrs::Strict) {
            Ok(got) => return Err(fail(format!("JSON {wv:?} at {named} decoded: {got:?}"))),
            Err(e) => prop_assert!(
                says_where(&e),
                "JSON error {:?} does not name {}",
                e.0,
                named
            ),
        }
    }
    Ok(false)
}

/// An extension value (any code, any payload: refinements included) at any place
/// decodes as unknown there, and nothing else changes.
pub fn unknown_mark(
    ty: &Type,
    v: &Value,
    at: &Index,
    code: i8,
    len: usize,
) -> Result<bool, TestCaseError> {
    let (path, _) = pick_place(ty, v, at);
    let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
    let ext = Doc::Ext(code, payload).to_bytes();
    let bytes = splice_msgpack(v, ty, &path, &ext);
    let got = codec::from_msgpack(&bytes, ty).map_err(|e| fail(format!("refused: {e}")))?;
    prop_assert_eq!(got, replaced(v, &path, Value::Unknown));
    Ok(true)
}

/// A type's JSON describes it exactly, through text too.
pub fn type_json_round_trips(t: &Type) -> Result<bool, TestCaseError> {
    let j = t.to_json();
    prop_assert_eq!(Type::from_json(&j), Ok(t.clone()));
    let text: J = serde_json::from_str(&j.to_string()).map_err(fail)?;
    prop_assert_eq!(Type::from_json(&text), Ok(t.clone()));
    Ok(true)
}

/// Any JSON is a type or an error, never a panic; a type read this way describes
/// itself the same way again.
pub fn json_as_type(j: &J) -> Result<bool, TestCaseError> {
    match Type::from_json(j) {
        Ok(t) => {
            prop_assert_eq!(Type::from_json(&t.to_json()), Ok(t));
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}
