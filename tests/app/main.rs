//! The shop's templates: the environment table, security properties, cross-stack
//! wiring, logical-ID stability, and clear synthesis errors for wrong use.

#[path = "../support/mod.rs"]
mod support;

mod logs;
mod network_and_data;
mod renames;
mod service;
mod wrong_use;

mod prelude {
    pub(crate) use std::collections::BTreeSet;

    pub(crate) use crate::support::{
        absent, any_environment, array_with, config, probe_config, synth_all, synth_with, ShopTemplate, Template, PROBE,
    };
    pub(crate) use cairn_app::Config;
    pub(crate) use cairn_constructs::{
        Attribute, Cluster, ClusterProps, ContainerProps, Database, DatabaseProps, FargateServiceProps, FargateSize,
        LoadBalancedFargateService, LoadBalancedFargateServiceProps, SubnetConfiguration, Table, TableProps, Vpc, VpcProps,
    };
    pub(crate) use cairn_core::config::Ipv4Cidr;
    pub(crate) use cairn_core::{App, EnvSettings, Error};
    pub(crate) use serde_json::{json, Value as Json};
}
use prelude::*;

/// The environment table (docs: deployment guide), one row per environment.
struct Row {
    env: &'static str,
    instance_class: &'static str,
    desired_count: u32,
    deletion_protection: bool,
    backup_retention: u32,
    nat_gateways: usize,
    retain_data: bool,
}

const TABLE: [Row; 3] = [
    Row {
        env: "dev",
        instance_class: "db.t3.micro",
        desired_count: 1,
        deletion_protection: false,
        backup_retention: 7,
        nat_gateways: 1,
        retain_data: false,
    },
    Row {
        env: "staging",
        instance_class: "db.t3.small",
        desired_count: 2,
        deletion_protection: false,
        backup_retention: 7,
        nat_gateways: 1,
        retain_data: false,
    },
    Row {
        env: "prod",
        instance_class: "db.t3.medium",
        desired_count: 3,
        deletion_protection: true,
        backup_retention: 30,
        nat_gateways: 2,
        retain_data: true,
    },
];

/// The rows of [`TABLE`] whose environment file is there.
fn table() -> impl Iterator<Item = &'static Row> {
    let shipped = support::shipped();
    TABLE.iter().filter(move |r| shipped.contains(&r.env))
}

#[test]
fn environment_table_holds_in_the_templates() {
    let assembly = synth_all();
    for row in table() {
        let cfg = config(row.env);
        let data = Template::from_assembly(&assembly, row.env, "data");
        data.resource_count_is("AWS::RDS::DBInstance", 1);
        data.has_resource_properties(
            "AWS::RDS::DBInstance",
            json!({
                "DBInstanceClass": row.instance_class,
                "DeletionProtection": row.deletion_protection,
                "BackupRetentionPeriod": row.backup_retention,
                "MultiAZ": cfg.database.multi_az,
            }),
        );
        let policy = if row.retain_data { "Snapshot" } else { "Delete" };
        data.has_resource(
            "AWS::RDS::DBInstance",
            json!({ "DeletionPolicy": policy, "UpdateReplacePolicy": policy }),
        );

        let service = Template::from_assembly(&assembly, row.env, "service");
        service.resource_count_is("AWS::ECS::Service", 1);
        service.has_resource_properties("AWS::ECS::Service", json!({ "DesiredCount": row.desired_count }));
        service.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalableTarget",
            json!({ "MinCapacity": cfg.service.min_tasks, "MaxCapacity": cfg.service.max_tasks }),
        );
        service.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": cfg.logs.retention_days.days() }));

        let network = Template::from_assembly(&assembly, row.env, "network");
        network.resource_count_is("AWS::EC2::NatGateway", row.nat_gateways);
        network.resource_count_is("AWS::EC2::EIP", row.nat_gateways);
        network.has_resource_properties("AWS::EC2::VPC", json!({ "CidrBlock": cfg.network.cidr.to_string() }));
    }
}

#[test]
fn each_environment_has_network_data_and_service_stacks_in_deploy_order() {
    let assembly = synth_all();
    let envs: Vec<&str> = assembly.environments.iter().map(|e| e.settings.name.as_str()).collect();
    // Every environment file, in promotion order: the shipped ones dev → staging → prod,
    // any other (a qa.toml) in its place among them.
    let mut sorted = envs.clone();
    sorted.sort();
    assert_eq!(sorted, support::environment_files());
    let shipped: Vec<&str> = envs.iter().copied().filter(|e| support::SHIPPED.contains(e)).collect();
    assert_eq!(shipped, support::shipped());
    for env in &assembly.environments {
        let n = &env.settings.name;
        let names: Vec<&str> = env.stacks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [format!("shop-{n}-network"), format!("shop-{n}-data"), format!("shop-{n}-service")]
        );
        assert!(env.stacks[0].depends_on.is_empty());
        assert_eq!(env.stacks[1].depends_on, [format!("shop-{n}-network")]);
        assert_eq!(env.stacks[2].depends_on, [format!("shop-{n}-data"), format!("shop-{n}-network")]);
        // The stateful stack never refers to the stateless one.
        let data = Template::of(&env.stacks[1]);
        assert!(data.imports().iter().all(|i| i.starts_with(&format!("shop-{n}-network:"))));
    }
}

#[test]
fn every_templates_size_as_sent_is_the_length_of_what_deploy_sends() {
    // The manifests' `deploy_bytes` and the choice to upload.
    for env in &synth_all().environments {
        for stack in &env.stacks {
            assert_eq!(stack.deploy_len(), stack.deploy_body().len(), "{}", stack.name);
        }
    }
}

#[test]
fn every_type_the_shop_synthesizes_has_schema_facts_and_a_known_statefulness() {
    use cairn_diff::is_unknown_statefulness;
    let assembly = synth_all();
    let mut unknown = BTreeSet::new();
    for env in &assembly.environments {
        for stack in &env.stacks {
            let resources = stack.template["Resources"].as_object().expect("resources");
            for r in resources.values() {
                let rtype = r["Type"].as_str().expect("a type");
                if cairn_core::schema::resource_type(rtype).is_none() || is_unknown_statefulness(rtype) {
                    unknown.insert(rtype.to_string());
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "add them to STATEFUL_TYPES or STATELESS_TYPES (diff/replacement.rs), or use a type the schemas know: {unknown:?}"
    );
}

#[test]
fn logical_ids_are_identical_across_environments() {
    if !support::requires(&["dev", "staging", "prod"]) {
        return;
    }
    let assembly = synth_all();
    // The environment's key (the knob encryption.customer_managed_key) is left out: it
    // exists only where the file asks for it.
    let ids = |env: &str, stack: &str| -> BTreeSet<String> {
        Template::from_assembly(&assembly, env, stack)
            .logical_ids()
            .into_iter()
            .filter(|id| !(id.starts_with("KeyAlias") || (id.starts_with("Key") && id.len() == 11)))
            .collect()
    };
    assert_eq!(ids("dev", "data"), ids("staging", "data"), "data: dev vs staging");
    assert_eq!(ids("dev", "data"), ids("prod", "data"), "data: dev vs prod");
    assert_eq!(ids("dev", "service"), ids("staging", "service"), "service: dev vs staging");
    // Prod deploys blue/green (the knob deploy.blue_green): a second target group, the
    // production listener rule and the role ECS shifts traffic with. Nothing else differs.
    let extra: BTreeSet<String> = ids("prod", "service").difference(&ids("dev", "service")).cloned().collect();
    let extra: BTreeSet<&str> = extra
        .iter()
        .map(|id| id.trim_end_matches(|c: char| c.is_ascii_hexdigit() && c.is_ascii_uppercase() || c.is_ascii_digit()))
        .collect();
    assert_eq!(
        extra,
        BTreeSet::from([
            "WebAlternateTargetGroup",
            "WebDeploymentRole",
            "WebDeploymentRoleDefaultPolicy",
            "WebLBProductionRule"
        ])
    );
    assert!(ids("dev", "service").is_subset(&ids("prod", "service")));
    // The network differs only by prod's second NAT gateway (a knob), whose IDs come
    // from the same construct paths.
    assert_eq!(ids("dev", "network"), ids("staging", "network"));
    let extra: BTreeSet<String> = ids("prod", "network").difference(&ids("dev", "network")).cloned().collect();
    assert_eq!(
        extra,
        BTreeSet::from([
            "VpcPublicSubnet2EIP3C605A87".to_string(),
            "VpcPublicSubnet2NATGateway9182C01D".to_string()
        ])
    );
    assert!(ids("dev", "network").is_subset(&ids("prod", "network")));
}

/// Every `Resource` of every IAM statement, with its actions.
fn iam_statements(t: &Template) -> Vec<(Vec<String>, Vec<Json>)> {
    let mut out = Vec::new();
    for (_, policy) in t.resources_of_type("AWS::IAM::Policy") {
        for s in policy["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap() {
            let list = |v: &Json| match v {
                Json::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            let actions = list(&s["Action"]).iter().map(|a| a.as_str().unwrap().to_string()).collect();
            out.push((actions, list(&s["Resource"])));
        }
    }
    out
}

fn settings(name: &str) -> EnvSettings {
    EnvSettings {
        name: name.into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        retain_data: false,
        require_approval: false,
        tags: Default::default(),
    }
}

fn cidr(s: &str) -> Ipv4Cidr {
    Ipv4Cidr::parse(s).unwrap()
}

fn vpc_error(props: VpcProps) -> Error {
    let app = App::new("t").unwrap();
    let stack = app.environment(settings("dev")).unwrap().stack("network").unwrap();
    match Vpc::new(&stack, "Vpc", props) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

/// `<AccessLogs bucket arn><suffix>` as the constructs write it.
fn log_objects(suffix: Json) -> Json {
    json!({ "Fn::Join": ["", [{ "Fn::GetAtt": ["AccessLogs8B620ECA", "Arn"] }, suffix]] })
}

/// A prod data stack (its database monitored from the network stack) with the database
/// construct named `id`; `keep` runs on the data stack before the database is created.
fn data_with_database(id: &str, keep: impl Fn(&cairn_core::Stack)) -> (Json, Json) {
    let app = App::new("shop").unwrap();
    let env = app.environment(settings("prod")).unwrap();
    let network = env.stack("network").unwrap();
    let vpc = Vpc::new(&network, "Vpc", VpcProps::default()).unwrap();
    let monitoring = cairn_constructs::Monitoring::new(&network, "Monitoring", Default::default()).unwrap();
    let data = env.stack("data").unwrap();
    keep(&data);
    let db = Database::new(
        &data,
        id,
        &vpc,
        DatabaseProps {
            database_name: "shop".into(),
            ..Default::default()
        },
    )
    .unwrap();
    monitoring.watch_database(&db).unwrap();
    let a = app.synth().unwrap();
    (
        Template::from_assembly(&a, "prod", "data").json().clone(),
        Template::from_assembly(&a, "prod", "network").json().clone(),
    )
}
