//! Text a client sends, checked in one place before any handler runs (called by the request
//! middleware in `app.rs`): every string in a JSON body (keys too), every query parameter and
//! the path. Control characters (NUL and the rest of C0, DEL, C1) are refused with a 422 in the
//! one error shape — PostgreSQL cannot store NUL at all (it answered 500), SQLite stores it and
//! it then breaks exports, logs and the mini-program. Tab, newline and carriage return are kept:
//! comments and descriptions have several lines.
//!
//! Names must also show something: `blank` treats zero-width characters as nothing.

use crate::error::ApiError;
use serde_json::Value;

/// A character no text field accepts.
pub fn forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Characters that take no space on screen (a "name" made of them looks empty).
const INVISIBLE: [char; 8] = [
    '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{2060}', '\u{FEFF}', '\u{00AD}',
];

/// Empty once whitespace and zero-width characters are removed.
pub fn blank(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_whitespace() || INVISIBLE.contains(&c) || c.is_control())
}

/// A filter given as one of a fixed set of words: anything else is a 422 naming the choices
/// (an unknown value must not quietly mean "no match" or "no filter").
pub fn one_of(param: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(ApiError::validation(format!(
            "参数 {param} 只能是 {}",
            allowed.join("、")
        ))
        .with_details(serde_json::json!({ "param": param, "allowed": allowed }))),
        _ => Ok(()),
    }
}

fn refused(field: &str) -> ApiError {
    ApiError::validation(format!("{field} 含有不允许的控制字符"))
        .with_details(serde_json::json!({ "field": field, "reason": "control_character" }))
}

/// Walks a JSON document; the first string (or key) with a forbidden character names its field.
fn find_in_json(v: &Value, field: &str) -> Option<String> {
    match v {
        Value::String(s) => s.chars().any(forbidden_char).then(|| field.to_string()),
        Value::Array(items) => items.iter().find_map(|i| find_in_json(i, field)),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.chars().any(forbidden_char) {
                Some("(字段名)".to_string())
            } else {
                find_in_json(v, k)
            }
        }),
        _ => None,
    }
}

/// A JSON body. Bodies that are not JSON are left to the handler's own parser (which
/// answers `invalid_body`).
pub fn check_json_body(bytes: &[u8]) -> Result<(), ApiError> {
    // Fast path: no raw control byte, no escape and no C1 lead byte (0xC2): nothing to find.
    if !bytes
        .iter()
        .any(|b| *b < 0x20 || *b == 0x7f || *b == b'\\' || *b == 0xc2)
    {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => match find_in_json(&v, "请求内容") {
            Some(field) => Err(refused(&field)),
            None => Ok(()),
        },
        Err(_) => Ok(()),
    }
}

/// `%XX` decoding (and `+` as space in queries), lossy: invalid UTF-8 becomes U+FFFD.
fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query string: every parameter name and value, decoded.
pub fn check_query(query: &str) -> Result<(), ApiError> {
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(k, true);
        if name.chars().any(forbidden_char) {
            return Err(refused("(参数名)"));
        }
        if percent_decode(v, true).chars().any(forbidden_char) {
            return Err(refused(&name));
        }
    }
    Ok(())
}

/// The path, decoded (a path parameter is text too).
pub fn check_path(path: &str) -> Result<(), ApiError> {
    if percent_decode(path, false).chars().any(forbidden_char) {
        return Err(refused("请求路径"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_everywhere() {
        assert!(check_json_body(br#"{"comment":"\u0000"}"#).is_err());
        assert!(check_json_body(br#"{"a":[{"b":"x\u001by"}]}"#).is_err());
        assert!(check_json_body("{\"a\":\"\u{85}\"}".as_bytes()).is_err());
        assert!(check_json_body(br#"{"a\u0000":1}"#).is_err());
        assert!(check_json_body(br#"{"comment":"line 1\nline 2\ttab"}"#).is_ok());
        assert!(check_json_body("{\"title\":\"书法讲座\"}".as_bytes()).is_ok());
        assert!(
            check_json_body(b"not json \x00").is_ok(),
            "left to the parser"
        );
        assert!(check_query("q=%00").is_err());
        assert!(check_query("q=a%7Fb").is_err());
        assert!(check_query("%01=x").is_err());
        assert!(check_query("q=%E4%B9%A6%E6%B3%95&page=2").is_ok());
        assert!(check_query("q=100%").is_ok());
        assert!(check_path("/api/v1/org/units/%00").is_err());
        assert!(check_path("/api/v1/org/units/12").is_ok());
        assert_eq!(percent_decode("a+b%20c%", true), "a b c%");
    }

    #[test]
    fn zero_width_names_are_blank() {
        assert!(blank("\u{200B}\u{200D} \u{FEFF}"));
        assert!(blank("  "));
        assert!(!blank("王\u{200B}明"));
    }
}
