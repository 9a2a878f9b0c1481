//! Synthesis: turns the construct tree into CloudFormation templates.
//!
//! Per environment: every value is rendered in the context of the stack that uses
//! it. A reference into another stack of the same environment becomes an Output
//! with an Export on the producer, an `Fn::ImportValue` on the consumer, and a
//! stack dependency; a reference into another environment, to a missing resource,
//! or a dependency cycle between stacks is an error. Escape-hatch overrides
//! ([`crate::Stack::add_override`]) are applied to each resource right after it is
//! rendered, so they see (and win over) everything constructs wrote. Tags and
//! CloudFormation's limits are applied last.

use std::collections::BTreeMap;

use indexmap::{IndexMap, IndexSet};
use serde_json::{json, Map, Value as Json};

use crate::error::{Error, Errors};
use crate::overrides::{self, ResourceOverride};
use crate::tags::{self, TagFormat};
use crate::template::{limits, DependsOn, Resource};
use crate::tree::{App, AppData, EnvKey, EnvSettings, StackKey, Suppression};
use crate::value::{Pseudo, RefTarget, ResourceRef, Value};

/// The synthesized application: one artifact per environment.
#[derive(Debug, Clone)]
pub struct Assembly {
    pub app: String,
    pub environments: Vec<EnvArtifact>,
}

/// The synthesized stacks of one environment.
#[derive(Debug, Clone)]
pub struct EnvArtifact {
    pub app: String,
    pub settings: EnvSettings,
    /// Stacks in deploy order (dependencies first).
    pub stacks: Vec<StackArtifact>,
}

/// One synthesized stack.
#[derive(Debug, Clone)]
pub struct StackArtifact {
    /// Short id inside the environment (`data`).
    pub id: String,
    /// CloudFormation stack name (`shop-prod-data`).
    pub name: String,
    /// The template as JSON (key order as written).
    pub template: Json,
    /// The template file's exact bytes (pretty JSON plus a final newline).
    pub body: String,
    /// Names of the stacks this one depends on.
    pub depends_on: Vec<String>,
    /// Logical ID → construct path (`data/Orders/Resource`).
    pub paths: IndexMap<String, String>,
    pub suppressions: Vec<Suppression>,
}

impl StackArtifact {
    pub fn resource_count(&self) -> usize {
        self.template.get("Resources").and_then(Json::as_object).map_or(0, Map::len)
    }

    pub fn output_count(&self) -> usize {
        self.template.get("Outputs").and_then(Json::as_object).map_or(0, Map::len)
    }

    /// The template as sent to CloudFormation: compact JSON (the files in `out/` are
    /// pretty-printed for review; whitespace would only eat into the size limits).
    pub fn deploy_body(&self) -> String {
        serde_json::to_string(&self.template).unwrap_or_else(|_| self.body.clone())
    }

    /// Above 51,200 bytes (as sent) CloudFormation needs the template from S3.
    pub fn needs_upload(&self) -> bool {
        self.body.len() > limits::MAX_INLINE_BODY_BYTES && self.deploy_body().len() > limits::MAX_INLINE_BODY_BYTES
    }

    pub fn file_name(&self) -> String {
        format!("{}.template.json", self.name)
    }
}

/// What a synthesis produces besides the templates as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    /// Also the file bytes (`body`), checked against CloudFormation's size limit.
    Files,
    /// The JSON templates only (`body` left empty): for the re-syntheses that parity
    /// compares and drops, where the file text would be built and thrown away.
    ModelOnly,
}

impl App {
    /// Synthesizes every environment.
    pub fn synth(&self) -> Result<Assembly, Errors> {
        self.synth_as(Render::Files)
    }

    /// Synthesizes every environment, rendering what `render` asks for.
    pub fn synth_as(&self, render: Render) -> Result<Assembly, Errors> {
        let data = self.data.borrow();
        let mut errors = Vec::new();
        let mut environments = Vec::new();
        for env_index in 0..data.envs.len() {
            match synth_env(&data, EnvKey(env_index as u32), render) {
                Ok(env) => environments.push(env),
                Err(mut e) => errors.append(&mut e.0),
            }
        }
        if errors.is_empty() {
            Ok(Assembly {
                app: data.name.clone(),
                environments,
            })
        } else {
            Err(Errors(errors))
        }
    }
}

/// Per-stack rendering state.
#[derive(Default)]
struct Rendered {
    parameters: Map<String, Json>,
    conditions: Map<String, Json>,
    resources: Map<String, Json>,
    outputs: Map<String, Json>,
}

/// Why one stack depends on another (for cycle messages).
type EdgeReasons = IndexMap<(StackKey, StackKey), String>;

fn synth_env(data: &AppData, env: EnvKey, render: Render) -> Result<EnvArtifact, Errors> {
    let env_data = data.env(env);
    let stack_keys = env_data.stacks.clone();
    let mut rendered: IndexMap<StackKey, Rendered> = IndexMap::new();
    // Exports other stacks asked of each producer: output id → (value, export name).
    let mut exports: BTreeMap<StackKey, BTreeMap<String, (Json, String)>> = BTreeMap::new();
    let mut edges: EdgeReasons = IndexMap::new();
    let mut errors = Vec::new();

    for &key in &stack_keys {
        for dep in &data.stack(key).dependencies {
            edges.entry((key, *dep)).or_insert_with(|| "an explicit dependency".to_string());
        }
        let stack = data.stack(key);
        let mut out = Rendered::default();
        let mut requests: Vec<ExportRequest> = Vec::new();
        {
            let mut cx = Cx {
                data,
                env,
                stack: key,
                path: String::new(),
                property: String::new(),
                errors: &mut errors,
                requests: &mut requests,
            };
            for (id, p) in &stack.parameters {
                let mut obj = Map::new();
                obj.insert("Type".into(), json!(p.param_type));
                if let Some(d) = &p.description {
                    obj.insert("Description".into(), json!(d));
                }
                if let Some(d) = &p.default {
                    obj.insert("Default".into(), cx.render(d));
                }
                if !p.allowed_values.is_empty() {
                    obj.insert(
                        "AllowedValues".into(),
                        Json::Array(p.allowed_values.iter().map(|v| cx.render(v)).collect()),
                    );
                }
                if p.no_echo {
                    obj.insert("NoEcho".into(), json!(true));
                }
                out.parameters.insert(id.clone(), Json::Object(obj));
            }
            for (id, c) in &stack.conditions {
                cx.path = format!("Conditions/{id}");
                out.conditions.insert(id.clone(), cx.render(c));
            }
            for (logical_id, entry) in &stack.resources {
                cx.path = entry.path.clone();
                let mut json = cx.render_resource(&entry.resource, &entry.path, &stack.id);
                if let Some(overrides) = stack.overrides.get(logical_id) {
                    cx.apply_overrides(&mut json, overrides);
                }
                out.resources.insert(logical_id.clone(), json);
            }
            for (id, o) in &stack.outputs {
                cx.path = format!("Outputs/{id}");
                let mut obj = Map::new();
                if let Some(d) = &o.description {
                    obj.insert("Description".into(), json!(d));
                }
                cx.property = "Value".into();
                obj.insert("Value".into(), cx.render(&o.value));
                if let Some(name) = &o.export_name {
                    cx.property = "Export".into();
                    obj.insert("Export".into(), json!({ "Name": cx.render(name) }));
                }
                if let Some(c) = &o.condition {
                    cx.check_condition(c);
                    obj.insert("Condition".into(), json!(c));
                }
                out.outputs.insert(id.clone(), Json::Object(obj));
            }
        }
        for req in requests {
            edges.entry((key, req.producer)).or_insert(req.reason);
            if let Some(export) = req.export {
                exports
                    .entry(req.producer)
                    .or_default()
                    .insert(export.output_id, (export.value, export.name));
            }
        }
        rendered.insert(key, out);
    }

    // Dependency order and cycles.
    let order = match deploy_order(data, &stack_keys, &edges) {
        Ok(o) => o,
        Err(e) => {
            errors.push(e);
            stack_keys.clone()
        }
    };

    let mut stacks = Vec::new();
    for key in order {
        let stack = data.stack(key);
        let r = rendered.shift_remove(&key).unwrap_or_default();
        let full = data.full_path(key, "");
        let mut outputs = r.outputs;
        for (id, (value, name)) in exports.remove(&key).unwrap_or_default() {
            outputs.insert(id, json!({ "Value": value, "Export": { "Name": name } }));
        }
        // A logical-ID override that matched nothing (a typo) would silently not keep the ID.
        for (path, _) in &stack.id_overrides {
            if !stack.nodes.contains(path) {
                errors.push(
                    Error::new("a logical ID is overridden or kept for a construct that does not exist")
                        .at(data.full_path(key, path))
                        .property("path")
                        .fix("use the construct's new path inside the stack, e.g. `OrdersTable` or `OrdersTable/Resource`"),
                );
            }
        }
        if r.resources.is_empty() {
            errors.push(
                Error::new("stack has no resources")
                    .at(full.clone())
                    .fix("add a construct to the stack or remove the stack"),
            );
        }
        check_limit(
            &mut errors,
            &full,
            "resources",
            r.resources.len(),
            limits::MAX_RESOURCES,
            "split the stack into several stacks",
        );
        check_limit(
            &mut errors,
            &full,
            "outputs",
            outputs.len(),
            limits::MAX_OUTPUTS,
            "remove outputs or split the stack",
        );
        check_limit(
            &mut errors,
            &full,
            "parameters",
            r.parameters.len(),
            limits::MAX_PARAMETERS,
            "use environment-file values instead of parameters",
        );
        let mut template = Map::new();
        template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        let description = stack
            .description
            .clone()
            .unwrap_or_else(|| format!("{} ({} environment), synthesized by cairn", stack.name, env_data.settings.name));
        template.insert("Description".into(), json!(description));
        if !r.parameters.is_empty() {
            template.insert("Parameters".into(), Json::Object(r.parameters));
        }
        if !r.conditions.is_empty() {
            template.insert("Conditions".into(), Json::Object(r.conditions));
        }
        template.insert("Resources".into(), Json::Object(r.resources));
        if !outputs.is_empty() {
            template.insert("Outputs".into(), Json::Object(outputs));
        }
        let template = Json::Object(template);
        let body = match render {
            Render::ModelOnly => String::new(),
            Render::Files => match serde_json::to_string_pretty(&template) {
                Ok(s) => s + "\n",
                Err(e) => {
                    errors.push(Error::new(format!("cannot serialize the template: {e}")).at(full.clone()));
                    String::new()
                }
            },
        };
        if body.len() > limits::MAX_BODY_BYTES {
            errors.push(
                Error::new(format!(
                    "template is {} bytes; CloudFormation accepts at most {} bytes",
                    body.len(),
                    limits::MAX_BODY_BYTES
                ))
                .at(full.clone())
                .fix("split the stack into several stacks"),
            );
        }
        let mut depends_on: Vec<String> = edges
            .keys()
            .filter(|(from, _)| *from == key)
            .map(|(_, to)| data.stack(*to).name.clone())
            .collect::<IndexSet<_>>()
            .into_iter()
            .collect();
        depends_on.sort();
        stacks.push(StackArtifact {
            id: stack.id.clone(),
            name: stack.name.clone(),
            template,
            body,
            depends_on,
            paths: stack
                .resources
                .iter()
                .map(|(id, e)| (id.clone(), format!("{}/{}", stack.id, e.path)))
                .collect(),
            suppressions: stack.suppressions.clone(),
        });
    }

    if errors.is_empty() {
        Ok(EnvArtifact {
            app: data.name.clone(),
            settings: env_data.settings.clone(),
            stacks,
        })
    } else {
        Err(Errors(errors))
    }
}

fn check_limit(errors: &mut Vec<Error>, path: &str, what: &str, count: usize, max: usize, fix: &str) {
    if count > max {
        errors.push(
            Error::new(format!("stack has {count} {what}; CloudFormation allows at most {max}"))
                .at(path)
                .fix(fix),
        );
    }
}

/// Stacks in dependency order; a cycle is an error that names it.
fn deploy_order(data: &AppData, stacks: &[StackKey], edges: &EdgeReasons) -> Result<Vec<StackKey>, Error> {
    let mut remaining: Vec<StackKey> = stacks.to_vec();
    let mut order = Vec::new();
    while !remaining.is_empty() {
        let ready = remaining
            .iter()
            .position(|s| !edges.keys().any(|(from, to)| from == s && remaining.contains(to) && to != s));
        match ready {
            Some(i) => order.push(remaining.remove(i)),
            None => return Err(cycle_error(data, &remaining, edges)),
        }
    }
    Ok(order)
}

fn cycle_error(data: &AppData, remaining: &[StackKey], edges: &EdgeReasons) -> Error {
    // Walk dependencies from the first remaining stack until one repeats.
    let mut walk = vec![remaining[0]];
    loop {
        let current = *walk.last().expect("walk is never empty");
        let next = edges
            .keys()
            .find(|(from, to)| *from == current && remaining.contains(to))
            .map(|(_, to)| *to);
        let Some(next) = next else { break };
        if let Some(start) = walk.iter().position(|s| *s == next) {
            let cycle = &walk[start..];
            let mut names: Vec<String> = cycle.iter().map(|s| data.stack(*s).name.clone()).collect();
            names.push(data.stack(next).name.clone());
            let reasons: Vec<String> = cycle
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let to = if i + 1 < cycle.len() { cycle[i + 1] } else { next };
                    format!(
                        "{} → {}: {}",
                        data.stack(*s).name,
                        data.stack(to).name,
                        edges.get(&(*s, to)).cloned().unwrap_or_default()
                    )
                })
                .collect();
            return Error::new(format!(
                "stacks depend on each other in a cycle: {} ({})",
                names.join(" → "),
                reasons.join("; ")
            ))
            .at(data.full_path(cycle[0], ""))
            .fix("move one of the referenced constructs so references go one way only (e.g. network → data → service)");
        }
        walk.push(next);
    }
    Error::new("stacks depend on each other in a cycle").at(data.full_path(remaining[0], ""))
}

/// A consumer stack's dependency on another stack of the same environment.
struct ExportRequest {
    producer: StackKey,
    /// The output the producer must export, when the dependency is a reference.
    export: Option<Export>,
    reason: String,
}

struct Export {
    output_id: String,
    value: Json,
    name: String,
}

/// Rendering context: the stack and construct path that use a value.
struct Cx<'a> {
    data: &'a AppData,
    env: EnvKey,
    stack: StackKey,
    path: String,
    property: String,
    errors: &'a mut Vec<Error>,
    requests: &'a mut Vec<ExportRequest>,
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

    fn render_resource(&mut self, r: &Resource, path: &str, stack_id: &str) -> Json {
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
                    Err(_) => self.render(value), // reports the error
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
    fn apply_overrides(&mut self, entry: &mut Json, overrides: &[ResourceOverride]) {
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

    fn check_condition(&mut self, name: &str) {
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

    fn render(&mut self, v: &Value) -> Json {
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
                Err(mut e) => {
                    if e.path.is_none() {
                        e = e.at(self.here());
                    }
                    if e.property.is_none() && !self.property.is_empty() {
                        e = e.property(self.property.clone());
                    }
                    self.errors.push(e);
                    Json::Null
                }
            },
        }
    }

    /// Every `${Name}` / `${Name.Attr}` in a `Fn::Sub` must be a variable, a pseudo
    /// parameter, or a resource/parameter of this stack.
    fn check_sub(&mut self, template: &str, vars: &crate::ordered::OrderedMap<String, Value>) {
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
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
            let stack = self.data.stack(self.stack);
            let known = pseudo || vars.contains_key(name) || stack.resources.contains_key(base) || stack.parameters.contains_key(base);
            if !known {
                self.fail(
                    format!(
                        "Fn::Sub refers to `${{{name}}}`, which is not a variable, pseudo parameter, resource or parameter of this stack"
                    ),
                    "pass the value as a Sub variable (Value::sub_with)",
                );
            }
        }
    }
}

impl EnvArtifact {
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    pub fn stack(&self, name_or_id: &str) -> Option<&StackArtifact> {
        self.stacks.iter().find(|s| s.name == name_or_id || s.id == name_or_id)
    }
}
