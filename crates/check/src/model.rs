//! The environment as rules see it: every resource of every stack, references
//! resolved across stacks (Ref, GetAtt, ImportValue of a cairn export), and small
//! helpers to read CloudFormation values that may be intrinsics.

use std::collections::HashMap;

use serde_json::Value as Json;

use cairn_core::metadata;
use cairn_core::{EnvArtifact, StackArtifact};

static NULL: Json = Json::Null;

/// One resource of one stack.
pub(crate) struct Res<'a> {
    pub stack: &'a StackArtifact,
    pub id: &'a str,
    pub kind: &'a str,
    pub body: &'a Json,
    pub props: &'a Json,
}

impl Res<'_> {
    pub fn prop(&self, name: &str) -> Option<&Json> {
        self.props.get(name)
    }

    /// `<stack id>/<construct path>`, or `<stack id>/<logical id>` without metadata.
    pub fn path(&self) -> String {
        if let Some(p) = self.body.get("Metadata").and_then(|m| m.get(metadata::PATH)).and_then(Json::as_str) {
            return p.to_string();
        }
        self.stack
            .paths
            .get(self.id)
            .cloned()
            .unwrap_or_else(|| format!("{}/{}", self.stack.id, self.id))
    }

    pub fn is(&self, other: &Res) -> bool {
        std::ptr::eq(self.stack, other.stack) && self.id == other.id
    }
}

/// Every resource of an environment, with references resolvable across its stacks.
pub(crate) struct Cx<'a> {
    pub resources: Vec<Res<'a>>,
    index: HashMap<(&'a str, &'a str), usize>,
    /// Resource type → positions in `resources`.
    by_type: HashMap<&'a str, Vec<usize>>,
    /// Export name → (producer stack, exported value).
    exports: HashMap<&'a str, (&'a StackArtifact, &'a Json)>,
}

impl<'a> Cx<'a> {
    pub fn new(env: &'a EnvArtifact) -> Self {
        let mut resources = Vec::new();
        let mut index = HashMap::new();
        let mut exports = HashMap::new();
        let mut by_type: HashMap<&str, Vec<usize>> = HashMap::new();
        for stack in &env.stacks {
            if let Some(map) = stack.template.get("Resources").and_then(Json::as_object) {
                for (id, body) in map {
                    let kind = body.get("Type").and_then(Json::as_str).unwrap_or("");
                    index.insert((stack.name.as_str(), id.as_str()), resources.len());
                    by_type.entry(kind).or_default().push(resources.len());
                    resources.push(Res {
                        stack,
                        id,
                        kind,
                        body,
                        props: body.get("Properties").unwrap_or(&NULL),
                    });
                }
            }
            if let Some(outputs) = stack.template.get("Outputs").and_then(Json::as_object) {
                for o in outputs.values() {
                    if let (Some(name), Some(value)) = (o.pointer("/Export/Name").and_then(Json::as_str), o.get("Value")) {
                        exports.insert(name, (stack, value));
                    }
                }
            }
        }
        Cx {
            resources,
            index,
            by_type,
            exports,
        }
    }

    pub fn of_type<'s>(&'s self, kind: &str) -> impl Iterator<Item = &'s Res<'a>> + 's {
        self.by_type.get(kind).into_iter().flatten().map(|&i| &self.resources[i])
    }

    /// The resource a value in `from`'s stack points at: `Ref`, `Fn::GetAtt`, or
    /// `Fn::ImportValue` of another stack's export.
    pub fn resolve(&self, from: &StackArtifact, v: &Json) -> Option<&Res<'a>> {
        let obj = v.as_object()?;
        if obj.len() != 1 {
            return None;
        }
        if let Some(id) = obj.get("Ref").and_then(Json::as_str) {
            return self.get(from, id);
        }
        if let Some(att) = obj.get("Fn::GetAtt") {
            let id = match att {
                Json::Array(a) => a.first().and_then(Json::as_str)?,
                Json::String(s) => s.split('.').next()?,
                _ => return None,
            };
            return self.get(from, id);
        }
        if let Some(name) = obj.get("Fn::ImportValue").and_then(Json::as_str) {
            let (producer, value) = self.exports.get(name)?;
            return self.resolve(producer, value);
        }
        None
    }

    fn get(&self, stack: &StackArtifact, id: &str) -> Option<&Res<'a>> {
        self.index.get(&(stack.name.as_str(), id)).map(|&i| &self.resources[i])
    }

    /// Whether `v` (in `from`'s stack) points at `target`.
    pub fn points_to(&self, from: &StackArtifact, v: &Json, target: &Res) -> bool {
        self.resolve(from, v).is_some_and(|r| r.is(target))
    }
}

/// `true`, or the string `"true"` (CloudFormation accepts both).
pub(crate) fn is_true(v: Option<&Json>) -> bool {
    match v {
        Some(Json::Bool(b)) => *b,
        Some(Json::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A whole number, or a string holding one.
pub(crate) fn as_i64(v: Option<&Json>) -> Option<i64> {
    match v? {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A list as its items; a single value as one item; nothing as none.
pub(crate) fn items(v: Option<&Json>) -> Vec<&Json> {
    match v {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(a)) => a.iter().collect(),
        Some(other) => vec![other],
    }
}

/// The text a value stands for, with `${…}` for references: plain strings,
/// `Fn::Join` and `Fn::Sub`. `None` for anything else.
pub(crate) fn text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Object(o) if o.len() == 1 => {
            if let Some(Json::Array(j)) = o.get("Fn::Join") {
                let sep = j.first()?.as_str()?;
                let parts = j.get(1)?.as_array()?;
                let parts: Vec<String> = parts.iter().map(|p| text(p).unwrap_or_else(|| reference_text(p))).collect();
                return Some(parts.join(sep));
            }
            match o.get("Fn::Sub") {
                Some(Json::String(s)) => Some(s.clone()),
                Some(Json::Array(a)) => a.first().and_then(Json::as_str).map(str::to_string),
                _ => Some(reference_text(v)),
            }
        }
        _ => None,
    }
}

fn reference_text(v: &Json) -> String {
    if let Some(r) = v.get("Ref").and_then(Json::as_str) {
        return format!("${{{r}}}");
    }
    "${…}".to_string()
}

/// A `Key`/`Value` attribute list (load balancers) as a lookup.
pub(crate) fn attribute<'v>(list: Option<&'v Json>, key: &str) -> Option<&'v Json> {
    items(list)
        .into_iter()
        .find(|a| a.get("Key").and_then(Json::as_str) == Some(key))
        .and_then(|a| a.get("Value"))
}

/// The statements of an IAM policy document.
pub(crate) fn statements(document: Option<&Json>) -> Vec<&Json> {
    document.map(|d| items(d.get("Statement"))).unwrap_or_default()
}

/// Whether a policy statement denies requests without TLS (`aws:SecureTransport` false).
pub(crate) fn denies_insecure_transport(statement: &Json) -> bool {
    let deny = statement.get("Effect").and_then(Json::as_str) == Some("Deny");
    let condition = statement.pointer("/Condition/Bool/aws:SecureTransport");
    let insecure =
        matches!(condition, Some(Json::Bool(false))) || condition.and_then(Json::as_str).is_some_and(|s| s.eq_ignore_ascii_case("false"));
    deny && insecure
}
