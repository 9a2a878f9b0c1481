//! JSON text as serde_json writes it, without going through its serializer: template
//! files (pretty, two-space indent) and strings (escaped), and the compact size a
//! template has when sent. Every synthesis writes and measures each template, and the
//! serializer's general path (a formatter call per token, a table lookup per byte)
//! took a tenth of `synth --all`. `tests` compare every function with serde_json.

use serde_json::Value as Json;

/// `template` as `serde_json::to_string_pretty` writes it, plus a final newline: the
/// text of a template file.
pub(crate) fn pretty_file(template: &Json) -> String {
    // Most templates' text is a few dozen kilobytes; a bigger one grows the string a
    // few times, which costs less than measuring it first.
    let mut out = String::with_capacity(64 * 1024);
    write_pretty(&mut out, template, 0);
    out.push('\n');
    out
}

fn write_pretty(out: &mut String, value: &Json, depth: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Number(n) => push_number(out, n),
        Json::String(s) => push_json_string(out, s),
        Json::Array(items) if items.is_empty() => out.push_str("[]"),
        Json::Object(map) if map.is_empty() => out.push_str("{}"),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                write_pretty(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                push_json_string(out, key);
                out.push_str(": ");
                write_pretty(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = depth * 2;
    while n > 0 {
        let step = n.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        n -= step;
    }
}

/// A number as serde_json writes it (integers in decimal, floats the shortest way that
/// reads back the same, which `Display` does not always choose): rare in templates, so
/// written by serde_json itself.
fn push_number(out: &mut String, n: &serde_json::Number) {
    out.push_str(&serde_json::to_string(n).unwrap_or_else(|_| n.to_string()));
}

/// Whether serde_json escapes any byte of `bytes`: `"`, `\\` and the control characters.
fn needs_escape(bytes: &[u8]) -> bool {
    // One pass without branches, which the compiler vectorizes (a third of the
    // instructions of counting them); almost no string needs an escape.
    bytes.iter().fold(false, |any, &b| any | (b < 0x20) | (b == b'"') | (b == b'\\'))
}

/// Appends `s` as a JSON string, in quotes, escaped as serde_json escapes it: `\"`,
/// `\\`, the short forms of backspace, tab, newline, form feed and carriage return, and
/// `\u00xx` for the other control characters. Nothing else is escaped.
pub fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    if !needs_escape(s.as_bytes()) {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if u32::from(c) < 0x20 => {
                    let b = u32::from(c) as usize;
                    out.push_str("\\u00");
                    out.push(char::from(HEX[b >> 4]));
                    out.push(char::from(HEX[b & 0xf]));
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

/// The length of the compact JSON of `template` (what `serde_json::to_string` writes),
/// counted from the values without writing anything: asked for every stack at every
/// synthesis, and serializing a template only to count it took as long as writing its
/// file. Stops adding once past `limit`: the result is then only known to be above it.
pub(crate) fn compact_len(template: &Json, limit: usize) -> usize {
    let mut len = 0usize;
    let mut pending = vec![template];
    while let Some(value) = pending.pop() {
        len = len.saturating_add(match value {
            Json::Null => 4,
            Json::Bool(true) => 4,
            Json::Bool(false) => 5,
            Json::Number(n) => number_len(n),
            Json::String(s) => string_len(s),
            Json::Array(items) => {
                pending.extend(items);
                // The brackets and the commas between items.
                2 + items.len().saturating_sub(1)
            }
            Json::Object(map) => {
                pending.extend(map.values());
                // Braces, commas, and each key with its colon.
                2 + map.len().saturating_sub(1) + map.keys().map(|k| string_len(k) + 1).sum::<usize>()
            }
        });
        if len > limit {
            break;
        }
    }
    len
}

/// The length of a number as [`push_number`] writes it: rare in templates.
fn number_len(n: &serde_json::Number) -> usize {
    let mut text = String::new();
    push_number(&mut text, n);
    text.len()
}

/// The length of a string as [`push_json_string`] writes it; written out only when it
/// needs an escape (almost never), so the escape rules live in one place.
fn string_len(s: &str) -> usize {
    if !needs_escape(s.as_bytes()) {
        return s.len() + 2;
    }
    let mut text = String::with_capacity(s.len() + 8);
    push_json_string(&mut text, s);
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every kind of value, the escapes serde_json writes, numbers it writes its own way.
    fn awkward_template() -> Json {
        json!({
            "Resources": {
                "Quoted": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": "say \"hi\"\\ \u{0}\u{1f}\u{8}\t\n\u{c}\r/\u{7f} é ✓"}},
                "Numbers": [0, -1, 18446744073709551615u64, -9223372036854775808i64, 0.1, 1e20, 1.5e-7, -0.0, 3.0],
                "Empty": [{}, [], "", null, true, false, [[]], {"": {}}],
            },
            "Description": "",
        })
    }

    #[test]
    fn the_counted_size_is_the_size_serde_json_writes() {
        let template = awkward_template();
        let written = serde_json::to_string(&template).unwrap();
        assert_eq!(compact_len(&template, usize::MAX), written.len(), "{written}");
        for value in template["Resources"]["Numbers"].as_array().unwrap() {
            assert_eq!(
                compact_len(value, usize::MAX),
                serde_json::to_string(value).unwrap().len(),
                "{value}"
            );
        }
    }

    #[test]
    fn the_compact_size_is_compared_exactly_at_the_limit() {
        // `"aaaa…"` in compact JSON is the string plus its two quotes.
        let template = json!("a".repeat(98));
        assert_eq!(compact_len(&template, usize::MAX), 100);
        assert_eq!(compact_len(&template, 100), 100);
        assert!(compact_len(&template, 99) > 99);
        assert_eq!(serde_json::to_string(&template).unwrap().len(), 100);
    }

    #[test]
    fn files_and_strings_are_written_as_serde_json_writes_them() {
        let template = awkward_template();
        // Deeper than the indentation buffer is long.
        let mut deep = json!([1]);
        for level in 0..40 {
            deep = json!({ format!("level{level}"): deep });
        }
        let mut template = template;
        template["Resources"]["Deep"] = deep;
        assert_eq!(pretty_file(&template), serde_json::to_string_pretty(&template).unwrap() + "\n");
        for value in [json!({}), json!([]), json!("x"), json!(1), json!(null), json!([{"a": []}])] {
            assert_eq!(pretty_file(&value), serde_json::to_string_pretty(&value).unwrap() + "\n");
        }
        let mut out = String::new();
        push_json_string(&mut out, "a\u{1}\"b");
        assert_eq!(out, serde_json::to_string("a\u{1}\"b").unwrap());
    }
}
