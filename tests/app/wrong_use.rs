//! Clear synthesis errors for wrong use of the constructs.

use super::*;

#[test]
fn overlapping_subnet_blocks_are_an_error() {
    let e = vpc_error(VpcProps {
        subnet_configuration: vec![
            SubnetConfiguration::public("Public", 24).with_cidrs(vec![cidr("10.0.0.0/24"), cidr("10.0.1.0/24")]),
            SubnetConfiguration::isolated("Isolated", 24).with_cidrs(vec![cidr("10.0.2.0/24"), cidr("10.0.0.128/25")]),
        ],
        nat_gateways: 0,
        ..Default::default()
    });
    assert_eq!(e.path.as_deref(), Some("dev/network/Vpc"));
    assert!(
        e.message
            .contains("IsolatedSubnet2 (10.0.0.128/25) overlaps subnet PublicSubnet1 (10.0.0.0/24)"),
        "{e}"
    );
    assert!(e.fix.is_some());
}

#[test]
fn a_vpc_block_too_small_for_its_subnets_is_an_error() {
    // Through the app: a /24 VPC cannot hold the /20 private subnets.
    let mut cfg = probe_config();
    cfg.network.cidr = cidr("10.10.0.0/24");
    let errors = synth_with(PROBE, &cfg).expect_err("a /24 VPC is too small");
    let e = &errors.0[0];
    assert_eq!(e.path.as_deref(), Some("probe/network/Vpc"));
    assert_eq!(e.property.as_deref(), Some("subnet_configuration[1].cidr_mask"));
    assert!(e.message.contains("10.10.0.0/24 is too small for a /20 subnet"), "{e}");
}

#[test]
fn more_zones_than_the_block_has_room_for_is_an_error() {
    let props = |max_azs| VpcProps {
        cidr: cidr("10.0.0.0/22"),
        max_azs,
        subnet_configuration: vec![
            SubnetConfiguration::public("Public", 24),
            SubnetConfiguration::private_with_egress("Private", 24),
        ],
        ..Default::default()
    };
    // 2 zones × 2 groups of /24 fill a /22 exactly…
    let app = App::new("t").unwrap();
    let stack = app.environment(settings("dev")).unwrap().stack("network").unwrap();
    let vpc = Vpc::new(&stack, "Vpc", props(2)).expect("4 /24 subnets fit a /22");
    let blocks: Vec<String> = vpc.subnets().iter().map(|s| s.cidr.to_string()).collect();
    assert_eq!(blocks, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]);
    // …3 zones do not.
    let e = vpc_error(props(3));
    assert_eq!(e.path.as_deref(), Some("dev/network/Vpc"));
    assert_eq!(e.property.as_deref(), Some("max_azs"));
    assert!(e.message.contains("too small for 3 availability zones"), "{e}");
    assert!(e.message.contains("subnet PrivateSubnet2 (/24) does not fit"), "{e}");
}

#[test]
fn invalid_cpu_memory_pairs_cannot_be_built() {
    // In code there is no variant for an invalid pair (see the compile_fail doc test on
    // FargateSize); values from environment files are checked against the same table.
    assert_eq!(FargateSize::new(256, 4096), None);
    assert_eq!(FargateSize::new(1024, 2048), Some(FargateSize::Cpu1024Mem2048));
    assert!(FargateSize::ALL
        .iter()
        .all(|s| FargateSize::new(s.cpu(), s.memory_mib()) == Some(*s)));

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("stacks/environments/{}.toml", any_environment()));
    let mut table = cairn_core::config::read_table(&path).unwrap();
    let service = table["service"].as_table_mut().unwrap();
    service.insert("cpu".into(), toml::Value::Integer(256));
    service.insert("memory_mib".into(), toml::Value::Integer(4096));
    let e = cairn_core::config::from_table::<Config>(&path, table).expect_err("256/4096 is invalid");
    assert_eq!(e.key.as_deref(), Some("service.memory_mib"));
    assert!(e.message.contains("allowed: 512, 1024, 2048"), "{e}");
}

#[test]
fn grants_and_connections_across_environments_are_errors() {
    let app = App::new("t").unwrap();
    let dev = app.environment(settings("dev")).unwrap();
    let prod = app.environment(settings("prod")).unwrap();
    let dev_data = dev.stack("data").unwrap();
    let table = Table::new(
        &dev_data,
        "Orders",
        TableProps {
            partition_key: Attribute::string("id"),
            ..Default::default()
        },
    )
    .unwrap();
    let prod_service = prod.stack("service").unwrap();
    let vpc = Vpc::new(&prod.stack("network").unwrap(), "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(&prod_service, "Cluster", &vpc, ClusterProps::default()).unwrap();
    let web = LoadBalancedFargateService::new(
        &prod_service,
        "Web",
        &cluster,
        LoadBalancedFargateServiceProps {
            service: FargateServiceProps {
                container: ContainerProps {
                    image: "public.ecr.aws/nginx/nginx:1.27".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let e = table.grant_read_write(&web).expect_err("a cross-environment grant");
    assert_eq!(e.path.as_deref(), Some("dev/data/Orders"));
    assert!(e.message.contains("prod/service/Web/Service/TaskRole"), "{e}");
    assert!(e.message.contains("environment `prod`, not `dev`"), "{e}");

    let dev_vpc = Vpc::new(&dev.stack("network").unwrap(), "Vpc", VpcProps::default()).unwrap();
    let db = cairn_constructs::Database::new(&dev_data, "Database", &dev_vpc, Default::default()).unwrap();
    let e = db.allow_from(&web).expect_err("a cross-environment connection");
    assert_eq!(e.path.as_deref(), Some("dev/data/Database/SecurityGroup"));
    assert!(e.message.contains("environment `prod`, not `dev`"), "{e}");
}

#[test]
fn a_duplicate_construct_id_is_an_error() {
    let app = App::new("t").unwrap();
    let stack = app.environment(settings("dev")).unwrap().stack("network").unwrap();
    Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let Err(e) = Vpc::new(&stack, "Vpc", VpcProps::default()) else {
        panic!("a second `Vpc` must be refused")
    };
    assert_eq!(e.path.as_deref(), Some("dev/network/Vpc"));
    assert!(e.message.contains("already a construct with id `Vpc`"), "{e}");
}

#[test]
fn a_missing_image_names_the_service() {
    let mut cfg = probe_config();
    cfg.service.image = String::new();
    let errors = synth_with(PROBE, &cfg).expect_err("an empty image");
    assert_eq!(errors.0[0].path.as_deref(), Some("probe/service/Web/Service"));
    assert_eq!(errors.0[0].property.as_deref(), Some("container.image"));
}

#[test]
fn the_template_matcher_rejects_what_does_not_match() {
    use support::matches;
    let actual = json!({ "A": 1, "B": [1, 2], "C": { "D": "x" } });
    assert!(matches(&json!({ "A": 1, "C": { "D": "x" } }), &actual).is_ok());
    assert!(matches(&json!({ "A": 2 }), &actual).is_err());
    assert!(matches(&json!({ "B": [1] }), &actual).is_err(), "arrays match whole");
    assert!(matches(&json!({ "B": array_with(json!([2])) }), &actual).is_ok());
    assert!(matches(&json!({ "B": array_with(json!([3])) }), &actual).is_err());
    assert!(matches(&json!({ "E": absent() }), &actual).is_ok());
    assert!(matches(&json!({ "A": absent() }), &actual).is_err());
    assert!(matches(&json!({ "Z": 1 }), &actual).is_err(), "missing keys fail");
}
