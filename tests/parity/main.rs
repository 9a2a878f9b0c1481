//! Parity: environments differ only through declared knobs.
//!
//! The engine on a tiny application of the test's own (one that branches on an
//! environment's name, a field that is not a knob, a must-match field), and the
//! shipped application's parity. The `cairn parity` command itself (an undeclared field
//! introduced through an environment file, a template edited by hand in `out/`, bad
//! input) is tested on a fixture application in `crates/toolkit/tests/parity.rs`.

#[path = "../support/mod.rs"]
mod support;

mod baseline;
mod shipped;
mod tiny_app;

mod prelude {
    pub(crate) use cairn_assembly::Manifest;
    pub(crate) use cairn_core::application::{self, EnvironmentConfig};
    pub(crate) use cairn_core::config::{AccountId, FieldError, Region, Validate};
    pub(crate) use cairn_core::{Application, EnvSettings, Environment, Knob, Resource};
    pub(crate) use cairn_parity::{self as parity, render, Report, Source, Status};
    pub(crate) use serde::Deserialize;
    pub(crate) use serde_json::{json, Value as Json};
    pub(crate) use std::path::PathBuf;
    pub(crate) use std::process::Output;

    pub(crate) use crate::support::Sandbox;
}
use prelude::*;

// ---------------------------------------------------------------------------
// A tiny application of the test's own.

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TinyConfig {
    account: AccountId,
    region: Region,
    promotion_order: u32,
    /// A knob.
    retention_days: u32,
    /// Not a knob: must be the same everywhere.
    visibility_timeout: u32,
    /// A knob that staging and prod must share.
    engine_version: String,
    /// The artifact version (`Knob::artifact` when `Tiny::image_is_artifact`).
    #[serde(default = "default_image")]
    image: String,
}

fn default_image() -> String {
    "app:1".into()
}

impl Validate for TinyConfig {
    fn validate(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

impl EnvironmentConfig for TinyConfig {
    fn settings(&self, name: &str) -> EnvSettings {
        EnvSettings {
            name: name.to_string(),
            account: self.account.as_str().to_string(),
            region: self.region.as_str().to_string(),
            retain_data: false,
            require_approval: false,
            tags: Default::default(),
        }
    }
    fn promotion_order(&self) -> u32 {
        self.promotion_order
    }
}

struct Tiny {
    dir: PathBuf,
    /// Branch on the environment's name (what parity must catch).
    prod_only_queue: bool,
    /// `image` is declared as an artifact version (else it is no knob at all).
    image_is_artifact: bool,
}

impl Application for Tiny {
    type Config = TinyConfig;

    fn name(&self) -> &str {
        "tiny"
    }

    fn environments_dir(&self) -> PathBuf {
        self.dir.clone()
    }

    fn knobs(&self) -> Vec<Knob> {
        let mut knobs = vec![
            Knob::new("account"),
            Knob::new("region"),
            Knob::new("retention_days"),
            Knob::matching("engine_version", &["staging", "prod"]),
        ];
        if self.image_is_artifact {
            knobs.push(Knob::artifact("image"));
        }
        knobs
    }

    fn build(&self, env: &Environment, c: &TinyConfig) -> cairn_core::Result<()> {
        let data = env.stack("data")?;
        let scope = data.scope();
        let queue = scope.add_resource(
            "Jobs",
            Resource::new("AWS::SQS::Queue")
                .prop("MessageRetentionPeriod", c.retention_days * 86_400)
                .prop("VisibilityTimeout", c.visibility_timeout)
                .prop("SqsManagedSseEnabled", true),
        )?;
        scope.add_resource(
            "Db",
            Resource::new("AWS::RDS::DBInstance")
                .prop("Engine", "postgres")
                .prop("EngineVersion", c.engine_version.as_str())
                .prop("StorageEncrypted", true),
        )?;
        scope.add_resource(
            "Release",
            Resource::new("AWS::SSM::Parameter")
                .prop("Type", "String")
                .prop("Value", c.image.as_str()),
        )?;
        if self.prod_only_queue && env.name() == "prod" {
            scope.add_resource("Audit", Resource::new("AWS::SQS::Queue").prop("SqsManagedSseEnabled", true))?;
        }
        let service = env.stack("service")?;
        service.scope().add_resource(
            "Consumer",
            Resource::new("AWS::SQS::QueuePolicy").prop("Queues", cairn_core::Value::list([cairn_core::Value::from(&queue)])),
        )?;
        Ok(())
    }
}

/// (name, order, retention, visibility timeout, engine version)
type EnvSpec<'a> = (&'a str, u32, u32, u32, &'a str);

const BASELINE: [EnvSpec; 3] = [
    ("dev", 1, 3, 30, "16.1"),
    ("staging", 2, 7, 30, "16.4"),
    ("prod", 3, 14, 30, "16.4"),
];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cairn-parity-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tiny(name: &str, specs: &[EnvSpec], prod_only_queue: bool) -> Tiny {
    let dir = scratch(name);
    for (env, order, retention, timeout, engine) in specs {
        std::fs::write(
            dir.join(format!("{env}.toml")),
            format!(
                "account = \"123456789012\"\nregion = \"eu-west-1\"\npromotion_order = {order}\n\
                 retention_days = {retention}\nvisibility_timeout = {timeout}\nengine_version = \"{engine}\"\n"
            ),
        )
        .unwrap();
    }
    Tiny {
        dir,
        prod_only_queue,
        image_is_artifact: true,
    }
}

impl Drop for Tiny {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn check(app: &Tiny) -> Report {
    let envs = application::load_all(app).unwrap();
    let (_, inputs) = parity::analyze(app, &envs).unwrap();
    parity::compare(app.name(), Source::Synthesis, &inputs, &app.knobs())
}

fn row<'a>(report: &'a Report, resource: &str, property: &str) -> &'a parity::Row {
    report
        .stacks
        .iter()
        .flat_map(|s| &s.rows)
        .find(|r| r.resource == resource && r.property == property)
        .unwrap_or_else(|| panic!("no row {resource} {property} in\n{}", render::text(report, false)))
}
