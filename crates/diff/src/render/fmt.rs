//! Short, readable forms of template values for people.

use serde_json::Value as Json;

use crate::canonical::is_intrinsic;

/// Values whose one-line form is longer than this are shown as a block.
pub const INLINE_WIDTH: usize = 72;

/// One line, YAML-like: strings quoted, intrinsics in CloudFormation's short form
/// (`!Ref Queue`, `!GetAtt Queue.Arn`), objects `{Key: value}`, lists `[a, b]`.
pub fn inline(v: &Json) -> String {
    match v {
        Json::Null => "null".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => quote(s),
        Json::Array(a) => format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Json::Object(m) if is_intrinsic(v) => {
            let Some((name, arg)) = m.iter().next() else { return "{}".into() };
            let short = name.strip_prefix("Fn::").unwrap_or(name);
            match (short, arg) {
                ("Ref", Json::String(s)) => format!("!Ref {s}"),
                ("GetAtt", Json::String(s)) => format!("!GetAtt {s}"),
                ("GetAtt", Json::Array(a)) if a.len() == 2 && a.iter().all(Json::is_string) => {
                    format!("!GetAtt {}.{}", a[0].as_str().unwrap_or(""), a[1].as_str().unwrap_or(""))
                }
                _ => format!("!{short} {}", inline(arg)),
            }
        }
        Json::Object(m) => {
            let items: Vec<String> = m.iter().map(|(k, v)| format!("{}: {}", key(k), inline(v))).collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// A value over several lines (YAML-like) when it does not fit on one.
pub fn block(v: &Json) -> Vec<String> {
    let one = inline(v);
    if one.chars().count() <= INLINE_WIDTH {
        return vec![one];
    }
    let mut out = Vec::new();
    block_into(v, "", &mut out);
    out
}

fn block_into(v: &Json, indent: &str, out: &mut Vec<String>) {
    let deeper = format!("{indent}  ");
    match v {
        Json::Object(m) if !is_intrinsic(v) && !m.is_empty() => {
            for (k, x) in m {
                let one = inline(x);
                if one.chars().count() + indent.len() + k.len() <= INLINE_WIDTH || !is_container(x) {
                    out.push(format!("{indent}{}: {one}", key(k)));
                } else {
                    out.push(format!("{indent}{}:", key(k)));
                    block_into(x, &deeper, out);
                }
            }
        }
        Json::Array(a) if !a.is_empty() => {
            for x in a {
                let one = inline(x);
                if one.chars().count() + indent.len() <= INLINE_WIDTH || !is_container(x) {
                    out.push(format!("{indent}- {one}"));
                } else {
                    let mut inner = Vec::new();
                    block_into(x, &deeper, &mut inner);
                    for (i, line) in inner.into_iter().enumerate() {
                        if i == 0 {
                            out.push(format!("{indent}- {}", line.trim_start()));
                        } else {
                            out.push(line);
                        }
                    }
                }
            }
        }
        _ => out.push(format!("{indent}{}", inline(v))),
    }
}

fn is_container(v: &Json) -> bool {
    (v.is_object() && !is_intrinsic(v)) || v.is_array()
}

fn quote(s: &str) -> String {
    Json::String(s.to_string()).to_string()
}

/// Object keys bare unless they need quotes.
fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.' | '/'))
    {
        k.to_string()
    } else {
        quote(k)
    }
}

/// A value as the text it stands for, CDK style: `${Queue.Arn}`, `${Bucket}/*`,
/// plain strings unquoted. For tables of statements and rules.
pub fn token(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Object(m) if is_intrinsic(v) => {
            let Some((name, arg)) = m.iter().next() else { return "{}".into() };
            match (name.as_str(), arg) {
                ("Ref", Json::String(s)) => format!("${{{s}}}"),
                ("Fn::GetAtt", Json::String(s)) => format!("${{{s}}}"),
                ("Fn::GetAtt", Json::Array(a)) if a.len() == 2 => format!("${{{}.{}}}", token(&a[0]), token(&a[1])),
                ("Fn::ImportValue", x) => format!("${{Import:{}}}", token(x)),
                ("Fn::Sub", Json::String(s)) => s.clone(),
                ("Fn::Sub", Json::Array(a)) if a.len() == 2 => {
                    let mut s = a[0].as_str().unwrap_or_default().to_string();
                    if let Some(vars) = a[1].as_object() {
                        for (k, x) in vars {
                            s = s.replace(&format!("${{{k}}}"), &token(x));
                        }
                    }
                    s
                }
                ("Fn::Join", Json::Array(a)) if a.len() == 2 && a[0].is_string() && a[1].is_array() => {
                    let sep = a[0].as_str().unwrap_or_default();
                    a[1].as_array()
                        .map(|parts| parts.iter().map(token).collect::<Vec<_>>().join(sep))
                        .unwrap_or_default()
                }
                _ => inline(v),
            }
        }
        other => inline(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms() {
        assert_eq!(inline(&json!({"Ref": "Queue"})), "!Ref Queue");
        assert_eq!(inline(&json!({"Fn::GetAtt": ["Queue", "Arn"]})), "!GetAtt Queue.Arn");
        assert_eq!(inline(&json!({"A": [1, "x"], "b c": true})), r#"{A: [1, "x"], "b c": true}"#);
        assert_eq!(
            token(&json!({"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]})),
            "${Bucket.Arn}/*"
        );
        assert_eq!(token(&json!({"Fn::Sub": ["${A}-x", {"A": {"Ref": "B"}}]})), "${B}-x");
    }

    #[test]
    fn long_values_become_blocks() {
        let v = json!({"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": {"Fn::GetAtt": ["Jobs", "Arn"]}});
        assert_eq!(
            block(&v),
            [
                "Effect: \"Allow\"",
                "Action: [\"sqs:SendMessage\", \"sqs:ReceiveMessage\", \"sqs:DeleteMessage\"]",
                "Resource: !GetAtt Jobs.Arn"
            ]
        );
    }
}
