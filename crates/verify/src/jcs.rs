//! RFC 8785 JSON Canonicalization Scheme, for the values Probant writes:
//! objects with members sorted by UTF-16 code units, no insignificant
//! whitespace, strings escaped as ECMAScript's `JSON.stringify` does, and
//! integers. Non-integral numbers are refused rather than approximated:
//! Probant documents carry none, and a verifier must not guess.
use serde_json::Value;

use crate::Error;

/// The canonical text of `value`.
pub fn canonicalize(value: &Value) -> Result<String, Error> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Ok(out)
}

/// Parses `text` and tells whether it is exactly its own canonical form.
pub fn is_canonical(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| canonicalize(&v).ok())
        .is_some_and(|c| c == text)
}

fn write_value(out: &mut String, value: &Value) -> Result<(), Error> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_number(out: &mut String, n: &serde_json::Number) -> Result<(), Error> {
    // Integers beyond 2^53 would not survive an IEEE 754 round trip, which
    // RFC 8785 assumes; refuse them like non-integers.
    const SAFE: u64 = 1 << 53;
    if let Some(u) = n.as_u64().filter(|u| *u <= SAFE) {
        out.push_str(&u.to_string());
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= SAFE) {
        out.push_str(&i.to_string());
    } else {
        return Err(Error::NotCanonicalisable {
            detail: format!("number {n} is not an integer within ±2^53"),
        });
    }
    Ok(())
}

/// Appends `s` as an RFC 8785 string literal (quotes and escapes).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_by_utf16_and_escapes_like_ecmascript() {
        // RFC 8785 §3.2.3 ordering example, reduced: "\u{20ac}" (U+20AC) sorts
        // before "\u{1f600}" (a surrogate pair D83D…) and after "\r".
        let v = json!({"\u{1f600}": 1, "\u{20ac}": 2, "\r": 3, "1": 4, "a\u{1}": "\u{1}/\u{7f}"});
        assert_eq!(
            canonicalize(&v).unwrap(),
            "{\"\\r\":3,\"1\":4,\"a\\u0001\":\"\\u0001/\u{7f}\",\"\u{20ac}\":2,\"\u{1f600}\":1}"
        );
    }

    #[test]
    fn refuses_non_integers_and_unsafe_integers() {
        assert!(canonicalize(&json!(1.5)).is_err());
        assert!(canonicalize(&json!(u64::MAX)).is_err());
        assert_eq!(canonicalize(&json!(-7)).unwrap(), "-7");
    }

    #[test]
    fn canonical_form_is_recognised() {
        assert!(is_canonical("{\"a\":[1,true,null],\"b\":\"x\"}"));
        assert!(!is_canonical("{\"b\":\"x\",\"a\":1}"));
        assert!(!is_canonical("{\"a\": 1}"));
    }
}
