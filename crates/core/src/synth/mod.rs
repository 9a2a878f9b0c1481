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

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use crate::error::Errors;
use crate::json_text::compact_len;
use crate::template::limits;
use crate::tree::{App, EnvKey, EnvSettings, Suppression};

mod env;
mod model_form;
mod order;
mod render;

use env::synth_env;
pub use model_form::ModelForms;

/// The forms of the resources `render_only` names, in every environment of the tree
/// (a comparison tree holds one).
pub(crate) fn model_forms(data: &crate::tree::AppData) -> ModelForms {
    let mut forms = ModelForms::default();
    let Some(only) = &data.render_only else { return forms };
    for (env_index, env) in data.envs.iter().enumerate() {
        forms.settings = model_form::settings_form(data, EnvKey(env_index as u32));
        for &key in &env.stacks {
            let stack = data.stack(key);
            let Some(ids) = only.get(stack.id.as_str()) else { continue };
            for (logical_id, entry) in &stack.resources {
                if !ids.contains(logical_id.as_str()) {
                    continue;
                }
                if let Some((form, _)) = model_form::resource_form(data, key, logical_id, entry) {
                    forms.forms.insert((stack.id.clone(), logical_id.clone()), form);
                }
            }
        }
    }
    forms
}

/// The synthesized application: one artifact per environment.
#[derive(Debug, Clone)]
pub struct Assembly {
    /// The application's name.
    pub app: String,
    /// One per environment synthesized, in the order they were added.
    pub environments: Vec<EnvArtifact>,
}

/// The synthesized stacks of one environment.
#[derive(Debug, Clone)]
pub struct EnvArtifact {
    /// The application's name.
    pub app: String,
    /// The environment's settings (name, account, region...).
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
    /// Policy-check suppressions recorded by the stack's constructs.
    pub suppressions: Vec<Suppression>,
}

impl StackArtifact {
    /// Resources in the template.
    pub fn resource_count(&self) -> usize {
        self.template.get("Resources").and_then(Json::as_object).map_or(0, Map::len)
    }

    /// Outputs in the template.
    pub fn output_count(&self) -> usize {
        self.template.get("Outputs").and_then(Json::as_object).map_or(0, Map::len)
    }

    /// The template as sent to CloudFormation: compact JSON (the files in `out/` are
    /// pretty-printed for review; whitespace would only eat into the size limits).
    pub fn deploy_body(&self) -> String {
        serde_json::to_string(&self.template).unwrap_or_else(|_| self.body.clone())
    }

    /// The length of [`StackArtifact::deploy_body`], counted without building it.
    pub fn deploy_len(&self) -> usize {
        compact_len(&self.template, usize::MAX)
    }

    /// Above 51,200 bytes (as sent) CloudFormation needs the template from S3.
    pub fn needs_upload(&self) -> bool {
        self.body.len() > limits::MAX_INLINE_BODY_BYTES
            && compact_len(&self.template, limits::MAX_INLINE_BODY_BYTES) > limits::MAX_INLINE_BODY_BYTES
    }

    /// The template's file name (`shop-prod-data.template.json`).
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
        // What this synthesis finds unchanged from the baseline, not an earlier one's.
        data.unchanged.borrow_mut().clear();
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

impl EnvArtifact {
    /// The environment's name.
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    /// The stack with this CloudFormation name or short id.
    pub fn stack(&self, name_or_id: &str) -> Option<&StackArtifact> {
        self.stacks.iter().find(|s| s.name == name_or_id || s.id == name_or_id)
    }
}
