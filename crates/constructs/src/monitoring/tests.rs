use super::*;

#[test]
fn max_connections_follow_the_postgres_formula() {
    assert_eq!(max_connections("db.t3.micro"), Some(112));
    assert_eq!(max_connections("db.t3.small"), Some(225));
    assert_eq!(max_connections("db.t3.medium"), Some(450));
    assert_eq!(max_connections("db.m7g.large"), Some(901));
    // Capped at 5000 from 48 GiB up.
    assert_eq!(max_connections("db.r6g.2xlarge"), Some(5000));
    assert_eq!(max_connections("db.r7g.large"), Some(1802));
    assert_eq!(max_connections("db.x2g.2xlarge"), Some(5000));
    assert_eq!(max_connections("db.x9.large"), None);
}

#[test]
fn a_worker_without_a_load_balancer_gets_memory_and_cpu_alarms_but_no_deployment_alarms() {
    use crate::{Cluster, ClusterProps, ContainerProps, FargateService, FargateServiceProps, Vpc, VpcProps};
    let (app, stack) = crate::test_support::stack("s");
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(&stack, "Cluster", &vpc, ClusterProps::default()).unwrap();
    let props = FargateServiceProps {
        container: ContainerProps {
            image: "public.ecr.aws/docker/library/busybox:1.37".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let worker = FargateService::new(&stack, "Worker", &cluster, props).unwrap();
    let monitoring = Monitoring::new(&stack, "Monitoring", MonitoringProps::default()).unwrap();

    let alarms = monitoring.watch_fargate_service(&worker).unwrap();

    assert_eq!(alarms.len(), 3);
    let assembly = app.synth().unwrap();
    let template = &assembly.environments[0].stack("s").unwrap().template;
    let resources = template["Resources"].as_object().unwrap();
    let mut watched: Vec<(String, String)> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|r| {
            let p = &r["Properties"];
            (
                p["MetricName"].as_str().unwrap().to_string(),
                p["AlarmName"]["Fn::Sub"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    watched.sort();
    assert_eq!(
        watched,
        [
            (
                "CPUUtilization".to_string(),
                "${AWS::StackName}-Worker-Alarms-CpuWarning".to_string()
            ),
            (
                "MemoryUtilization".to_string(),
                "${AWS::StackName}-Worker-Alarms-MemoryCritical".to_string()
            ),
            (
                "MemoryUtilization".to_string(),
                "${AWS::StackName}-Worker-Alarms-MemoryWarning".to_string()
            ),
        ]
    );
    let service = resources.values().find(|r| r["Type"] == "AWS::ECS::Service").unwrap();
    assert!(
        service["Properties"]["DeploymentConfiguration"].get("Alarms").is_none(),
        "{service}"
    );
    assert_eq!(monitoring.alarms().len(), 3, "the dashboard's alarm widget lists them");
}
