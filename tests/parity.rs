//! Parity: environments differ only through declared knobs.
//!
//! The engine on a tiny application of the test's own (one that branches on an
//! environment's name, a field that is not a knob, a must-match field), and the
//! `cairn parity` command on the shipped application: its declared differences, an
//! undeclared one introduced through an environment file, and a template edited by
//! hand in `out/`.

use std::path::PathBuf;
use std::process::Output;

use cairn_assembly::Manifest;
use cairn_core::application::{self, EnvironmentConfig};
use cairn_core::config::{AccountId, FieldError, Region, Validate};
use cairn_core::{Application, EnvSettings, Environment, Knob, Resource};
use cairn_parity::{self as parity, render, Report, Source, Status};
use serde::Deserialize;
use serde_json::{json, Value as Json};

mod support;
use support::Sandbox;

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
        vec![
            Knob::new("account"),
            Knob::new("region"),
            Knob::new("retention_days"),
            Knob::matching("engine_version", &["staging", "prod"]),
        ]
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
    Tiny { dir, prod_only_queue }
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

#[test]
fn declared_differences_are_attributed_to_their_knob() {
    let app = tiny("declared", &BASELINE, false);
    let report = check(&app);
    assert!(report.ok(), "{}", render::text(&report, false));
    assert_eq!(report.envs, ["dev", "staging", "prod"]);
    assert_eq!(report.reference, "prod");
    let retention = row(&report, "data/Jobs", "MessageRetentionPeriod");
    assert_eq!(retention.status, Status::Declared(vec!["retention_days".into()]));
    assert_eq!(
        retention.values,
        [Some(json!(259_200)), Some(json!(604_800)), Some(json!(1_209_600))]
    );
    // dev may differ in the engine version; only staging and prod must match.
    assert_eq!(
        row(&report, "data/Db", "EngineVersion").status,
        Status::Declared(vec!["engine_version".into()])
    );
    // Names with the environment in them (stack names, export names) are not differences.
    assert_eq!(
        report.stacks.iter().flat_map(|s| &s.rows).count(),
        2,
        "{}",
        render::text(&report, false)
    );
    let fields: Vec<&str> = report.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["retention_days", "engine_version"]);
}

#[test]
fn identical_environment_files_have_no_differences() {
    let specs: Vec<EnvSpec> = BASELINE.iter().map(|(n, o, ..)| (*n, *o, 7, 30, "16.4")).collect();
    let app = tiny("identical", &specs, false);
    let report = check(&app);
    assert!(report.ok());
    assert!(report.stacks.is_empty(), "{}", render::text(&report, false));
    assert!(report.fields.is_empty());
}

#[test]
fn a_resource_only_in_prod_is_undeclared() {
    let app = tiny("prod-only", &BASELINE, true);
    let report = check(&app);
    assert!(!report.ok());
    let audit = row(&report, "data/Audit", "(resource)");
    assert_eq!(audit.values, [None, None, Some(json!("AWS::SQS::Queue"))]);
    match &audit.status {
        Status::Undeclared { envs, reasons } => {
            assert_eq!(envs, &["dev", "staging"]);
            assert!(reasons[0].contains("not driven by the environment file"), "{reasons:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(report.undeclared_count(), 1);
    // Listed first: the undeclared section precedes the declared fields and the stacks.
    let text = render::text(&report, false);
    let undeclared_at = text.find("Undeclared differences").unwrap();
    assert!(undeclared_at < text.find("Declared fields").unwrap(), "{text}");
    assert!(text.contains("UNDECLARED  data/Audit (resource)"), "{text}");
    let data_table = &text[text.find("Stack data").unwrap()..];
    assert!(
        data_table.find("data/Audit").unwrap() < data_table.find("data/Jobs").unwrap(),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("parity: 1 undeclared difference (listed first), 2 declared"),
        "{text}"
    );
    let j = render::json(&report);
    assert_eq!(j["ok"], json!(false));
    assert_eq!(j["undeclared"][0]["resource"], json!("data/Audit"));
    assert_eq!(j["undeclared"][0]["undeclaredIn"], json!(["dev", "staging"]));
    assert_eq!(j["undeclared"][0]["present"], json!({"dev": false, "staging": false, "prod": true}));
}

#[test]
fn a_property_that_differs_without_a_knob_is_undeclared_and_names_the_field() {
    let mut specs = BASELINE;
    specs[1].3 = 60; // staging's visibility_timeout
    let app = tiny("no-knob", &specs, false);
    let report = check(&app);
    assert!(!report.ok());
    let r = row(&report, "data/Jobs", "VisibilityTimeout");
    assert_eq!(r.values, [Some(json!(30)), Some(json!(60)), Some(json!(30))]);
    match &r.status {
        Status::Undeclared { envs, reasons } => {
            assert_eq!(envs, &["staging"]);
            assert!(
                reasons[0].contains("`visibility_timeout`, which is not declared as a knob"),
                "{reasons:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The knob-driven property next to it is still declared.
    assert!(!row(&report, "data/Jobs", "MessageRetentionPeriod").status.is_undeclared());
    let md = render::markdown(&report);
    assert!(
        md.contains("| `data/Jobs` | `VisibilityTimeout` | `30` | `60` | `30` | **UNDECLARED** |"),
        "{md}"
    );
}

#[test]
fn a_must_match_field_set_differently_is_undeclared() {
    let mut specs = BASELINE;
    specs[1].4 = "16.3"; // staging's engine_version, prod has 16.4
    let app = tiny("must-match", &specs, false);
    let report = check(&app);
    assert!(!report.ok());
    assert_eq!(report.violations.len(), 1);
    let v = &report.violations[0];
    assert_eq!(v.field, "engine_version");
    assert_eq!(v.values, [Some(json!("16.1")), Some(json!("16.3")), Some(json!("16.4"))]);
    let r = row(&report, "data/Db", "EngineVersion");
    match &r.status {
        Status::Undeclared { envs, reasons } => {
            assert_eq!(envs, &["staging"]);
            assert!(
                reasons[0].contains("`engine_version`, which must be equal in staging, prod"),
                "{reasons:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let text = render::text(&report, false);
    assert!(
        text.contains("environment files: `engine_version` must be equal in staging, prod, but dev=16.1, staging=16.3, prod=16.4"),
        "{text}"
    );
    assert_eq!(report.undeclared_count(), 2);
}

#[test]
fn the_synth_record_lets_parity_check_an_out_folder() {
    let app = tiny("record", &BASELINE, true);
    let envs = application::load_all(&app).unwrap();
    let assembly = application::synthesize(&app, &envs.iter().map(|e| (e.name.as_str(), &e.config)).collect::<Vec<_>>()).unwrap();
    let synthesized: Vec<_> = envs.iter().zip(&assembly.environments).collect();
    let records = parity::record::records(&app, &synthesized, &envs);
    let out = app.dir.join("out");
    let manifests: Vec<_> = assembly
        .environments
        .iter()
        .zip(records)
        .map(|(a, r)| (a, Manifest::from_artifact(a).with_parity(r)))
        .collect();
    cairn_assembly::write_environments(&out, &manifests).unwrap();
    let recorded = Manifest::read(&out.join("dev/manifest.json")).unwrap().parity.unwrap();
    let field = &recorded.fields["retention_days"];
    assert_eq!(field.value, Some(json!(3)));
    let drives = &field.drives;
    assert_eq!(drives.len(), 1, "{drives:?}");
    assert_eq!(drives[0].stack, "data");
    assert_eq!(drives[0].section, "Resources");
    assert_eq!(drives[0].property, "Properties.MessageRetentionPeriod");
    assert_eq!(recorded.fields["engine_version"].must_match, ["staging", "prod"]);
    let (name, inputs, knobs) = parity::record::read_out_dir(&out, &[]).unwrap();
    assert_eq!(name, "tiny");
    let report = parity::compare(&name, Source::OutDir(out.display().to_string()), &inputs, &knobs);
    assert_eq!(report.envs, ["dev", "staging", "prod"]);
    assert_eq!(
        row(&report, "data/Jobs", "MessageRetentionPeriod").status,
        Status::Declared(vec!["retention_days".into()])
    );
    assert!(row(&report, "data/Audit", "(resource)").status.is_undeclared());
    assert_eq!(report.undeclared_count(), 1);
}

// ---------------------------------------------------------------------------
// `cairn parity` on the shipped application.

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The knobs the shipped environment files set differently, as the issue lists them.
const SHIPPED_DECLARED: [&str; 5] = [
    "database.instance_class",
    "service.desired_count",
    "database.deletion_protection",
    "database.backup_retention_days",
    "network.nat_gateways",
];

#[test]
fn the_shipped_application_has_parity() {
    if !support::requires(&["dev", "staging", "prod"]) {
        return;
    }
    let sandbox = Sandbox::new("shipped");
    let o = sandbox.cairn(&["parity"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}{}", stderr(&o));
    assert!(text.contains("parity: OK, every difference is declared"), "{text}");
    assert!(!text.contains("UNDECLARED"), "{text}");
    for field in SHIPPED_DECLARED {
        assert!(text.contains(field), "{field} missing:\n{text}");
    }
    assert!(!text.contains('\x1b'), "colors only on a terminal");

    let o = sandbox.cairn(&["parity", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["ok"], json!(true));
    // Every environment file, the shipped ones in their promotion order.
    let listed: Vec<&str> = j["environments"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, support::environment_files_in(&sandbox.envs()));
    let shipped: Vec<&str> = listed.iter().copied().filter(|e| support::SHIPPED.contains(e)).collect();
    assert_eq!(shipped, support::shipped());
    for field in SHIPPED_DECLARED {
        let f = j["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == json!(field))
            .unwrap_or_else(|| panic!("{field}"));
        assert!(f["differences"].as_u64().unwrap() >= 1, "{field} drives no property: {f}");
    }
    // Every declared difference names its field; e.g. the instance class.
    let rows: Vec<&Json> = j["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["differences"].as_array().unwrap())
        .collect();
    let class = rows.iter().find(|r| r["property"] == json!("Properties.DBInstanceClass")).unwrap();
    assert_eq!(class["fields"], json!(["database.instance_class"]));
    for (env, value) in [("dev", "db.t3.micro"), ("staging", "db.t3.small"), ("prod", "db.t3.medium")] {
        if support::shipped().contains(&env) {
            assert_eq!(class["values"][env], json!(value), "{env}");
        }
    }
    let nat = rows.iter().filter(|r| r["fields"] == json!(["network.nat_gateways"])).count();
    assert!(nat >= 2, "prod's second NAT gateway and its EIP: {nat}");

    let o = sandbox.cairn(&["parity", "staging", "prod", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = stdout(&o);
    assert!(md.starts_with("## Parity of shop: staging, prod"), "{md}");
    assert!(
        md.contains("| `database.instance_class` | `db.t3.small` | `db.t3.medium` |"),
        "{md}"
    );
}

#[test]
fn an_undeclared_field_in_one_environment_file_fails_with_its_paths() {
    if !support::requires(&["staging", "prod"]) {
        return;
    }
    let sandbox = Sandbox::new("undeclared-tag");
    // tags.CostCenter is a knob; a new tag key in staging only is not.
    sandbox.edit("staging", "[tags]\n", "[tags]\nTeam = \"payments\"\n");
    let o = sandbox.cairn(&["parity"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    // Every environment, in promotion order.
    let all = sandbox.cairn(&["ls", "--json"]);
    let listed: Json = serde_json::from_slice(&all.stdout).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["environment"].as_str().unwrap())
        .collect();
    assert!(
        stderr(&o).contains(&format!("undeclared differences between {}", names.join(", "))),
        "{}",
        stderr(&o)
    );
    let first = text
        .lines()
        .skip_while(|l| !l.starts_with("Undeclared differences"))
        .nth(1)
        .unwrap_or_default();
    assert!(first.starts_with("  UNDECLARED  "), "{text}");
    // One line for the tag on every resource, naming some of them.
    assert!(
        text.contains("Tags[Team] of ") && text.contains(" more): caused by `tags.Team`, which is not declared as a knob"),
        "{text}"
    );
    assert!(text.contains("data/Orders/Resource") && text.contains("Tags[Team]"), "{text}");
    // Declared ones are still listed, after.
    assert!(text.contains("database.instance_class"), "{text}");
    // dev and prod alone still have parity.
    if support::shipped().contains(&"dev") {
        let o = sandbox.cairn(&["parity", "dev", "prod"]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    }
}

#[test]
fn parity_out_checks_a_synthesis_and_catches_a_hand_edited_template() {
    // About dev's record against prod's.
    if !support::requires(&["dev", "prod"]) {
        return;
    }
    let sandbox = Sandbox::new("out");
    let out = sandbox.out();
    let out_s = out.to_str().unwrap();
    let o = sandbox.cairn(&["synth", "--all", "--out", out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // dev's record: what each knob drives compared with the reference, prod.
    let record = Manifest::read(&out.join("dev/manifest.json")).unwrap().parity.unwrap();
    assert_eq!(record.reference.as_deref(), Some("prod"));
    let field = &record.fields["database.instance_class"];
    assert_eq!(field.value, Some(json!("db.t3.micro")));
    assert!(
        field.drives.iter().any(|d| d.property == "Properties.DBInstanceClass"),
        "{:?}",
        field.drives
    );

    let o = sandbox.cairn(&["parity", "--out", out_s]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    for field in SHIPPED_DECLARED {
        assert!(stdout(&o).contains(field), "{field}: {}", stdout(&o));
    }

    // Edit prod's queue by hand.
    let template = out.join("prod/shop-prod-data.template.json");
    let mut t: Json = serde_json::from_slice(&std::fs::read(&template).unwrap()).unwrap();
    let jobs = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Metadata"]["cairn:path"] == json!("data/Jobs/Resource"))
        .map(|(id, _)| id.clone())
        .unwrap();
    t["Resources"][&jobs]["Properties"]["VisibilityTimeout"] = json!(900);
    std::fs::write(&template, serde_json::to_string_pretty(&t).unwrap()).unwrap();

    let o = sandbox.cairn(&["parity", "--out", out_s, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let j: Json = serde_json::from_slice(&o.stdout).unwrap();
    let undeclared = j["undeclared"].as_array().unwrap();
    let edited = undeclared.iter().find(|u| u["kind"] == json!("note")).unwrap();
    assert!(
        edited["message"]
            .as_str()
            .unwrap()
            .contains("shop-prod-data.template.json was changed after synthesis"),
        "{edited}"
    );
    let row = undeclared.iter().find(|u| u["kind"] == json!("template")).unwrap();
    assert_eq!(row["resource"], json!("data/Jobs/Resource"));
    assert_eq!(row["property"], json!("Properties.VisibilityTimeout"));
    assert_eq!(row["values"]["prod"], json!(900));
    // Every environment but the reference, prod (dev and staging, and any other).
    let others: Vec<&Json> = j["environments"].as_array().unwrap().iter().filter(|e| *e != "prod").collect();
    assert_eq!(row["undeclaredIn"], json!(others));
    for env in support::shipped().into_iter().filter(|e| *e != "prod") {
        assert!(others.contains(&&json!(env)), "{env}: {others:?}");
    }

    // A folder that holds no synthesis is bad input.
    let o = sandbox.cairn(&["parity", "--out", sandbox.envs().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn parallel_and_sequential_syntheses_agree() {
    let mut specs = BASELINE;
    specs[1].3 = 60;
    let app = tiny("parallel", &specs, true);
    let envs = application::load_all(&app).unwrap();
    let (_, sequential) = parity::analyze(&app, &envs).unwrap();
    let (_, parallel) = parity::analyze_with(&app, &envs, true, &parity::Parallel(&app)).unwrap();
    let a = parity::compare(app.name(), Source::Synthesis, &sequential, &app.knobs());
    let b = parity::compare(app.name(), Source::Synthesis, &parallel, &app.knobs());
    assert_eq!(a, b);
    assert_eq!(a.undeclared_count(), 2, "{}", render::text(&a, false));
    // Without labels (deploy's check) the verdict is the same.
    let (_, quick) = parity::analyze_with(&app, &envs, false, &parity::Parallel(&app)).unwrap();
    let c = parity::compare(app.name(), Source::Synthesis, &quick, &app.knobs());
    assert_eq!(c.undeclared_count(), a.undeclared_count());
    assert_eq!(c.declared_count(), a.declared_count());
}

#[test]
fn a_non_knob_field_whose_value_alone_does_not_validate_is_still_named() {
    if !support::requires(&["staging", "prod"]) {
        return;
    }
    let sandbox = Sandbox::new("undeclared-size");
    // Another valid Fargate pair in staging only: cpu = 256 (prod's) with 2048 MiB is
    // valid, but 1024 MiB with cpu = 1024 is not, so memory_mib swapped alone fails.
    sandbox.edit("staging", "cpu = 256\nmemory_mib = 512", "cpu = 1024\nmemory_mib = 2048");
    let o = sandbox.cairn(&["parity"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}{}", stderr(&o));
    let undeclared: Vec<&str> = text.lines().filter(|l| l.starts_with("  UNDECLARED  ")).collect();
    assert!(!undeclared.is_empty(), "{text}");
    for line in &undeclared {
        assert!(line.contains("caused by `service.cpu`"), "{line}\n{text}");
        assert!(!line.contains("not driven by the environment file"), "{line}\n{text}");
    }
    assert!(
        text.contains("caused by `service.cpu` and `service.memory_mib` together, which are not declared as knobs"),
        "{text}"
    );
}

#[test]
fn parity_out_requires_every_environment_with_a_file() {
    if !support::requires(&["dev", "staging", "prod"]) {
        return;
    }
    let sandbox = Sandbox::new("out-missing");
    let out = sandbox.out();
    let out_s = out.to_str().unwrap();
    let o = sandbox.cairn(&["synth", "--all", "--out", out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));

    // prod's synthesis deleted: not silently dropped (staging would become the reference).
    std::fs::remove_dir_all(out.join("prod")).unwrap();
    let o = sandbox.cairn(&["parity", "--out", out_s]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("lacks prod"), "{err}");
    assert!(err.contains(&out.join("prod").join("manifest.json").display().to_string()), "{err}");
    assert!(err.contains(&format!("cairn synth --all --out {out_s}")), "{err}");
    assert!(stdout(&o).is_empty(), "no report: {}", stdout(&o));

    // Named environments: only those must be there.
    let o = sandbox.cairn(&["parity", "--out", out_s, "dev", "staging"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = sandbox.cairn(&["parity", "--out", out_s, "dev", "prod"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("prod"), "{}", stderr(&o));
}

#[test]
fn parity_out_rejects_a_folder_with_templates_but_no_manifest() {
    // Two environments the project has: the first loses its manifest.
    let files = support::environment_files();
    let [first, second, ..] = files.as_slice() else {
        eprintln!("skipped: parity needs two environment files");
        return;
    };
    let (first, second) = (first.as_str(), second.as_str());
    let sandbox = Sandbox::new("out-no-manifest");
    let out = sandbox.out();
    let out_s = out.to_str().unwrap();
    let o = sandbox.cairn(&["synth", "--all", "--out", out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(out.join(first).join("manifest.json")).unwrap();
    for args in [vec!["parity", "--out", out_s], vec!["parity", "--out", out_s, first, second]] {
        let o = sandbox.cairn(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}{}", stdout(&o), stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&out.join(first).display().to_string()) && err.contains("no manifest.json"),
            "{err}"
        );
        assert!(err.contains("synthesize again"), "{err}");
    }
}

#[test]
fn parity_needs_at_least_two_environments() {
    let sandbox = Sandbox::new("single");
    let out = sandbox.out();
    let out_s = out.to_str().unwrap();
    let o = sandbox.cairn(&["synth", "--all", "--out", out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for args in [
        vec!["parity", "dev"],
        vec!["parity", "prod", "--format", "json"],
        vec!["parity", "dev", "dev"],
        vec!["parity", "--out", out_s, "dev"],
        vec!["parity", "--deployed", "dev"],
    ] {
        let o = sandbox.cairn(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}{}", stdout(&o), stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("parity compares at least two environments"), "{args:?}: {err}");
        assert!(err.contains("cairn parity staging prod"), "{err}");
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    }
    // A project with one environment file: nothing to compare either.
    for name in support::environment_files_in(&sandbox.envs()).into_iter().skip(1) {
        std::fs::remove_file(sandbox.envs().join(format!("{name}.toml"))).unwrap();
    }
    let o = sandbox.cairn(&["parity"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("parity compares at least two environments"), "{}", stderr(&o));
}
