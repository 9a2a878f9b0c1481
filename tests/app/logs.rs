//! Access logs of the buckets and the load balancer, read-only containers, health checks.

use super::*;

#[test]
fn access_logs_of_uploads_and_the_load_balancer_go_to_a_log_bucket() {
    let assembly = synth_all();
    for row in table() {
        let cfg = config(row.env);
        let data = Template::from_assembly(&assembly, row.env, "data");
        let bucket = &data.json()["Resources"]["AccessLogs8B620ECA"];
        assert_eq!(bucket["Type"], "AWS::S3::Bucket", "{}", row.env);
        let p = &bucket["Properties"];
        assert_eq!(
            p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256",
            "ALB log delivery supports SSE-S3 only"
        );
        assert_eq!(
            p["OwnershipControls"]["Rules"],
            json!([{ "ObjectOwnership": "BucketOwnerEnforced" }])
        );
        assert_eq!(
            p["PublicAccessBlockConfiguration"],
            json!({ "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true })
        );
        let expire = &p["LifecycleConfiguration"]["Rules"][0];
        assert_eq!(expire["Id"], "ExpireLogs");
        assert_eq!(expire["ExpirationInDays"], json!(cfg.logs.retention_days.days()), "{}", row.env);
        assert!(p.get("LoggingConfiguration").is_none(), "the log bucket does not log itself");

        // The policy: TLS only, S3 server access logs under uploads/ from this account,
        // the us-east-1 ELB account under web/AWSLogs/<account>/.
        let policy = &data.json()["Resources"]["AccessLogsPolicy3C1D984A"]["Properties"];
        assert_eq!(policy["Bucket"], json!({ "Ref": "AccessLogs8B620ECA" }));
        let statements = policy["PolicyDocument"]["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3, "{statements:#?}");
        assert_eq!(statements[0]["Sid"], "DenyInsecureTransport");
        assert_eq!(
            statements[1],
            json!({
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": { "Service": "logging.s3.amazonaws.com" },
                "Action": "s3:PutObject",
                "Resource": log_objects(json!("/uploads/*")),
                "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } },
            })
        );
        assert_eq!(
            statements[2],
            json!({
                "Sid": "LoadBalancerAccessLogs",
                "Effect": "Allow",
                "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::127311923021:root" } },
                "Action": "s3:PutObject",
                "Resource": log_objects(json!({ "Fn::Sub": "/web/AWSLogs/${AWS::AccountId}/*" })),
            })
        );

        assert_eq!(
            data.json()["Resources"]["Uploads4F6EB0FD"]["Properties"]["LoggingConfiguration"],
            json!({ "DestinationBucketName": { "Ref": "AccessLogs8B620ECA" }, "LogFilePrefix": "uploads/" })
        );

        let service = Template::from_assembly(&assembly, row.env, "service");
        let export = format!("shop-{}-data:ExportsOutputRefAccessLogs8B620ECA", row.env);
        service.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            json!({ "LoadBalancerAttributes": array_with(json!([
                { "Key": "access_logs.s3.enabled", "Value": "true" },
                { "Key": "access_logs.s3.bucket", "Value": { "Fn::ImportValue": export } },
                { "Key": "access_logs.s3.prefix", "Value": "web" },
            ])) }),
        );
        // No DependsOn across stacks: the bucket policy deploys with the data stack, first.
        for (id, lb) in service.resources_of_type("AWS::ElasticLoadBalancingV2::LoadBalancer") {
            assert!(lb.get("DependsOn").is_none(), "{id}");
        }
    }
}

#[test]
fn newer_regions_deliver_load_balancer_logs_through_the_service_principal() {
    let mut cfg = probe_config();
    cfg.region = cairn_core::config::Region::parse("eu-central-2").unwrap();
    let assembly = synth_with(PROBE, &cfg).unwrap();
    let data = Template::from_assembly(&assembly, PROBE, "data");
    let statements = &data.json()["Resources"]["AccessLogsPolicy3C1D984A"]["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(
        statements[2]["Principal"],
        json!({ "Service": "logdelivery.elasticloadbalancing.amazonaws.com" })
    );
    assert_eq!(
        statements[2]["Resource"],
        log_objects(json!({ "Fn::Sub": "/web/AWSLogs/${AWS::AccountId}/*" }))
    );
    cfg.region = cairn_core::config::Region::parse("eu-west-1").unwrap();
    let assembly = synth_with(PROBE, &cfg).unwrap();
    let data = Template::from_assembly(&assembly, PROBE, "data");
    let statements = &data.json()["Resources"]["AccessLogsPolicy3C1D984A"]["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(
        statements[2]["Principal"],
        json!({ "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::156460612806:root" } })
    );
}

#[test]
fn the_container_root_is_read_only_with_volumes_where_nginx_writes() {
    let assembly = synth_all();
    for row in table() {
        let t = Template::from_assembly(&assembly, row.env, "service");
        t.has_resource_properties(
            "AWS::ECS::TaskDefinition",
            json!({
                "Volumes": [{ "Name": "var-cache-nginx" }, { "Name": "var-run" }, { "Name": "tmp" }],
                "ContainerDefinitions": [{
                    "ReadonlyRootFilesystem": true,
                    "MountPoints": [
                        { "ContainerPath": "/var/cache/nginx", "ReadOnly": false, "SourceVolume": "var-cache-nginx" },
                        { "ContainerPath": "/var/run", "ReadOnly": false, "SourceVolume": "var-run" },
                        { "ContainerPath": "/tmp", "ReadOnly": false, "SourceVolume": "tmp" },
                    ],
                }],
            }),
        );
    }
}

#[test]
fn load_balancer_logs_need_a_log_bucket_and_a_valid_prefix() {
    let app = App::new("t").unwrap();
    let env = app.environment(settings("dev")).unwrap();
    let stack = env.stack("service").unwrap();
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(&stack, "Cluster", &vpc, ClusterProps::default()).unwrap();
    let plain = cairn_constructs::Bucket::new(&stack, "Plain", Default::default()).unwrap();
    let logs = cairn_constructs::Bucket::for_access_logs(&stack, "Logs", Default::default()).unwrap();
    let props = |access_logs| LoadBalancedFargateServiceProps {
        service: FargateServiceProps {
            container: ContainerProps {
                image: "nginx".into(),
                ..Default::default()
            },
            ..Default::default()
        },
        access_logs: Some(access_logs),
        ..Default::default()
    };
    let e = LoadBalancedFargateService::new(&stack, "A", &cluster, props((plain, "web".into())))
        .err()
        .unwrap();
    assert_eq!(
        (e.path.as_deref(), e.property.as_deref()),
        (Some("dev/service/A"), Some("access_logs"))
    );
    assert!(e.message.contains("not an access-log bucket"), "{e}");
    let e = LoadBalancedFargateService::new(&stack, "B", &cluster, props((logs.clone(), "web/AWSLogs".into())))
        .err()
        .unwrap();
    assert_eq!(e.property.as_deref(), Some("access_logs"));
    assert!(e.message.contains("web/AWSLogs"), "{e}");

    let mut bad = props((logs, "web".into()));
    bad.service.container.writable_paths = vec!["tmp".into()];
    let e = LoadBalancedFargateService::new(&stack, "C", &cluster, bad).err().unwrap();
    assert_eq!(e.property.as_deref(), Some("container.writable_paths"));
}

#[test]
fn a_health_check_path_is_refused_for_what_is_wrong_with_it_shortened() {
    let app = App::new("t").unwrap();
    let env = app.environment(settings("dev")).unwrap();
    let stack = env.stack("service").unwrap();
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(&stack, "Cluster", &vpc, ClusterProps::default()).unwrap();
    let props = |path: String| LoadBalancedFargateServiceProps {
        service: FargateServiceProps {
            container: ContainerProps {
                image: "nginx".into(),
                ..Default::default()
            },
            ..Default::default()
        },
        health_check: cairn_constructs::HealthCheck {
            path,
            ..Default::default()
        },
        ..Default::default()
    };
    let e = LoadBalancedFargateService::new(&stack, "Long", &cluster, props(format!("/{}", "y".repeat(3000))))
        .err()
        .unwrap();
    assert_eq!(e.property.as_deref(), Some("health_check.path"));
    assert!(e.message.contains("is longer than 1024 characters"), "{e}");
    assert!(!e.message.contains("must start with"), "{e}");
    assert!(e.message.contains("(3001 characters)") && e.message.len() < 200, "{e}");
    let e = LoadBalancedFargateService::new(&stack, "Relative", &cluster, props("health".into()))
        .err()
        .unwrap();
    assert!(e.message.contains("health check path `health` must start with `/`"), "{e}");
}
