//! Dynamic values as the core exchanges them: known, unknown or null.
//!
//! A [`Value`] carries no type of its own; the schema's [`Type`](super::Type)
//! tells the codecs whether a sequence is a list, set or tuple and whether a
//! mapping is a map or an object. Resource code reads values through the
//! accessors here and builds them with [`Value::object`].

use std::collections::BTreeMap;
use std::fmt;

/// A number as Terraform holds it. Integers stay exact; everything else is f64.
#[derive(Clone, Copy, Debug)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// The number as an integer, if it is one.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            Number::Float(_) => None,
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

/// A Terraform value.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// Not known until apply. Refinements sent by the core are accepted and dropped.
    Unknown,
    /// Absent.
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    /// A list, set or tuple (the type says which).
    List(Vec<Value>),
    /// A map or object (the type says which).
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// Builds an object value from `(attribute, value)` pairs.
    pub fn object<I, K>(attrs: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Map(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A string, or null when `None`.
    pub fn opt_string(s: Option<impl Into<String>>) -> Value {
        s.map_or(Value::Null, |s| Value::String(s.into()))
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    /// A map of strings.
    pub fn string_map<'a, I>(entries: I) -> Value
    where
        I: IntoIterator<Item = (&'a String, &'a String)>,
    {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }

    /// A list of strings.
    pub fn string_list<I, S>(items: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Value::List(items.into_iter().map(|s| Value::String(s.into())).collect())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// This value with every unknown inside it (at any depth) made null.
    pub fn unknown_as_null(self) -> Value {
        match self {
            Value::Unknown => Value::Null,
            Value::List(items) => {
                Value::List(items.into_iter().map(Value::unknown_as_null).collect())
            }
            Value::Map(m) => Value::Map(
                m.into_iter()
                    .map(|(k, v)| (k, v.unknown_as_null()))
                    .collect(),
            ),
            other => other,
        }
    }

    /// An attribute of an object (null when absent or when `self` is not an object).
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Map(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Sets an attribute of an object; a no-op on anything else.
    pub fn set(&mut self, name: &str, v: Value) {
        if let Value::Map(m) = self {
            m.insert(name.to_string(), v);
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// A map of known strings; unknown or null entries are skipped.
    pub fn to_string_map(&self) -> BTreeMap<String, String> {
        self.as_map()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A list of known strings; unknown or null entries are skipped.
    pub fn to_string_vec(&self) -> Vec<String> {
        self.as_list()
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first object of a single-nested block given as a list, or the object itself.
    pub fn block(&self) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::List(items) => items.first().unwrap_or(&NULL),
            other => other,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::int(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wholly_known_looks_inside_collections() {
        let v = Value::object([("a", Value::List(vec![Value::int(1), Value::Unknown]))]);
        assert!(!v.is_wholly_known());
        let v = Value::object([("a", Value::List(vec![Value::int(1), Value::Null]))]);
        assert!(v.is_wholly_known());
    }

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(Number::Int(3), Number::Float(3.0));
        assert_ne!(Number::Int(3), Number::Float(3.5));
        assert_eq!(Number::Float(7.0).as_i64(), Some(7));
        assert_eq!(Number::Float(7.5).as_i64(), None);
    }
}
