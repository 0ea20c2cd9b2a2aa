//! IAM policy documents as AWS reads them: URL-encoded on the way back, and
//! equal by meaning rather than by text.
//!
//! IAM returns role trust policies and inline policies URL-encoded (RFC 3986).
//! Two documents mean the same when they differ only in forms IAM treats as
//! equivalent: a single string or a one-element list (`Action`, `Resource`,
//! principals, condition values), a `Statement` object or a one-statement
//! list, `"Principal": "*"` or `{"AWS": "*"}`, the order of list elements and
//! of statements, and key order and whitespace.

use serde_json::{Map, Value};

/// A policy document as IAM returned it, decoded (a document that is not
/// URL-encoded passes unchanged).
pub fn decode(doc: &str) -> String {
    percent_encoding::percent_decode_str(doc)
        .decode_utf8_lossy()
        .into_owned()
}

/// True when the policy documents `a` and `b` mean the same. A document that
/// is not JSON equals only the same text.
pub fn same(a: &str, b: &str) -> bool {
    match (serde_json::from_str(a), serde_json::from_str(b)) {
        (Ok(a), Ok(b)) => canonical(a) == canonical(b),
        _ => a == b,
    }
}

/// The canonical form of a policy: every equivalent form spelled one way.
fn canonical(mut doc: Value) -> Value {
    if let Some(obj) = doc.as_object_mut() {
        if let Some(st) = obj.remove("Statement") {
            let mut list: Vec<Value> = as_list(st).into_iter().map(statement).collect();
            list.sort_by_cached_key(Value::to_string);
            obj.insert("Statement".into(), Value::Array(list));
        }
    }
    doc
}

fn statement(mut st: Value) -> Value {
    let Some(obj) = st.as_object_mut() else {
        return st;
    };
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(v) = obj.remove(key) {
            obj.insert(key.into(), set(v));
        }
    }
    for key in ["Principal", "NotPrincipal"] {
        if let Some(v) = obj.remove(key) {
            obj.insert(key.into(), principal(v));
        }
    }
    if let Some(Value::Object(cond)) = obj.remove("Condition") {
        let cond: Map<String, Value> = cond
            .into_iter()
            .map(|(op, keys)| (op, each_value(keys, set)))
            .collect();
        obj.insert("Condition".into(), Value::Object(cond));
    }
    st
}

/// `"*"` is every AWS principal; otherwise each principal type's values as a set.
fn principal(p: Value) -> Value {
    match p {
        Value::String(s) if s == "*" => principal(serde_json::json!({ "AWS": "*" })),
        other => each_value(other, set),
    }
}

fn each_value(v: Value, f: fn(Value) -> Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, f(v))).collect()),
        other => other,
    }
}

/// A string or a list, as a sorted list without repeats.
fn set(v: Value) -> Value {
    let mut items = as_list(v);
    items.sort_by_cached_key(Value::to_string);
    items.dedup();
    Value::Array(items)
}

fn as_list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        one => vec![one],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_iam_encodes() {
        assert_eq!(decode("%7B%22a%22%3A%201%7D"), "{\"a\": 1}");
        assert_eq!(decode("{\"a\":1}"), "{\"a\":1}");
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("a%2Bb"), "a+b");
    }

    #[test]
    fn equal_by_meaning() {
        let base = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Principal":{"Service":["eks.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}"#;
        let same_meaning = [
            // Statement object, strings for one-element lists, other key order.
            r#"{"Statement":{"Action":"sts:AssumeRole","Effect":"Allow",
                "Principal":{"Service":"eks.amazonaws.com"}},"Version":"2012-10-17"}"#,
            // A repeated action.
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
                "Principal":{"Service":"eks.amazonaws.com"},
                "Action":["sts:AssumeRole","sts:AssumeRole"]}]}"#,
        ];
        for doc in same_meaning {
            assert!(same(base, doc), "{doc}");
        }
        let different = [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny",
                "Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
                "Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
                "Principal":{"Service":"eks.amazonaws.com"},
                "Action":["sts:AssumeRole","sts:TagSession"]}]}"#,
        ];
        for doc in different {
            assert!(!same(base, doc), "{doc}");
        }
    }

    #[test]
    fn principals_conditions_and_statement_order() {
        let star = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#;
        let aws_star = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:GetObject"}]}"#;
        assert!(same(star, aws_star));
        let a = r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"x:A"},
            {"Sid":"B","Effect":"Allow","Action":"x:B",
             "Condition":{"StringEquals":{"k":["v1","v2"]}}}]}"#;
        let b = r#"{"Statement":[{"Sid":"B","Effect":"Allow","Action":"x:B",
             "Condition":{"StringEquals":{"k":["v2","v1"]}}},
            {"Sid":"A","Effect":"Allow","Action":["x:A"]}]}"#;
        assert!(same(a, b));
        let c = b.replace("\"v1\"", "\"v3\"");
        assert!(!same(a, &c));
        assert!(same("not json", "not json"));
        assert!(!same("not json", "{}"));
    }
}
