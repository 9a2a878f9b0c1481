//! Parity of the shipped application and of synthesis output folders.

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
