//! Parity of the shipped application: its declared differences and a non-knob field of
//! its own. `cairn parity` in general (undeclared fields, `--out`, bad input) is tested on
//! a fixture application in `crates/toolkit/tests/parity.rs`.

use super::*;

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
fn a_newer_image_in_dev_is_promotion_skew_and_parity_passes() {
    if !support::requires(&["dev", "staging", "prod"]) {
        return;
    }
    let sandbox = Sandbox::new("image-skew");
    sandbox.edit("dev", "nginx/nginx:1.27\"", "nginx/nginx:1.28\"");
    let o = sandbox.cairn(&["parity"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}{}", stderr(&o));
    assert!(!text.contains("UNDECLARED"), "{text}");
    assert!(
        text.contains("  service.image: prod and staging run public.ecr.aws/nginx/nginx:1.27; dev runs public.ecr.aws/nginx/nginx:1.28\n"),
        "{text}"
    );
    assert!(text.contains("promotion: service.image"), "the task definition's image row: {text}");
    assert!(text.contains("promotion skew (not a difference): service.image"), "{text}");

    let o = sandbox.cairn(&["parity", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["ok"], json!(true), "{j}");
    let skew = &j["promotionSkew"][0];
    assert_eq!(skew["field"], json!("service.image"), "{j}");
    assert_eq!(skew["values"]["dev"], json!("public.ecr.aws/nginx/nginx:1.28"));
    assert_eq!(skew["values"]["prod"], json!("public.ecr.aws/nginx/nginx:1.27"));
    assert!(
        j["fields"].as_array().unwrap().iter().all(|f| f["field"] != json!("service.image")),
        "{j}"
    );
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

/// dev's and staging's desired counts are below prod's minimum: swapped into prod they
/// do not validate, so each is tried the other way round (the environment with prod's
/// count) by the thread that saw the swap fail, within the same round of syntheses. One
/// after the other or on every core, the attribution is the same.
#[test]
fn a_swap_that_does_not_validate_is_tried_the_other_way_round() {
    if !support::requires(&["dev", "staging", "prod"]) {
        return;
    }
    let app = cairn_app::Shop::default();
    let envs = application::load_all(&app).unwrap();
    let (_, sequential) = parity::analyze(&app, &envs).unwrap();
    let (_, parallel) = parity::analyze_with(&app, &envs, true, &parity::Parallel(&app)).unwrap();
    for (s, p) in sequential.iter().zip(&parallel) {
        assert_eq!(s.drives, p.drives, "{}", s.name);
        assert_eq!(s.unisolated, p.unisolated, "{}", s.name);
    }
    for name in ["dev", "staging"] {
        let env = sequential.iter().find(|e| e.name == name).unwrap();
        let driven = &env.drives["service.desired_count"];
        assert!(
            driven.iter().any(|k| k.property.ends_with("DesiredCount")),
            "{name}: the service's desired count follows service.desired_count: {driven:?}"
        );
        assert!(env.unisolated.is_empty(), "{name}: {:?}", env.unisolated);
    }
}
