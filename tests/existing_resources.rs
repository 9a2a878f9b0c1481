//! Existing resources another team owns: a bucket by name, a queue by ARN, a table by
//! name and a VPC by its ids. Grants name them exactly, constructs placed in the VPC
//! use its ids, and nothing of theirs lands in the templates.

use cairn_constructs::{
    Bucket, Cluster, ClusterProps, Construct, ContainerProps, Database, DatabaseProps, FargateServiceProps, LoadBalancedFargateService,
    LoadBalancedFargateServiceProps, Queue, Role, RoleProps, ServicePrincipal, Table, Vpc, VpcAttributes,
};
use cairn_core::{App, Assembly, EnvSettings, Environment, Error, Stack};
use serde_json::{json, Value as Json};

const QUEUE_ARN: &str = "arn:aws:sqs:eu-west-1:210987654321:orders";

fn env() -> (App, Environment) {
    let app = App::new("t").unwrap();
    let env = app
        .environment(EnvSettings {
            name: "dev".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            retain_data: false,
            require_approval: false,
            tags: Default::default(),
        })
        .unwrap();
    (app, env)
}

fn attributes() -> VpcAttributes {
    VpcAttributes {
        vpc_id: "vpc-0a1b2c3d4e5f67890".into(),
        availability_zones: vec!["eu-west-1a".into(), "eu-west-1b".into()],
        public_subnet_ids: vec!["subnet-0000000a".into(), "subnet-0000000b".into()],
        private_subnet_ids: vec!["subnet-1000000a".into(), "subnet-1000000b".into()],
        isolated_subnet_ids: vec!["subnet-2000000a".into(), "subnet-2000000b".into()],
        cidr: None,
    }
}

fn role(stack: &Stack) -> Role {
    Role::new(
        stack,
        "Worker",
        RoleProps {
            assumed_by: ServicePrincipal::EcsTasks,
            description: None,
        },
    )
    .unwrap()
}

fn web(stack: &Stack, vpc: &Vpc) -> LoadBalancedFargateService {
    let cluster = Cluster::new(stack, "Cluster", vpc, ClusterProps::default()).unwrap();
    LoadBalancedFargateService::new(
        stack,
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
    .unwrap()
}

fn resources<'a>(assembly: &'a Assembly, stack: &str, resource_type: &str) -> Vec<&'a Json> {
    let template = &assembly.environments[0].stack(stack).unwrap().template;
    template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == json!(resource_type))
        .collect()
}

fn statements_of(assembly: &Assembly, stack: &str, policy_path: &str) -> Json {
    let template = &assembly.environments[0].stack(stack).unwrap().template;
    let policy = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Metadata"]["cairn:path"] == json!(format!("{stack}/{policy_path}")))
        .unwrap_or_else(|| panic!("no {policy_path}"));
    policy["Properties"]["PolicyDocument"]["Statement"].clone()
}

fn expected_statements() -> Json {
    let bucket = "arn:${AWS::Partition}:s3:::other-team-bucket";
    let table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/other-team-orders";
    json!([
        { "Effect": "Allow", "Action": "s3:ListBucket", "Resource": { "Fn::Sub": bucket } },
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": { "Fn::Sub": format!("{bucket}/*") }
        },
        {
            "Effect": "Allow",
            "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            "Resource": QUEUE_ARN
        },
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
                "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem",
                "dynamodb:PutItem", "dynamodb:UpdateItem"
            ],
            "Resource": [{ "Fn::Sub": table }, { "Fn::Sub": format!("{table}/index/*") }]
        }
    ])
}

#[test]
fn grants_on_existing_resources_name_them_exactly_and_touch_no_resource_policy() {
    let (app, env) = env();
    let stack = env.stack("service").unwrap();
    let bucket = Bucket::from_name(&stack, "TheirBucket", "other-team-bucket").unwrap();
    let queue = Queue::from_arn(&stack, "TheirQueue", QUEUE_ARN).unwrap();
    let table = Table::from_name(&stack, "TheirTable", "other-team-orders").unwrap();
    let vpc = Vpc::from_attributes(&stack, "TheirVpc", attributes()).unwrap();
    let worker = role(&stack);
    let web = web(&stack, &vpc);
    for grantee in [&worker as &dyn cairn_constructs::Grantable, &web] {
        bucket.grant_read(grantee).unwrap();
        queue.grant_send_messages(grantee).unwrap();
        table.grant_read_write(grantee).unwrap();
    }
    let assembly = app.synth().unwrap();
    assert_eq!(
        statements_of(&assembly, "service", "Worker/DefaultPolicy/Resource"),
        expected_statements()
    );
    assert_eq!(
        statements_of(&assembly, "service", "Web/Service/TaskRole/DefaultPolicy/Resource"),
        expected_statements()
    );
    // Nothing of the other team's is created or edited here.
    for owned_elsewhere in [
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::DynamoDB::Table",
        "AWS::EC2::VPC",
    ] {
        assert!(resources(&assembly, "service", owned_elsewhere).is_empty(), "{owned_elsewhere}");
    }
}

#[test]
fn existing_resources_give_their_names_urls_and_arns() {
    let (_app, env) = env();
    let stack = env.stack("service").unwrap();
    let queue = Queue::from_arn(&stack, "TheirQueue", QUEUE_ARN).unwrap();
    assert_eq!(
        queue.url(),
        cairn_core::Value::sub("https://sqs.eu-west-1.${AWS::URLSuffix}/210987654321/orders")
    );
    assert_eq!(queue.name(), cairn_core::Value::str("orders"));
    assert!(queue.dead_letter_queue_name().is_none());
    let bucket = Bucket::from_name(&stack, "TheirBucket", "other-team-bucket").unwrap();
    assert_eq!(bucket.name(), cairn_core::Value::str("other-team-bucket"));
    assert!(bucket.is_imported() && !bucket.is_log_bucket());
    let table = Table::from_name(&stack, "TheirTable", "other-team-orders").unwrap();
    assert_eq!(table.name(), cairn_core::Value::str("other-team-orders"));
}

#[test]
fn constructs_placed_in_an_existing_vpc_use_its_ids() {
    let (app, env) = env();
    let data = env.stack("data").unwrap();
    let vpc = Vpc::from_attributes(&data, "Shared", attributes()).unwrap();
    let db = Database::new(&data, "Database", &vpc, DatabaseProps::default()).unwrap();
    let service = env.stack("service").unwrap();
    let web = web(&service, &vpc);
    db.allow_from(&web).unwrap();
    let assembly = app.synth().unwrap();

    let ids = |ids: &[&str]| json!(ids);
    assert_eq!(
        resources(&assembly, "data", "AWS::RDS::DBSubnetGroup")[0]["Properties"]["SubnetIds"],
        ids(&["subnet-2000000a", "subnet-2000000b"])
    );
    for group in resources(&assembly, "data", "AWS::EC2::SecurityGroup").into_iter().chain(resources(
        &assembly,
        "service",
        "AWS::EC2::SecurityGroup",
    )) {
        assert_eq!(group["Properties"]["VpcId"], json!("vpc-0a1b2c3d4e5f67890"));
    }
    assert_eq!(
        resources(&assembly, "service", "AWS::ElasticLoadBalancingV2::LoadBalancer")[0]["Properties"]["Subnets"],
        ids(&["subnet-0000000a", "subnet-0000000b"])
    );
    assert_eq!(
        resources(&assembly, "service", "AWS::ElasticLoadBalancingV2::TargetGroup")[0]["Properties"]["VpcId"],
        json!("vpc-0a1b2c3d4e5f67890")
    );
    assert_eq!(
        resources(&assembly, "service", "AWS::ECS::Service")[0]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
        ids(&["subnet-1000000a", "subnet-1000000b"])
    );
}

/// Makes valid VPC attributes invalid in one way.
type Breaks = fn(&mut VpcAttributes);

fn assert_error(e: Error, path: &str, property: &str, message: &str) {
    assert_eq!(e.path.as_deref(), Some(path), "{e}");
    assert_eq!(e.property.as_deref(), Some(property), "{e}");
    assert!(e.message.contains(message), "{e}");
    assert!(e.fix.is_some(), "{e}");
}

#[test]
fn invalid_names_arns_and_ids_are_errors_naming_the_construct_and_what_is_allowed() {
    let (_app, env) = env();
    let stack = env.stack("service").unwrap();
    for (i, name) in ["Other_Team", "ab", "a..b", "192.168.1.1", "-bucket", "xn--bucket"]
        .into_iter()
        .enumerate()
    {
        let e = Bucket::from_name(&stack, &format!("B{i}"), name).err().unwrap();
        assert_error(e, &format!("dev/service/B{i}"), "bucket_name", "is not a valid bucket name");
    }
    let e = Queue::from_arn(&stack, "Q", "arn:aws:sns:eu-west-1:210987654321:orders")
        .err()
        .unwrap();
    assert_error(e, "dev/service/Q", "queue_arn", "its service is not `sqs`");
    let e = Queue::from_arn(&stack, "Q2", "orders").err().unwrap();
    assert_error(e, "dev/service/Q2", "queue_arn", "is not a queue ARN");
    for (i, name) in ["ab", "orders table", &"x".repeat(256)].into_iter().enumerate() {
        let e = Table::from_name(&stack, &format!("T{i}"), name).err().unwrap();
        assert_error(e, &format!("dev/service/T{i}"), "table_name", "is not a valid table name");
    }

    let cases: [(&str, Breaks, &str); 5] = [
        ("vpc_id", |a| a.vpc_id = "vpc-xyz".into(), "is not a VPC id"),
        (
            "availability_zones",
            |a| a.availability_zones.clear(),
            "distinct availability zones",
        ),
        (
            "private_subnet_ids",
            |a| a.private_subnet_ids.truncate(1),
            "1 subnet ids for 2 availability zones",
        ),
        (
            "isolated_subnet_ids",
            |a| a.isolated_subnet_ids[1] = "subnet-0000000a".into(),
            "listed twice",
        ),
        (
            "public_subnet_ids",
            |a| {
                a.public_subnet_ids.clear();
                a.private_subnet_ids.clear();
                a.isolated_subnet_ids.clear();
            },
            "no subnet ids",
        ),
    ];
    for (i, (property, break_it, message)) in cases.into_iter().enumerate() {
        let mut a = attributes();
        break_it(&mut a);
        let e = Vpc::from_attributes(&stack, &format!("V{i}"), a).err().unwrap();
        assert_error(e, &format!("dev/service/V{i}"), property, message);
    }
}

#[test]
fn an_existing_resource_has_nothing_to_override_or_to_deliver_logs_to() {
    let (_app, env) = env();
    let stack = env.stack("service").unwrap();
    let bucket = Bucket::from_name(&stack, "TheirBucket", "other-team-bucket").unwrap();
    let e = bucket.resource().err().unwrap();
    assert_error(e, "dev/service/TheirBucket", "resource", "another team owns");
    let e = bucket.allow_load_balancer_logs("web").unwrap_err();
    assert!(e.message.contains("its bucket policy belongs to its owner"), "{e}");
    let e = bucket.resource_at("Resource").unwrap_err();
    assert!(e.fix.unwrap().contains("no resources of its own"));

    let mut without_private = attributes();
    without_private.private_subnet_ids.clear();
    let vpc = Vpc::from_attributes(&stack, "TheirVpc", without_private).unwrap();
    let e = vpc.subnet_ids(cairn_constructs::SubnetType::PrivateWithEgress).unwrap_err();
    assert_error(e, "dev/service/TheirVpc", "private_subnet_ids", "no private-with-egress subnet ids");
    assert!(vpc.cidr_block().is_err());
}
