//! Canonical forms of template values, so that values CloudFormation treats as the
//! same compare equal: key order, `5` / `"5"` / `true` / `"true"`, `Fn::GetAtt`
//! as `"A.B"` or `["A", "B"]`, `Fn::Sub` / `Fn::Join` / a literal string that
//! produce the same text, and in IAM policies the order of statements, actions,
//! resources and principals and a single value vs a one-element list.
//!
//! Only for comparing: diffs show the values as written.

use serde_json::{Map, Value as Json};

/// Where a value sits, which decides what "the same" means for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// Ordinary value.
    Plain,
    /// An array whose order does not matter (`DependsOn`, `SecurityGroupIds`, ...).
    Unordered,
    /// A policy's `Statement`: one statement or a list, in any order.
    Statements,
    /// `Action`, `Resource`, principal values, condition values: one value or a
    /// list, in any order, duplicates ignored.
    ListOf,
    /// A statement's `Principal`: `{"AWS": ..., "Service": ...}`.
    Principal,
    /// A statement's `Condition`: operator → key → values.
    Condition,
    /// One condition operator's block: key → values.
    ConditionOp,
}

/// Arrays whose order CloudFormation and the services ignore.
const UNORDERED_KEYS: &[&str] = &[
    "DependsOn",
    "ManagedPolicyArns",
    "SecurityGroupIds",
    "SecurityGroups",
    "VPCSecurityGroups",
    "VpcSecurityGroupIds",
    "SubnetIds",
    "Subnets",
    "SecurityGroupIngress",
    "SecurityGroupEgress",
    "Roles",
    "Users",
    "Groups",
];

/// The context of `key`'s value inside `parent` (a JSON object) that is in `ctx`.
pub fn child_ctx(ctx: Ctx, parent: &Map<String, Json>, key: &str) -> Ctx {
    match ctx {
        Ctx::Principal | Ctx::ConditionOp => return Ctx::ListOf,
        Ctx::Condition => return Ctx::ConditionOp,
        _ => {}
    }
    if parent.contains_key("Effect") {
        match key {
            "Action" | "NotAction" | "Resource" | "NotResource" => return Ctx::ListOf,
            "Principal" | "NotPrincipal" => return Ctx::Principal,
            "Condition" => return Ctx::Condition,
            _ => {}
        }
    }
    if key == "Statement" {
        return Ctx::Statements;
    }
    if UNORDERED_KEYS.contains(&key) {
        return Ctx::Unordered;
    }
    Ctx::Plain
}

/// Whether `v` is an intrinsic function call (`{"Ref": ..}`, `{"Fn::X": ..}`).
pub fn is_intrinsic(v: &Json) -> bool {
    match v.as_object() {
        Some(m) if m.len() == 1 => m.keys().next().is_some_and(|k| k == "Ref" || k.starts_with("Fn::")),
        _ => false,
    }
}

/// Whether `ctx` accepts one value where it accepts a list.
pub fn is_list_ctx(ctx: Ctx) -> bool {
    matches!(ctx, Ctx::ListOf | Ctx::Statements)
}

/// Whether the order of an array in `ctx` is irrelevant.
pub fn is_unordered_ctx(ctx: Ctx) -> bool {
    matches!(ctx, Ctx::ListOf | Ctx::Statements | Ctx::Unordered)
}

/// Equal after canonicalization.
pub fn canon_eq(a: &Json, b: &Json) -> bool {
    canon_eq_in(a, b, Ctx::Plain)
}

pub fn canon_eq_in(a: &Json, b: &Json, ctx: Ctx) -> bool {
    a == b || canonical_in(a, ctx) == canonical_in(b, ctx)
}

/// Canonical text of a value (sorted keys), for sorting and set membership.
pub fn canon_string(v: &Json, ctx: Ctx) -> String {
    canonical_in(v, ctx).to_string()
}

pub fn canonical(v: &Json) -> Json {
    canonical_in(v, Ctx::Plain)
}

pub fn canonical_in(v: &Json, ctx: Ctx) -> Json {
    match ctx {
        Ctx::ListOf | Ctx::Statements => {
            let items: Vec<&Json> = match v {
                Json::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            sorted(items.into_iter().map(canonical), ctx == Ctx::ListOf)
        }
        Ctx::Unordered => match v {
            Json::Array(a) => sorted(a.iter().map(canonical), false),
            other => canonical(other),
        },
        Ctx::Principal | Ctx::Condition | Ctx::ConditionOp => match v.as_object() {
            Some(m) if !is_intrinsic(v) => object(m, ctx),
            _ => canonical(v),
        },
        Ctx::Plain => match v {
            Json::Null => Json::Null,
            // CloudFormation passes every scalar to the service as a string.
            Json::Bool(b) => Json::String(b.to_string()),
            Json::Number(n) => Json::String(n.to_string()),
            Json::String(s) => Json::String(s.clone()),
            Json::Array(a) => Json::Array(a.iter().map(canonical).collect()),
            Json::Object(m) if is_intrinsic(v) => intrinsic(m),
            Json::Object(m) => object(m, Ctx::Plain),
        },
    }
}

fn sorted(items: impl Iterator<Item = Json>, dedup: bool) -> Json {
    let mut keyed: Vec<(String, Json)> = items.map(|j| (j.to_string(), j)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if dedup {
        keyed.dedup_by(|a, b| a.0 == b.0);
    }
    Json::Array(keyed.into_iter().map(|(_, j)| j).collect())
}

fn object(m: &Map<String, Json>, ctx: Ctx) -> Json {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    let mut out = Map::new();
    for k in keys {
        out.insert(k.clone(), canonical_in(&m[k], child_ctx(ctx, m, k)));
    }
    Json::Object(out)
}

fn intrinsic(m: &Map<String, Json>) -> Json {
    let Some((name, arg)) = m.iter().next() else {
        return Json::Object(Map::new());
    };
    match name.as_str() {
        "Fn::GetAtt" => {
            let parts: Option<(String, String)> = match arg {
                Json::String(s) => s.split_once('.').map(|(a, b)| (a.to_string(), b.to_string())),
                Json::Array(a) if a.len() == 2 => match (&a[0], &a[1]) {
                    (Json::String(x), Json::String(y)) => Some((x.clone(), y.clone())),
                    _ => None,
                },
                _ => None,
            };
            match parts {
                Some((res, att)) => single(name, Json::Array(vec![Json::String(res), Json::String(att)])),
                None => single(name, canonical(arg)),
            }
        }
        "Fn::Sub" | "Fn::Join" => match concat_parts(name, arg) {
            Some(parts) => from_parts(parts),
            None => single(name, canonical(arg)),
        },
        _ => single(name, canonical(arg)),
    }
}

fn single(name: &str, arg: Json) -> Json {
    let mut m = Map::new();
    m.insert(name.to_string(), arg);
    Json::Object(m)
}

/// The pieces a `Fn::Join` or `Fn::Sub` concatenates (canonical; literals as strings),
/// or `None` when the call's shape is not a plain concatenation.
fn concat_parts(name: &str, arg: &Json) -> Option<Vec<Json>> {
    let mut parts = Vec::new();
    match name {
        "Fn::Join" => {
            let a = arg.as_array().filter(|a| a.len() == 2)?;
            let sep = a[0].as_str()?;
            let items = a[1].as_array()?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 && !sep.is_empty() {
                    parts.push(Json::String(sep.to_string()));
                }
                push_flat(&mut parts, canonical(item));
            }
        }
        "Fn::Sub" => {
            let (template, vars) = match arg {
                Json::String(s) => (s.as_str(), None),
                Json::Array(a) if a.len() == 2 => (a[0].as_str()?, Some(a[1].as_object()?)),
                _ => return None,
            };
            let mut rest = template;
            while let Some(start) = rest.find("${") {
                parts.push(Json::String(rest[..start].to_string()));
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else {
                    parts.push(Json::String(rest[start..].to_string()));
                    rest = "";
                    break;
                };
                let name = &after[..end];
                rest = &after[end + 1..];
                if let Some(literal) = name.strip_prefix('!') {
                    parts.push(Json::String(format!("${{{literal}}}")));
                } else if let Some(v) = vars.and_then(|m| m.get(name)) {
                    push_flat(&mut parts, canonical(v));
                } else if let Some((res, att)) = name.split_once('.') {
                    parts.push(single(
                        "Fn::GetAtt",
                        Json::Array(vec![Json::String(res.into()), Json::String(att.into())]),
                    ));
                } else {
                    parts.push(single("Ref", Json::String(name.to_string())));
                }
            }
            parts.push(Json::String(rest.to_string()));
        }
        _ => return None,
    }
    Some(parts)
}

/// Adds a canonical value to a concatenation, splicing in a nested concatenation.
fn push_flat(parts: &mut Vec<Json>, v: Json) {
    if let Some(inner) = v
        .get("Fn::Join")
        .and_then(Json::as_array)
        .filter(|a| a.len() == 2 && a[0] == Json::String(String::new()))
        .and_then(|a| a[1].as_array())
    {
        parts.extend(inner.iter().cloned());
    } else {
        parts.push(v);
    }
}

/// `Fn::Join ["", parts]` with adjacent literals merged; one literal is a string.
fn from_parts(parts: Vec<Json>) -> Json {
    let mut merged: Vec<Json> = Vec::new();
    for p in parts {
        match (merged.last_mut(), &p) {
            (_, Json::String(s)) if s.is_empty() => {}
            (Some(Json::String(prev)), Json::String(s)) => prev.push_str(s),
            _ => merged.push(p),
        }
    }
    match merged.len() {
        0 => Json::String(String::new()),
        1 => merged.pop().unwrap_or(Json::Null),
        _ => single("Fn::Join", Json::Array(vec![Json::String(String::new()), Json::Array(merged)])),
    }
}

/// Logical IDs a value refers to (`Ref`, `Fn::GetAtt`, `${X}` in `Fn::Sub`); pseudo
/// parameters excluded.
pub fn referenced_ids(v: &Json) -> Vec<String> {
    let mut out = Vec::new();
    collect_refs(&canonical(v), &mut out);
    out.sort();
    out.dedup();
    out
}

fn collect_refs(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(m) => {
            if let Some(Json::String(id)) = m.get("Ref") {
                if !id.contains("::") {
                    out.push(id.clone());
                }
            }
            if let Some(Json::String(id)) = m.get("Fn::GetAtt").and_then(|a| a.get(0)) {
                out.push(id.clone());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Json::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_scalar_types_do_not_matter() {
        assert!(canon_eq(&json!({"a": 1, "b": [true, "x"]}), &json!({"b": ["true", "x"], "a": "1"})));
        assert!(!canon_eq(&json!({"a": 1}), &json!({"a": 2})));
        assert!(!canon_eq(&json!(["a", "b"]), &json!(["b", "a"])), "plain arrays keep their order");
    }

    #[test]
    fn sub_join_and_literals_that_produce_the_same_text_are_equal() {
        let sub = json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"});
        let join = json!({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}, "/*"]]});
        assert!(canon_eq(&sub, &join));
        assert!(canon_eq(&json!({"Fn::Sub": "plain"}), &json!("plain")));
        assert!(canon_eq(&json!({"Fn::Join": [",", ["a", "b"]]}), &json!("a,b")));
        assert!(canon_eq(
            &json!({"Fn::Sub": ["${X}-${Y}", {"Y": "z"}]}),
            &json!({"Fn::Join": ["-", [{"Ref": "X"}, "z"]]})
        ));
        assert!(canon_eq(&json!({"Fn::Sub": "${!Literal}"}), &json!("${Literal}")));
        assert!(canon_eq(
            &json!({"Fn::GetAtt": "Queue.Arn"}),
            &json!({"Fn::GetAtt": ["Queue", "Arn"]})
        ));
        assert!(canon_eq(
            &json!({"Fn::Sub": "${Queue.Arn}"}),
            &json!({"Fn::GetAtt": ["Queue", "Arn"]})
        ));
        assert!(!canon_eq(&json!({"Fn::Sub": "${Bucket}/*"}), &json!({"Fn::Sub": "${Bucket}/x"})));
    }

    #[test]
    fn policy_statements_lists_and_principals_are_unordered() {
        let a = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:x"},
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]});
        let b = json!({"Statement": [
            {"Action": "sts:AssumeRole", "Principal": {"Service": ["ecs-tasks.amazonaws.com"]}, "Effect": "Allow"},
            {"Resource": ["arn:x"], "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObject"], "Effect": "Allow"}
        ], "Version": "2012-10-17"});
        assert!(canon_eq(&a, &b));
        let c = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:x"}]});
        assert!(!canon_eq(&a, &c));
    }

    #[test]
    fn references_are_found_in_every_form() {
        let v = json!({"A": {"Ref": "Vpc"}, "B": {"Fn::GetAtt": "Key.Arn"}, "C": {"Fn::Sub": "${Db.Endpoint.Address}:${AWS::Region}"}});
        assert_eq!(referenced_ids(&v), ["Db", "Key", "Vpc"]);
    }
}
