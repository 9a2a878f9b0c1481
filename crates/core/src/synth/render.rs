//! Rendering values in the context of the stack that uses them: references within the
//! stack, exports and imports across stacks, tags, conditions and overrides.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use crate::error::Error;
use crate::overrides::{self, ResourceOverride};
use crate::tags::{self, TagFormat};
use crate::template::{DependsOn, Resource};
use crate::tree::{AppData, EnvKey, StackData, StackKey};
use crate::value::{Pseudo, RefTarget, ResourceRef, Value};

/// A consumer stack's dependency on another stack of the same environment.
pub(super) struct ExportRequest {
    pub producer: StackKey,
    /// The output the producer must export, when the dependency is a reference.
    pub export: Option<Export>,
    pub reason: String,
}

pub(super) struct Export {
    pub output_id: String,
    pub value: Json,
    pub name: String,
}

/// Rendering context: the stack and construct path that use a value.
pub(super) struct Cx<'a> {
    pub(super) data: &'a AppData,
    pub(super) env: EnvKey,
    pub(super) stack: StackKey,
    pub(super) path: String,
    pub(super) property: String,
    pub(super) errors: &'a mut Vec<Error>,
    pub(super) requests: &'a mut Vec<ExportRequest>,
}

impl Cx<'_> {
    fn here(&self) -> String {
        self.data.full_path(self.stack, &self.path)
    }

    fn fail(&mut self, message: String, fix: &str) {
        let mut e = Error::new(message).at(self.here()).fix(fix);
        if !self.property.is_empty() {
            e = e.property(self.property.clone());
        }
        self.errors.push(e);
    }

    pub(super) fn render_resource(&mut self, r: &Resource, path: &str, stack_id: &str) -> Json {
        let mut obj = Map::new();
        obj.insert("Type".into(), json!(r.resource_type));
        let mut props = Map::new();
        for (name, value) in &r.properties {
            if name == "Tags" {
                continue;
            }
            self.property = name.clone();
            let rendered = match value {
                // A lazy value that gives `Null` leaves the property out (nothing to set yet).
                Value::Lazy(lazy) => match lazy.resolve() {
                    Ok(Value::Null) => continue,
                    Ok(resolved) => self.render(&resolved),
                    Err(e) => self.lazy_failed(e),
                },
                _ => self.render(value),
            };
            props.insert(name.clone(), rendered);
        }
        self.property = "Tags".into();
        if let Some(tags) = self.render_tags(r) {
            props.insert("Tags".into(), tags);
        }
        self.property.clear();
        if !props.is_empty() {
            obj.insert("Properties".into(), Json::Object(props));
        }
        let mut deps: Vec<String> = Vec::new();
        for d in &r.depends_on {
            self.property = "DependsOn".into();
            match d {
                DependsOn::Resource(target) => {
                    if let Some(id) = self.local_or_dependency(target) {
                        deps.push(id);
                    }
                }
                DependsOn::LogicalId(id) => {
                    if self.data.stack(self.stack).resources.contains_key(id) {
                        deps.push(id.clone());
                    } else {
                        self.fail(
                            format!("depends on `{id}`, which is not a resource of this stack"),
                            "depend on a resource of the same stack",
                        );
                    }
                }
            }
        }
        self.property.clear();
        deps.dedup();
        match deps.len() {
            0 => {}
            1 => {
                obj.insert("DependsOn".into(), json!(deps[0]));
            }
            _ => {
                obj.insert("DependsOn".into(), json!(deps));
            }
        }
        if let Some(c) = &r.condition {
            self.check_condition(c);
            obj.insert("Condition".into(), json!(c));
        }
        if let Some(p) = r.deletion_policy {
            obj.insert("DeletionPolicy".into(), json!(p.as_str()));
        }
        if let Some(p) = r.update_replace_policy {
            obj.insert("UpdateReplacePolicy".into(), json!(p.as_str()));
        }
        let mut meta = Map::new();
        meta.insert(crate::metadata::PATH.into(), json!(format!("{stack_id}/{path}")));
        for (k, v) in &r.metadata {
            meta.insert(k.clone(), self.render(v));
        }
        obj.insert("Metadata".into(), Json::Object(meta));
        Json::Object(obj)
    }

    /// Applies the escape-hatch overrides of one resource to its rendered entry, in the
    /// order they were added. Values render like properties (references checked, exports
    /// requested), so they go through the same checks as anything a construct wrote.
    pub(super) fn apply_overrides(&mut self, entry: &mut Json, overrides: &[ResourceOverride]) {
        for o in overrides {
            self.property = o.path.clone();
            let value = o.value.as_ref().map(|v| self.render(v));
            if let Err(message) = overrides::apply(entry, &o.segments, value) {
                self.fail(
                    format!("override cannot be applied: {message}"),
                    "point the override at a map (or a list index) of the resource's template entry; `cairn synth` shows the entry",
                );
            }
        }
        self.property.clear();
    }

    /// Environment tags merged with the resource's own (the resource's win), sorted by key.
    fn render_tags(&mut self, r: &Resource) -> Option<Json> {
        let format = tags::tag_format(&r.resource_type);
        let own = r.properties.get("Tags");
        if format == TagFormat::None {
            return own.map(|v| self.render(v));
        }
        let settings = &self.data.env(self.env).settings;
        let mut merged: BTreeMap<String, Json> = BTreeMap::new();
        for (k, v) in tags::environment_tags(&self.data.name, settings) {
            merged.insert(k, json!(v));
        }
        if let Some(own) = own {
            match (format, own) {
                (TagFormat::KeyValueList, Value::List(items)) => {
                    for item in items {
                        match (item.get("Key"), item.get("Value")) {
                            (Some(Value::String(k)), Some(v)) => {
                                let v = self.render(v);
                                merged.insert(k.clone(), v);
                            }
                            _ => self.fail("each tag must be {Key: string, Value: …}".into(), "write tags as Key/Value pairs"),
                        }
                    }
                }
                (TagFormat::Map, Value::Map(m)) => {
                    for (k, v) in m {
                        let v = self.render(v);
                        merged.insert(k.clone(), v);
                    }
                }
                _ => self.fail(
                    format!("tags of {} have the wrong shape", r.resource_type),
                    "use the tag shape of the resource type",
                ),
            }
        }
        Some(match format {
            TagFormat::Map => Json::Object(merged.into_iter().collect()),
            _ => Json::Array(merged.into_iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect()),
        })
    }

    pub(super) fn check_condition(&mut self, name: &str) {
        if !self.data.stack(self.stack).conditions.contains_key(name) {
            self.fail(
                format!("condition `{name}` is not defined in this stack"),
                "add the condition to the stack with Stack::add_condition",
            );
        }
    }

    /// For a `DependsOn`: the logical ID when local; a stack dependency otherwise.
    fn local_or_dependency(&mut self, target: &ResourceRef) -> Option<String> {
        if !self.same_env(target) {
            return None;
        }
        if target.stack == self.stack {
            return self.exists(target).then(|| target.logical_id.clone());
        }
        self.requests_dependency(target);
        None
    }

    /// Why this stack depends on the target's: only the first reference to a stack is
    /// quoted (in cycle errors), so later ones skip building the text.
    fn reason(&self, target: &ResourceRef, verb: &str) -> String {
        if self.requests.iter().any(|r| r.producer == target.stack) {
            return String::new();
        }
        format!("{} {verb} {}", self.here(), self.data.full_path(target.stack, &target.path))
    }

    fn requests_dependency(&mut self, target: &ResourceRef) {
        let reason = self.reason(target, "depends on");
        self.requests.push(ExportRequest {
            producer: target.stack,
            export: None,
            reason,
        });
    }

    fn same_env(&mut self, target: &ResourceRef) -> bool {
        if !self.data.owns(target.stack) {
            self.fail(
                format!(
                    "refers to `{}` (logical ID `{}`), a construct of another synthesis: a reference kept from an earlier build of the application",
                    target.path, target.logical_id
                ),
                "build the referenced construct in this environment, each time the application is built; keep no references between builds",
            );
            return false;
        }
        let producer_env = self.data.stack(target.stack).env;
        if producer_env == self.env {
            return true;
        }
        let other = self.data.full_path(target.stack, &target.path);
        let (mine, theirs) = (
            self.data.env(self.env).settings.name.clone(),
            self.data.env(producer_env).settings.name.clone(),
        );
        self.fail(
            format!("refers to {other}, which belongs to environment `{theirs}`, not `{mine}`"),
            "each environment must use its own constructs: build the referenced construct in this environment",
        );
        false
    }

    fn exists(&mut self, target: &ResourceRef) -> bool {
        if self.data.stack(target.stack).resources.contains_key(&target.logical_id) {
            return true;
        }
        let other = self.data.full_path(target.stack, &target.path);
        self.fail(
            format!("refers to {other} (logical ID `{}`), which does not exist", target.logical_id),
            "refer to a resource that is part of the stack",
        );
        false
    }

    /// `Ref`/`GetAtt` of a tree resource, local or imported.
    fn render_resource_ref(&mut self, target: &ResourceRef, attribute: Option<&str>) -> Json {
        if !self.same_env(target) || !self.exists(target) {
            return Json::Null;
        }
        let local = match attribute {
            None => json!({ "Ref": target.logical_id }),
            Some(a) => json!({ "Fn::GetAtt": [target.logical_id, a] }),
        };
        if target.stack == self.stack {
            return local;
        }
        let producer = self.data.stack(target.stack);
        let output_id = match attribute {
            None => format!("ExportsOutputRef{}", target.logical_id),
            Some(a) => format!(
                "ExportsOutputFnGetAtt{}{}",
                target.logical_id,
                a.chars().filter(char::is_ascii_alphanumeric).collect::<String>()
            ),
        };
        let export_name = format!("{}:{}", producer.name, output_id);
        let reason = self.reason(target, "uses");
        self.requests.push(ExportRequest {
            producer: target.stack,
            export: Some(Export {
                output_id,
                value: local,
                name: export_name.clone(),
            }),
            reason,
        });
        json!({ "Fn::ImportValue": export_name })
    }

    fn render_logical_ref(&mut self, id: &str, attribute: Option<&str>) -> Json {
        let stack = self.data.stack(self.stack);
        let is_resource = stack.resources.contains_key(id);
        let is_parameter = stack.parameters.contains_key(id);
        match attribute {
            None if is_resource || is_parameter => json!({ "Ref": id }),
            Some(a) if is_resource => json!({ "Fn::GetAtt": [id, a] }),
            _ => {
                let what = if attribute.is_some() { "Fn::GetAtt" } else { "Ref" };
                self.fail(
                    format!("{what} to `{id}`, which is not a resource or parameter of this stack"),
                    "refer to an existing resource, or use the construct's accessor (e.g. bucket.arn())",
                );
                Json::Null
            }
        }
    }

    pub(super) fn render(&mut self, v: &Value) -> Json {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => json!(b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => json!(s),
            Value::List(items) => Json::Array(items.iter().map(|i| self.render(i)).collect()),
            Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), self.render(v))).collect()),
            Value::Ref(RefTarget::Resource(r)) => self.render_resource_ref(r, None),
            Value::GetAtt(RefTarget::Resource(r), a) => self.render_resource_ref(r, Some(a)),
            Value::Ref(RefTarget::LogicalId(id)) => self.render_logical_ref(id, None),
            Value::GetAtt(RefTarget::LogicalId(id), a) => self.render_logical_ref(id, Some(a)),
            Value::Pseudo(p) => json!({ "Ref": p.name() }),
            Value::Sub(template, vars) => {
                self.check_sub(template, vars);
                if vars.is_empty() {
                    json!({ "Fn::Sub": template })
                } else {
                    let vars: Map<String, Json> = vars.iter().map(|(k, v)| (k.clone(), self.render(v))).collect();
                    json!({ "Fn::Sub": [template, vars] })
                }
            }
            Value::Join(sep, parts) => {
                let parts: Vec<Json> = parts.iter().map(|p| self.render(p)).collect();
                json!({ "Fn::Join": [sep, parts] })
            }
            Value::Select(i, list) => json!({ "Fn::Select": [i, self.render(list)] }),
            Value::Split(sep, src) => json!({ "Fn::Split": [sep, self.render(src)] }),
            Value::GetAzs(None) => json!({ "Fn::GetAZs": "" }),
            Value::GetAzs(Some(region)) => json!({ "Fn::GetAZs": self.render(region) }),
            Value::ImportValue(name) => json!({ "Fn::ImportValue": self.render(name) }),
            Value::If(c, a, b) => {
                self.check_condition(c);
                json!({ "Fn::If": [c, self.render(a), self.render(b)] })
            }
            Value::Equals(a, b) => json!({ "Fn::Equals": [self.render(a), self.render(b)] }),
            Value::Not(x) => json!({ "Fn::Not": [self.render(x)] }),
            Value::And(xs) => json!({ "Fn::And": xs.iter().map(|x| self.render(x)).collect::<Vec<_>>() }),
            Value::Or(xs) => json!({ "Fn::Or": xs.iter().map(|x| self.render(x)).collect::<Vec<_>>() }),
            Value::Condition(c) => {
                self.check_condition(c);
                json!({ "Condition": c })
            }
            Value::Lazy(lazy) => match lazy.resolve() {
                Ok(value) => self.render(&value),
                Err(e) => self.lazy_failed(e),
            },
        }
    }

    /// Records the error of a lazy value, located here unless it says where.
    fn lazy_failed(&mut self, mut e: Error) -> Json {
        if e.path.is_none() {
            e = e.at(self.here());
        }
        if e.property.is_none() && !self.property.is_empty() {
            e = e.property(self.property.clone());
        }
        self.errors.push(e);
        Json::Null
    }

    /// Every `${Name}` / `${Name.Attr}` in a `Fn::Sub` must be a variable, a pseudo
    /// parameter, or a resource/parameter of this stack.
    fn check_sub(&mut self, template: &str, vars: &crate::ordered::OrderedMap<String, Value>) {
        for name in unknown_sub_names(self.data.stack(self.stack), template, vars) {
            self.fail(
                format!("Fn::Sub refers to `${{{name}}}`, which is not a variable, pseudo parameter, resource or parameter of this stack"),
                "pass the value as a Sub variable (Value::sub_with)",
            );
        }
    }
}

/// The `${Name}` / `${Name.Attr}` names of a `Fn::Sub` template that are neither a
/// variable, a pseudo parameter, nor a resource or parameter of `stack` (`${!x}` is
/// literal text).
pub(super) fn unknown_sub_names<'t>(
    stack: &StackData,
    template: &'t str,
    vars: &crate::ordered::OrderedMap<String, Value>,
) -> Vec<&'t str> {
    let mut unknown = Vec::new();
    let mut rest = template;
    // A vectorized byte search (`find('$')` is core's scalar one, `find("${")` would
    // set up a substring searcher per call): this runs for every `Fn::Sub` at every
    // synthesis and form, and the dashboard body is one long template.
    while let Some(dollar) = memchr::memchr(b'$', rest.as_bytes()) {
        let Some(after) = rest[dollar + 1..].strip_prefix('{') else {
            rest = &rest[dollar + 1..];
            continue;
        };
        let Some(end) = memchr::memchr(b'}', after.as_bytes()) else { break };
        let name = &after[..end];
        rest = &after[end + 1..];
        if name.starts_with('!') {
            continue;
        }
        let base = name.split('.').next().unwrap_or(name);
        let pseudo = [
            Pseudo::Region,
            Pseudo::AccountId,
            Pseudo::Partition,
            Pseudo::StackName,
            Pseudo::StackId,
            Pseudo::UrlSuffix,
            Pseudo::NoValue,
        ]
        .iter()
        .any(|p| p.name() == name);
        let known = pseudo || vars.contains_key(name) || stack.resources.contains_key(base) || stack.parameters.contains_key(base);
        if !known {
            unknown.push(name);
        }
    }
    unknown
}
