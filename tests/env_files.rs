//! The shop's environment-file keys as a new user meets them: through the `cairn` binary,
//! with broken copies of the shipped files. Each problem gives one clear error naming
//! the file and key, exit code 2, and leaves an existing `out/` untouched. How cairn reads
//! environment files whatever the application (unknown names and keys, unreadable files,
//! promotion order, account and region) is tested on a fixture application in
//! `crates/toolkit/tests/env_files.rs`.

use std::process::Output;

mod support;
use support::Sandbox;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Synthesizes prod once, breaks the file, and checks the error and that out/ is untouched.
fn assert_bad(name: &str, env: &str, from: &str, to: &str, expected: &[&str]) {
    let sandbox = Sandbox::new(name);
    let ok = sandbox.synth(env);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let manifest = sandbox.out().join(env).join("manifest.json");
    let before = std::fs::read(&manifest).unwrap();
    sandbox.edit(env, from, to);
    let bad = sandbox.synth(env);
    let err = stderr(&bad);
    assert_eq!(bad.status.code(), Some(2), "{name}: {err}");
    assert!(err.contains(&format!("{env}.toml")), "{name}: error does not name the file: {err}");
    for e in expected {
        assert!(err.contains(e), "{name}: expected `{e}` in: {err}");
    }
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{name}: one error only: {err}"
    );
    assert_eq!(std::fs::read(&manifest).unwrap(), before, "{name}: out/ was changed");
}

/// [`assert_bad`] on any environment, with `key`'s line set to `key = value`.
fn assert_bad_value(name: &str, key: &str, value: &str, expected: &[&str]) {
    let env = support::any_environment();
    let line = support::line_of(&env, key);
    assert_bad(name, &env, &line, &format!("{key} = {value}"), expected);
}

#[test]
fn messages_give_the_real_allowed_values() {
    let cpus = "allowed: 256, 512, 1024, 2048, 4096, 8192, 16384";
    let retentions = "allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653";
    for (name, key, value, expected) in [
        ("cpu-huge", "cpu", "100000", ["service.cpu", cpus]),
        ("cpu-between", "cpu", "300", ["service.cpu", cpus]),
        ("cpu-float", "cpu", "2.5", ["service.cpu", cpus]),
        ("retention-float", "retention_days", "2.5", ["logs.retention_days", retentions]),
        ("retention-string", "retention_days", "\"30\"", ["logs.retention_days", retentions]),
        // Beyond 64 bits the TOML parser itself fails, naming no key.
        (
            "azs-beyond-64-bits",
            "max_azs",
            "99999999999999999999",
            ["network.max_azs", "or more is out of range; allowed: 2 to 3"],
        ),
        (
            "cidr-prefix",
            "cidr",
            "\"10.20.0.0/33\"",
            ["network.cidr", "prefix /33 is larger than 32; allowed: /16 to /24"],
        ),
        (
            "cidr-not-a-block",
            "cidr",
            "\"10.20.0.0/abc\"",
            [
                "network.cidr",
                "`10.20.0.0/abc` is not an IPv4 CIDR block; allowed: a.b.c.d/n with n from 16 to 24, e.g. \"10.0.0.0/16\"\n",
            ],
        ),
        (
            "no-such-region",
            "region",
            "\"eu-central-3\"",
            [
                "`eu-central-3` is not an AWS region; allowed: af-south-1, ",
                "us-gov-west-1, cn-north-1",
            ],
        ),
    ] {
        assert_bad_value(name, key, value, &expected);
    }
}

#[test]
fn wrong_type() {
    assert_bad_value(
        "wrong-type",
        "desired_count",
        "\"three\"",
        &["service.desired_count", "allowed: a whole number from 1 to 100"],
    );
}

#[test]
fn negative_task_count() {
    assert_bad_value(
        "negative",
        "desired_count",
        "-1",
        &["service.desired_count", "-1 is out of range; allowed: 1 to 100"],
    );
}

#[test]
fn numbers_beyond_the_integer_type_give_the_real_range() {
    // Not "a whole number, 0 or more": u32's range is not the key's.
    for (name, key, value, expected) in [
        (
            "huge-count",
            "desired_count",
            "4294967296",
            ["service.desired_count", "allowed: 1 to 100"],
        ),
        (
            "huge-port",
            "container_port",
            "70000",
            ["service.container_port", "allowed: 1 to 65535"],
        ),
        ("negative-order", "promotion_order", "-1", ["promotion_order", "allowed: 0 to 9999"]),
        (
            "huge-storage",
            "allocated_storage_gb",
            "99999999999",
            ["database.allocated_storage_gb", "allowed: 20 to 65536"],
        ),
    ] {
        assert_bad_value(name, key, value, &expected);
    }
}

#[test]
fn long_values_are_shortened_in_messages() {
    // A 309-digit float and a 10,000-character image name: the error stays one short line.
    let huge = format!("1{}.0", "0".repeat(308));
    let long_image = format!("\"nginx {}\"", "x".repeat(10_000));
    let long_string = format!("\"{}\"", "y".repeat(78));
    let env = support::any_environment();
    for (name, key, value, expected) in [
        ("huge-float", "http_5xx_warning_percent", huge.as_str(), "1.000e308 is out of range"),
        ("long-image", "image", long_image.as_str(), "(10006 characters)"),
        ("long-string-type", "desired_count", long_string.as_str(), "(78 characters)"),
    ] {
        assert_bad_value(name, key, value, &[expected]);
        let sandbox = Sandbox::new(&format!("{name}-len"));
        sandbox.edit(&env, &support::line_of(&env, key), &format!("{key} = {value}"));
        let err = stderr(&sandbox.synth(&env));
        assert!(err.len() < 400, "{name}: {} characters: {err}", err.len());
    }
}

#[test]
fn image_references_ecs_refuses_are_refused_with_the_allowed_form() {
    let allowed = "allowed: 1 to 255 letters, digits, hyphens, underscores, colons, periods, slashes";
    let too_long = format!("\"public.ecr.aws/nginx/{}\"", "n".repeat(5000));
    for (name, value) in [
        ("image-too-long", too_long.as_str()),
        ("image-256", &format!("\"{}\"", "a".repeat(256))),
        ("image-bad-character", "\"nginx:1.27;rm\""),
        ("image-empty", "\"\""),
    ] {
        assert_bad_value(name, "image", value, &["service.image", "is not an image reference", allowed]);
    }
    // The longest ECS accepts, and a digest, synthesize.
    let env = support::any_environment();
    for image in ["a".repeat(255), "public.ecr.aws/nginx/nginx@sha256:0123abcd".to_string()] {
        let sandbox = Sandbox::new("image-ok");
        sandbox.edit(&env, &support::line_of(&env, "image"), &format!("image = \"{image}\""));
        let o = sandbox.synth(&env);
        assert!(o.status.success(), "{image}: {}", stderr(&o));
    }
}

#[test]
fn current_rds_instance_classes_are_accepted() {
    let sandbox = Sandbox::new("classes");
    let env = support::any_environment();
    let mut current = support::line_of(&env, "instance_class");
    for class in [
        "db.m6i.large",
        "db.r7g.large",
        "db.m8g.large",
        "db.t4g.micro",
        "db.r6id.2xlarge",
        "db.x2g.large",
    ] {
        let line = format!("instance_class = \"{class}\"");
        sandbox.edit(&env, &current, &line);
        current = line;
        let o = sandbox.synth(&env);
        assert_eq!(o.status.code(), Some(0), "{class}: {}", stderr(&o));
        let data = std::fs::read_to_string(sandbox.out().join(&env).join(format!("shop-{env}-data.template.json"))).unwrap();
        assert!(data.contains(&format!("\"DBInstanceClass\": \"{class}\"")), "{class}");
    }
}

#[test]
fn an_unknown_rds_instance_class_names_the_key_and_the_families() {
    assert_bad_value(
        "class-family",
        "instance_class",
        "\"db.z9.large\"",
        &["database.instance_class", "`db.z9.large`", "db.m7g.large", "db.t4g, db.m5"],
    );
    assert_bad_value(
        "class-size",
        "instance_class",
        "\"db.m7g.24xlarge\"",
        &["database.instance_class", "a size RDS offers in db.m7g", "16xlarge"],
    );
}

#[test]
fn retention_cloudwatch_does_not_accept() {
    assert_bad_value(
        "retention",
        "retention_days",
        "31",
        &["logs.retention_days", "allowed: 1, 3, 5, 7, 14, 30"],
    );
}

#[test]
fn malformed_cidr() {
    assert_bad_value("cidr", "cidr", "\"10.10.0.1/16\"", &["network.cidr", "host bits"]);
    assert_bad_value("cidr-size", "cidr", "\"10.0.0.0/8\"", &["network.cidr", "/16 to /24"]);
}

#[test]
fn backup_retention_out_of_range() {
    assert_bad_value(
        "backup",
        "backup_retention_days",
        "40",
        &["database.backup_retention_days", "allowed: 1 to 35"],
    );
}

/// Keys that bound each other: the error blames the key the value belongs to and names
/// the relation, not a range derived from the other key ("max_tasks: 10 is out of range;
/// allowed: 20 to 100" blamed max_tasks for min_tasks = 20).
#[test]
fn related_keys_name_the_relation_and_the_right_key() {
    let cases: [(&str, &str, &str, &[&str]); 5] = [
        (
            "min-above-max",
            "min_tasks = 3",
            "min_tasks = 20",
            &["key `service.min_tasks`: 20 is more than `service.max_tasks` (10); min_tasks ≤ desired_count ≤ max_tasks"],
        ),
        (
            "max-below-min",
            "max_tasks = 10",
            "max_tasks = 2",
            &["key `service.min_tasks`: 3 is more than `service.max_tasks` (2); min_tasks ≤ desired_count ≤ max_tasks"],
        ),
        (
            "desired-above-max",
            "desired_count = 3",
            "desired_count = 12",
            &["key `service.desired_count`: 12 is more than `service.max_tasks` (10); min_tasks ≤ desired_count ≤ max_tasks"],
        ),
        (
            "desired-below-min",
            "desired_count = 3",
            "desired_count = 2",
            &["key `service.desired_count`: 2 is less than `service.min_tasks` (3); min_tasks ≤ desired_count ≤ max_tasks"],
        ),
        (
            "nat-above-azs",
            "nat_gateways = 2",
            "nat_gateways = 3",
            &["key `network.nat_gateways`: 3 is more than `network.max_azs` (2); nat_gateways ≤ max_azs"],
        ),
    ];
    for (name, from, to, expected) in cases {
        assert_bad(name, "prod", from, to, expected);
    }
}

#[test]
fn engine_version_rds_does_not_offer() {
    // Well-formed, but no such PostgreSQL: the error lists the versions allowed.
    assert_bad_value(
        "engine",
        "engine_version",
        "\"99.1\"",
        &[
            "database.engine_version",
            "`99.1` is not a PostgreSQL version RDS offers",
            "allowed: PostgreSQL 13, 14, 15, 16, 17, 18",
        ],
    );
    assert_bad_value(
        "engine-minor",
        "engine_version",
        "\"17.99\"",
        &["database.engine_version", "allowed: 17.1, 17.2, 17.3, 17.4, 17.5, 17.6, 17.7"],
    );
}

#[test]
fn reserved_tag_keys_are_refused() {
    assert_bad(
        "tag",
        &support::any_environment(),
        "[tags]",
        "[tags]\nEnvironment = \"x\"",
        &["tags.Environment", "set by cairn itself"],
    );
}

#[test]
fn long_health_check_path_names_the_key_and_its_length_limit() {
    let long = format!("\"/{}\"", "y".repeat(3000));
    assert_bad_value(
        "long-health-check-path",
        "health_check_path",
        &long,
        &[
            "service.health_check_path",
            "is too long; allowed: at most 1024 characters starting with `/`",
            "(3001 characters)",
        ],
    );
}
