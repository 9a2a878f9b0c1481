//! The manifest written beside the templates (`<out>/<env>/manifest.json`): the
//! environment's stacks in deploy order with their dependencies and sizes, its
//! critical alarms, and the sections other parts of cairn record (policy-check
//! results, the parity record). The one place it is built ([`Manifest::from_artifact`]),
//! serialized ([`Manifest::to_text`]) and read back ([`Manifest::read`]).
//!
//! Field order is the file's key order: changing it changes every manifest written.
//! Reading is lenient where older manifests lacked a field (it defaults) and strict
//! where nothing can be done without it (`version`, `environment`, each stack's
//! `id`, `name` and `template`).

use std::path::Path;

use cairn_core::template::limits::MAX_INLINE_BODY_BYTES;
use cairn_core::CriticalAlarm;
use cairn_core::EnvArtifact;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::AssemblyError;
use crate::synthesis::{Source, SynthesisSection};

/// File name of the per-environment manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Version of the manifest's layout.
pub const MANIFEST_VERSION: u32 = 1;
/// Key of the parity record ([`Manifest::parity`]).
pub const PARITY_SECTION: &str = "parity";

/// One environment's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Layout version ([`MANIFEST_VERSION`]).
    pub version: u32,
    /// The application's name.
    #[serde(default)]
    pub app: String,
    /// The environment's name (`prod`).
    pub environment: String,
    /// AWS account id the environment deploys to.
    #[serde(default)]
    pub account: String,
    /// AWS region the environment deploys to.
    #[serde(default)]
    pub region: String,
    /// Whether stateful resources keep their data on removal (the environment file's `retain_data`).
    #[serde(default)]
    pub retain_data: bool,
    /// Whether deploys need an explicit approval (the environment file's `require_approval`).
    #[serde(default)]
    pub require_approval: bool,
    /// Stack names, dependencies first.
    #[serde(default)]
    pub deploy_order: Vec<String>,
    /// In deploy order.
    pub stacks: Vec<ManifestStack>,
    /// Alarms `deploy` watches for automatic rollback.
    #[serde(default)]
    pub critical_alarms: Vec<CriticalAlarm>,
    /// What `parity --out` needs (absent in manifests written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parity: Option<ParityRecord>,
    /// The built-in policy checks' results (absent with `synth --no-checks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<ChecksSection>,
    /// The commit synthesized and every template's SHA-256 (absent in manifests of older cairns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthesis: Option<SynthesisSection>,
}

/// One stack of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestStack {
    /// Short id inside the environment (`data`).
    pub id: String,
    /// CloudFormation stack name (`shop-prod-data`).
    pub name: String,
    /// The template's file name, next to the manifest.
    pub template: String,
    /// Ids of the stacks of the environment it imports from.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Resources in the template.
    #[serde(default)]
    pub resource_count: usize,
    /// Outputs in the template.
    #[serde(default)]
    pub output_count: usize,
    /// The file as written (pretty).
    #[serde(default)]
    pub template_bytes: usize,
    /// As deploy sends it (compact JSON): CloudFormation's 51,200-byte inline limit
    /// applies to this one.
    #[serde(default)]
    pub deploy_bytes: usize,
    /// Too large to send inline: deploy uploads it to the bootstrap bucket first.
    #[serde(default)]
    pub needs_upload: bool,
    /// Whether CloudFormation termination protection is on for the stack.
    #[serde(default)]
    pub termination_protection: bool,
    /// Logical ID → construct path.
    #[serde(default)]
    pub construct_paths: IndexMap<String, String>,
    /// Policy-check suppressions recorded by the stack's constructs.
    #[serde(default)]
    pub suppressions: Vec<StackSuppression>,
}

/// A policy-check suppression on a construct of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackSuppression {
    /// The suppressed rule's id (`S3-ACCESS-LOGS`).
    pub rule: String,
    /// `<stack id>/<construct path>`.
    pub path: String,
    /// Why the construct may break the rule.
    pub reason: String,
}

/// The parity record: per environment-file knob its value, whether it must match
/// other environments and which template leaves it drives; plus each template's
/// digest, so a file edited after synthesis is noticed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParityRecord {
    /// Layout version of the record.
    #[serde(default)]
    pub version: u32,
    /// The environment the knobs were swapped with (the last in promotion order).
    #[serde(default)]
    pub reference: Option<String>,
    /// This environment's position in the promotion order (dev first).
    #[serde(default)]
    pub promotion_order: u32,
    /// Knob key → what it is and drives, in the application's knob order.
    #[serde(default)]
    pub fields: IndexMap<String, ParityField>,
    /// Template file name → hex MD5 of its bytes.
    #[serde(default)]
    pub templates: IndexMap<String, String>,
}

/// One knob in the parity record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParityField {
    /// The environment file's value (`null` when unset). Any TOML value, so JSON
    /// of any shape: the knob's type is the application's.
    #[serde(default)]
    pub value: Option<Json>,
    /// The environments it must be equal in.
    #[serde(default)]
    pub must_match: Vec<String>,
    /// The template leaves it drives.
    #[serde(default)]
    pub drives: Vec<DrivenLeaf>,
    /// An artifact version (`Knob::artifact`): differences are promotion skew.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub artifact: bool,
}

/// A template leaf a knob drives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrivenLeaf {
    /// Stack id.
    pub stack: String,
    /// Template section (`Resources`, `Outputs`, ...).
    pub section: String,
    /// Logical id of the resource or output.
    pub id: String,
    /// Dotted path inside the resource or output (`Properties.MessageRetentionPeriod`).
    pub property: String,
}

/// The built-in policy checks' results: what reviewers need without re-running the
/// checks (synthesis fails on errors, so findings here are warnings and suppressed ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChecksSection {
    /// Findings of error severity that count.
    pub errors: usize,
    /// Findings of warning severity that count.
    pub warnings: usize,
    /// Findings silenced by a suppression.
    pub suppressed: usize,
    /// Rules run.
    pub rules_checked: usize,
    /// Resources the rules looked at.
    pub resources_checked: usize,
    /// Every finding, suppressed ones included.
    pub findings: Vec<CheckFinding>,
    /// Every suppression and what it silenced.
    pub suppressions: Vec<CheckSuppression>,
}

/// One finding of a policy check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckFinding {
    /// The rule's id.
    pub rule: String,
    /// `built-in` or `guard:<file>`.
    pub source: String,
    /// `error` or `warning`.
    pub severity: String,
    /// Stack id.
    pub stack: String,
    /// Logical id of the resource at fault.
    pub logical_id: String,
    /// Construct path of the resource at fault.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The reason, when suppressed.
    pub suppressed: Option<String>,
}

/// A suppression and how many findings it silenced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckSuppression {
    /// The suppressed rule's id.
    pub rule: String,
    /// Construct path it applies to (and below).
    pub path: String,
    /// Why.
    pub reason: String,
    /// Findings it silenced.
    pub silenced: usize,
}

impl Manifest {
    /// The manifest of a synthesized environment, without the parity and checks
    /// sections ([`with_parity`](Self::with_parity), [`with_checks`](Self::with_checks)).
    pub fn from_artifact(env: &EnvArtifact) -> Manifest {
        let stacks = env
            .stacks
            .iter()
            .map(|s| (s, s.deploy_len()))
            .map(|(s, deploy_bytes)| ManifestStack {
                id: s.id.clone(),
                name: s.name.clone(),
                template: s.file_name(),
                depends_on: s.depends_on.clone(),
                resource_count: s.resource_count(),
                output_count: s.output_count(),
                template_bytes: s.body.len(),
                deploy_bytes,
                // Above the inline limit (as sent), CloudFormation needs the template from S3.
                needs_upload: deploy_bytes > MAX_INLINE_BODY_BYTES,
                termination_protection: env.settings.retain_data,
                construct_paths: s.paths.clone(),
                suppressions: s
                    .suppressions
                    .iter()
                    .map(|x| StackSuppression {
                        rule: x.rule.clone(),
                        path: format!("{}/{}", s.id, x.path),
                        reason: x.reason.clone(),
                    })
                    .collect(),
            })
            .collect();
        Manifest {
            version: MANIFEST_VERSION,
            app: env.app.clone(),
            environment: env.settings.name.clone(),
            account: env.settings.account.clone(),
            region: env.settings.region.clone(),
            retain_data: env.settings.retain_data,
            require_approval: env.settings.require_approval,
            deploy_order: env.stacks.iter().map(|s| s.name.clone()).collect(),
            stacks,
            critical_alarms: env.critical_alarms(),
            parity: None,
            checks: None,
            synthesis: None,
        }
    }

    /// The manifest with the commit it was synthesized from and its templates' digests.
    pub fn with_source(mut self, env: &EnvArtifact, source: &Source) -> Manifest {
        self.synthesis = Some(SynthesisSection::new(env, source));
        self
    }

    /// [`Manifest::with_source`] with the templates' digests already computed
    /// ([`crate::template_digests`]).
    pub fn with_source_digests(mut self, env: &EnvArtifact, source: &Source, digests: &[String]) -> Manifest {
        self.synthesis = Some(SynthesisSection::with_digests(env, source, digests));
        self
    }

    /// The manifest with the parity record (`cairn-parity` builds it).
    pub fn with_parity(mut self, record: ParityRecord) -> Manifest {
        self.parity = Some(record);
        self
    }

    /// The manifest with the policy-check results (`cairn-check` builds them).
    pub fn with_checks(mut self, checks: ChecksSection) -> Manifest {
        self.checks = Some(checks);
        self
    }

    /// The file's text: pretty JSON plus a final newline.
    pub fn to_text(&self) -> serde_json::Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// Reads and validates a `manifest.json`; errors name the file, the key and the fix.
    pub fn read(path: &Path) -> Result<Manifest, AssemblyError> {
        let json = read_json(path)?;
        check_required(&json, path)?;
        serde_path_to_error::deserialize(json).map_err(|e| {
            AssemblyError::new(
                path,
                format!("has a value of the wrong shape: {}", e.inner()),
                "synthesize again; the manifest was edited by hand or written by another tool",
            )
            .property(e.path().to_string())
        })
    }

    /// The stack with this name or id.
    pub fn stack(&self, name_or_id: &str) -> Option<&ManifestStack> {
        self.stacks.iter().find(|s| s.name == name_or_id || s.id == name_or_id)
    }
}

/// What a manifest needs to be one at all, with the messages cairn has always
/// given: a version it understands, the environment's name, and stacks whose
/// templates are files beside it.
fn check_required(manifest: &Json, path: &Path) -> Result<(), AssemblyError> {
    let bad = |message: String| AssemblyError::not_written_by_synth(path, message);
    match manifest.get("version").and_then(Json::as_u64) {
        Some(v) if v <= u64::from(MANIFEST_VERSION) => {}
        Some(v) => {
            return Err(AssemblyError::new(
                path,
                format!("manifest version {v} is newer than this cairn understands ({MANIFEST_VERSION})"),
                "use the cairn version that wrote it, or synthesize again",
            ))
        }
        None => return Err(bad("not a cairn manifest: no numeric \"version\"".into())),
    }
    if manifest.get("environment").and_then(Json::as_str).is_none() {
        return Err(bad("not a cairn manifest: no \"environment\" name".into()));
    }
    let Some(stacks) = manifest.get("stacks").and_then(Json::as_array) else {
        return Err(bad("not a cairn manifest: no \"stacks\" list".into()));
    };
    for (i, s) in stacks.iter().enumerate() {
        for key in ["name", "id", "template"] {
            if s.get(key).and_then(Json::as_str).is_none() {
                return Err(bad(format!("stacks[{i}] has no \"{key}\" string")));
            }
        }
        // The manifest names files next to it; never follow a path out of the folder.
        let file = s["template"].as_str().unwrap_or_default();
        if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
            return Err(bad(format!("stacks[{i}].template `{file}` is not a file name in this folder")));
        }
    }
    Ok(())
}

/// A JSON file of the output; a truncated or hand-broken one says so.
pub(crate) fn read_json(path: &Path) -> Result<Json, AssemblyError> {
    let text = std::fs::read_to_string(path).map_err(|e| AssemblyError::not_written_by_synth(path, format!("cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        let what = if e.is_eof() { "is truncated" } else { "is not valid JSON" };
        AssemblyError::new(
            path,
            format!("{what} (line {}, column {}): {e}", e.line(), e.column()),
            "synthesize again; the file was cut short or edited by hand",
        )
    })
}
