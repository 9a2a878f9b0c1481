//! One environment's synthesis: every stack rendered, the dependencies between stacks
//! (from references and explicit dependencies) put in deploy order, and each stack's
//! artifact built and checked against CloudFormation's limits.

use std::collections::BTreeMap;

use indexmap::{IndexMap, IndexSet};
use serde_json::{json, Map, Value as Json};

use super::model_form;
use super::order::{deploy_order, EdgeReasons};
use super::render::{Cx, ExportRequest};
use super::{EnvArtifact, ModelForms, Render, StackArtifact};
use crate::error::{Error, Errors};
use crate::template::limits;
use crate::tree::{AppData, EnvKey, StackKey};

/// Per-stack rendering state.
#[derive(Default)]
struct Rendered {
    parameters: Map<String, Json>,
    conditions: Map<String, Json>,
    resources: Map<String, Json>,
    outputs: Map<String, Json>,
}

pub(super) fn synth_env(data: &AppData, env: EnvKey, render: Render) -> Result<EnvArtifact, Errors> {
    let env_data = data.env(env);
    let stack_keys = env_data.stacks.clone();
    let mut rendered: IndexMap<StackKey, Rendered> = IndexMap::new();
    // Exports other stacks asked of each producer: output id → (value, export name).
    let mut exports: BTreeMap<StackKey, BTreeMap<String, (Json, String)>> = BTreeMap::new();
    let mut edges: EdgeReasons = IndexMap::new();
    let mut errors = Vec::new();

    // The baseline's forms apply only when rendered with the same settings.
    let settings = data.baseline.as_ref().map(|_| model_form::settings_form(data, env));
    let baseline = data.baseline.as_deref().filter(|b| Some(&b.settings) == settings.as_ref());
    for &key in &stack_keys {
        for dep in &data.stack(key).dependencies {
            edges.entry((key, *dep)).or_insert_with(|| "an explicit dependency".to_string());
        }
        let (out, requests) = render_stack(data, env, key, baseline, &mut errors);
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
        let r = rendered.shift_remove(&key).unwrap_or_default();
        let exported = exports.remove(&key).unwrap_or_default();
        stacks.push(stack_artifact(data, key, r, exported, &edges, render, &mut errors));
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

/// Renders one stack's parameters, conditions, resources and outputs; what it needs of
/// other stacks comes back as export requests.
/// A resource whose form is the same in `baseline` is not rendered (it would render the
/// same) but listed in `data.unchanged`.
fn render_stack(
    data: &AppData,
    env: EnvKey,
    key: StackKey,
    baseline: Option<&ModelForms>,
    errors: &mut Vec<Error>,
) -> (Rendered, Vec<ExportRequest>) {
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
            errors,
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
        let only = data.render_only.as_ref().map(|o| o.get(stack.id.as_str()));
        for (logical_id, entry) in &stack.resources {
            if let Some(ids) = only {
                if !ids.is_some_and(|ids| ids.contains(logical_id.as_str())) {
                    continue;
                }
            }
            if let Some(baseline) = baseline {
                let id = (stack.id.clone(), logical_id.clone());
                if let Some((form, producers)) = model_form::resource_form(data, key, logical_id, entry) {
                    if baseline.forms.get(&id) == Some(&form) {
                        // Rendered, it would equal the baseline's; its references still
                        // make this stack depend on theirs.
                        for producer in producers {
                            cx.requests.push(ExportRequest {
                                producer,
                                export: None,
                                reason: format!("{} refers to a resource of that stack", data.full_path(key, &entry.path)),
                            });
                        }
                        data.unchanged.borrow_mut().push(id);
                        continue;
                    }
                }
            }
            cx.path = entry.path.clone();
            let mut json = cx.render_resource(&entry.resource, &entry.path, &stack.id);
            if let Some(overrides) = stack.overrides.get(logical_id) {
                cx.apply_overrides(&mut json, overrides);
            }
            out.resources.insert(logical_id.clone(), json);
        }
        for (id, o) in &stack.outputs {
            if only.is_some() {
                break;
            }
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
    (out, requests)
}

/// One stack's artifact: outputs with the exports other stacks asked for, the checks of
/// CloudFormation's limits, the template and its file text.
fn stack_artifact(
    data: &AppData,
    key: StackKey,
    r: Rendered,
    exported: BTreeMap<String, (Json, String)>,
    edges: &EdgeReasons,
    render: Render,
    errors: &mut Vec<Error>,
) -> StackArtifact {
    let env_data = data.env(data.stack(key).env);
    let stack = data.stack(key);
    let full = data.full_path(key, "");
    let mut outputs = r.outputs;
    for (id, (value, name)) in exported {
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
    // Counted in the tree, not in what was rendered (a comparison may render a few).
    if stack.resources.is_empty() {
        errors.push(
            Error::new("stack has no resources")
                .at(full.clone())
                .fix("add a construct to the stack or remove the stack"),
        );
    }
    check_limit(
        errors,
        &full,
        "resources",
        stack.resources.len(),
        limits::MAX_RESOURCES,
        "split the stack into several stacks",
    );
    check_limit(
        errors,
        &full,
        "outputs",
        outputs.len(),
        limits::MAX_OUTPUTS,
        "remove outputs or split the stack",
    );
    check_limit(
        errors,
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
        Render::Files => crate::json_text::pretty_file(&template),
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
    StackArtifact {
        id: stack.id.clone(),
        name: stack.name.clone(),
        template,
        body,
        depends_on,
        // A comparison that renders a few resources reads the paths from their metadata.
        paths: if data.render_only.is_some() {
            IndexMap::new()
        } else {
            stack
                .resources
                .iter()
                .map(|(id, e)| (id.clone(), format!("{}/{}", stack.id, e.path)))
                .collect()
        },
        suppressions: stack.suppressions.clone(),
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
