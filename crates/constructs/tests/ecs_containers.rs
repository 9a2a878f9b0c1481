//! A Fargate task with several containers, built once: variables and sidecars added after
//! the service exist in the task definition, which reads them at synthesis.

use cairn_constructs::ecs::Secret;
use cairn_constructs::{Cluster, ClusterProps, ContainerProps, FargateService, FargateServiceProps, SidecarProps, Vpc, VpcProps};
use cairn_core::{App, EnvSettings, Stack, Value};
use serde_json::{json, Value as Json};

fn stack() -> (App, Stack) {
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
    let stack = env.stack("service").unwrap();
    (app, stack)
}

const PRIVATE_IMAGE: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.0";
const PRIVATE_SIDECAR: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/agent:2.1";

fn service(stack: &Stack) -> FargateService {
    let vpc = Vpc::new(stack, "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(stack, "Cluster", &vpc, ClusterProps::default()).unwrap();
    FargateService::new(
        stack,
        "Web",
        &cluster,
        FargateServiceProps {
            container: ContainerProps {
                image: PRIVATE_IMAGE.into(),
                port: Some(8080),
                writable_paths: vec!["/tmp".into()],
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap()
}

fn resources(app: &App, resource_type: &str) -> Vec<Json> {
    let assembly = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let template = &assembly.environments[0].stack("service").unwrap().template;
    template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == resource_type)
        .cloned()
        .collect()
}

#[test]
fn a_sidecar_and_variables_added_after_creation_are_in_the_task_definition() {
    let (app, stack) = stack();
    let web = service(&stack);
    web.add_sidecar(SidecarProps {
        name: "agent".into(),
        image: PRIVATE_SIDECAR.into(),
        environment: vec![("MODE".into(), Value::str("push"))],
        secrets: vec![("API_KEY".into(), Secret::secrets_manager_named("agent/key", None))],
        writable_paths: vec!["/tmp".into(), "/var/agent".into()],
        essential: false,
        ..Default::default()
    })
    .unwrap();
    // After the sidecar: still reaches the application container.
    web.add_environment("LOG_LEVEL", "info").unwrap();
    assert_eq!(web.container_names(), ["app", "agent"]);

    let task = &resources(&app, "AWS::ECS::TaskDefinition")[0]["Properties"];
    let containers = task["ContainerDefinitions"].as_array().unwrap();
    assert_eq!(containers.len(), 2);
    assert_eq!(containers[0]["Name"], "app");
    assert_eq!(containers[0]["Environment"], json!([{"Name": "LOG_LEVEL", "Value": "info"}]));
    assert_eq!(containers[0]["PortMappings"], json!([{"ContainerPort": 8080, "Protocol": "tcp"}]));
    assert_eq!(containers[1]["Name"], "agent");
    assert_eq!(containers[1]["Essential"], false);
    assert_eq!(containers[1]["Environment"], json!([{"Name": "MODE", "Value": "push"}]));
    assert_eq!(containers[1]["Secrets"][0]["Name"], "API_KEY");
    assert!(containers[1].get("PortMappings").is_none(), "a sidecar without a port maps none");
    assert_eq!(containers[1]["LogConfiguration"]["Options"]["awslogs-stream-prefix"], "agent");
    // The shared /tmp is one volume; the sidecar's own path adds another.
    assert_eq!(task["Volumes"], json!([{"Name": "tmp"}, {"Name": "var-agent"}]));

    // The execution role pulls both private images, reads the sidecar's secret, and gets
    // the registry token once.
    let policies = resources(&app, "AWS::IAM::Policy");
    let statements: Vec<&Json> = policies
        .iter()
        .flat_map(|p| p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
        .collect();
    let text = serde_json::to_string(&statements).unwrap();
    assert!(text.contains("repository/web"), "{text}");
    assert!(text.contains("repository/agent"), "{text}");
    assert!(text.contains("secret:agent/key-??????"), "{text}");
    assert_eq!(text.matches("ecr:GetAuthorizationToken").count(), 1, "{text}");
}

#[test]
fn a_task_without_writable_paths_has_no_volumes_property() {
    let (app, stack) = stack();
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(&stack, "Cluster", &vpc, ClusterProps::default()).unwrap();
    FargateService::new(
        &stack,
        "Web",
        &cluster,
        FargateServiceProps {
            container: ContainerProps {
                image: "public.ecr.aws/nginx/nginx:1.27".into(),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let task = &resources(&app, "AWS::ECS::TaskDefinition")[0]["Properties"];
    assert!(task.get("Volumes").is_none(), "{task}");
}

#[test]
fn a_sidecar_with_a_taken_name_or_port_is_refused_naming_the_field() {
    let (_app, stack) = stack();
    let web = service(&stack);
    let same_name = web
        .add_sidecar(SidecarProps {
            name: "app".into(),
            image: "public.ecr.aws/x/y:1".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(same_name.property.as_deref(), Some("sidecar.name"), "{same_name}");
    assert_eq!(same_name.path.as_deref(), Some("dev/service/Web"));
    let same_port = web
        .add_sidecar(SidecarProps {
            name: "proxy".into(),
            image: "public.ecr.aws/x/y:1".into(),
            port: Some(8080),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(same_port.property.as_deref(), Some("sidecar.port"), "{same_port}");
    assert!(same_port.message.contains("`app`"), "{same_port}");
    let no_image = web
        .add_sidecar(SidecarProps {
            name: "proxy".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(no_image.property.as_deref(), Some("sidecar.image"), "{no_image}");
    assert_eq!(web.container_names(), ["app"], "a refused sidecar is not added");
}
