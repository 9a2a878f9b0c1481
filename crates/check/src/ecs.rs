//! ECS: Container Insights, container logs, no secrets in plain environment
//! variables, no privileged containers, read-only root filesystems, and a task role
//! separate from the execution role.

use serde_json::Value as Json;

use crate::model::{is_true, items, text, Cx};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const CONTAINER_INSIGHTS: Rule = Rule {
    id: "ECS-CONTAINER-INSIGHTS",
    title: "ECS clusters have Container Insights on",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "add ClusterSettings [{Name: containerInsights, Value: enabled}]",
};
pub(crate) const LOGGING: Rule = Rule {
    id: "ECS-LOGGING",
    title: "ECS containers send their logs somewhere",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "give every container a LogConfiguration (awslogs to a log group with a retention period)",
};
pub(crate) const PLAIN_SECRETS: Rule = Rule {
    id: "ECS-PLAIN-SECRETS",
    title: "ECS containers get no secrets through plain environment variables",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "pass secrets with the container's Secrets (ValueFrom a Secrets Manager secret), not Environment",
};
pub(crate) const PRIVILEGED: Rule = Rule {
    id: "ECS-PRIVILEGED",
    title: "ECS containers are not privileged",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "remove Privileged: true; grant the specific Linux capabilities the container needs instead",
};
pub(crate) const READ_ONLY_ROOT: Rule = Rule {
    id: "ECS-READONLY-ROOT",
    title: "ECS containers have a read-only root filesystem",
    severity: Severity::Warning,
    applies_to: AppliesTo::Always,
    fix: "set ReadonlyRootFilesystem: true and mount a volume where the container must write",
};
pub(crate) const TASK_ROLE: Rule = Rule {
    id: "ECS-TASK-ROLE",
    title: "ECS task roles are separate from execution roles",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "give the task its own role for the application's permissions; the execution role only pulls images and writes logs",
};

pub(crate) const RULES: &[Rule] = &[CONTAINER_INSIGHTS, LOGGING, PLAIN_SECRETS, PRIVILEGED, READ_ONLY_ROOT, TASK_ROLE];

/// Fragments of environment-variable names that hold secrets.
const SECRET_NAMES: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];
/// Name endings that say the value only identifies a secret (`DB_SECRET_ARN`).
const IDENTIFIER_SUFFIXES: &[&str] = &["_ARN", "_NAME", "_ID", "_URL", "_URI", "_PATH", "_REGION"];

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    for cluster in cx.of_type("AWS::ECS::Cluster") {
        let on = items(cluster.prop("ClusterSettings")).into_iter().any(|s| {
            s.get("Name").and_then(Json::as_str) == Some("containerInsights")
                && matches!(s.get("Value").and_then(Json::as_str), Some("enabled" | "enhanced"))
        });
        if !on {
            out.add(&CONTAINER_INSIGHTS, cluster, "Container Insights is not enabled");
        }
    }

    for task in cx.of_type("AWS::ECS::TaskDefinition") {
        for c in items(task.prop("ContainerDefinitions")) {
            let name = c.get("Name").and_then(Json::as_str).unwrap_or("(unnamed)");
            if c.get("LogConfiguration").and_then(|l| l.get("LogDriver")).is_none() {
                out.add(&LOGGING, task, format!("container `{name}` has no LogConfiguration"));
            }
            for var in items(c.get("Environment")) {
                if let Some(why) = plain_secret(var) {
                    out.add(&PLAIN_SECRETS, task, format!("container `{name}`: {why}"));
                }
            }
            if is_true(c.get("Privileged")) {
                out.add(&PRIVILEGED, task, format!("container `{name}` is privileged"));
            }
            if !is_true(c.get("ReadonlyRootFilesystem")) {
                out.add(
                    &READ_ONLY_ROOT,
                    task,
                    format!("container `{name}` can write to its root filesystem"),
                );
            }
        }
        if let (Some(t), Some(e)) = (task.prop("TaskRoleArn"), task.prop("ExecutionRoleArn")) {
            let same = match (cx.resolve(task.stack, t), cx.resolve(task.stack, e)) {
                (Some(a), Some(b)) => a.is(b),
                _ => t == e,
            };
            if same {
                out.add(&TASK_ROLE, task, "TaskRoleArn and ExecutionRoleArn are the same role");
            }
        }
    }
}

/// Why an `Environment` entry looks like a secret in plain text, if it does.
fn plain_secret(var: &Json) -> Option<String> {
    let name = var.get("Name").and_then(Json::as_str).unwrap_or("");
    let value = var.get("Value")?;
    let value_text = text(value).unwrap_or_default();
    if value_text.contains("{{resolve:secretsmanager:") || value_text.contains("{{resolve:ssm-secure:") {
        return Some(format!("`{name}` resolves a secret into a plain environment variable"));
    }
    if looks_like_access_key(&value_text) {
        return Some(format!("`{name}` holds an AWS access key ID"));
    }
    let upper = name.to_ascii_uppercase();
    let secret_name = SECRET_NAMES.iter().any(|s| upper.contains(s)) && !IDENTIFIER_SUFFIXES.iter().any(|s| upper.ends_with(s));
    // A reference (Ref/GetAtt/ImportValue) names a resource; a literal would be the secret itself.
    let literal = matches!(value, Json::String(s) if !s.is_empty());
    (secret_name && literal).then(|| format!("`{name}` looks like a secret and is set to a literal value"))
}

fn looks_like_access_key(s: &str) -> bool {
    s.as_bytes()
        .windows(20)
        .any(|w| (w.starts_with(b"AKIA") || w.starts_with(b"ASIA")) && w[4..].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::testing::{all, check, hits, r};

    fn service(change: impl FnOnce(&mut Json, &mut Json)) -> Vec<(&'static str, Json)> {
        let mut cluster = r(
            "AWS::ECS::Cluster",
            "service/Cluster/Resource",
            json!({"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]}),
        );
        let mut task = r(
            "AWS::ECS::TaskDefinition",
            "service/Task/Resource",
            json!({
                "TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
                "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
                "ContainerDefinitions": [{
                    "Name": "web",
                    "Image": "public.ecr.aws/nginx/nginx:1.27",
                    "ReadonlyRootFilesystem": true,
                    "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": {"Ref": "Logs"}}},
                    "Environment": [
                        {"Name": "TABLE_NAME", "Value": {"Fn::ImportValue": "app-test-data:ExportsOutputRefOrders"}},
                        {"Name": "DB_SECRET_ARN", "Value": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
                        {"Name": "TOKEN_TTL_SECONDS", "Value": {"Ref": "AWS::NoValue"}},
                        {"Name": "LOG_LEVEL", "Value": "info"}
                    ],
                    "Secrets": [{"Name": "DB_PASSWORD", "ValueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}]
                }]
            }),
        );
        change(&mut cluster, &mut task);
        vec![
            ("Cluster", cluster),
            ("TaskRole", r("AWS::IAM::Role", "service/TaskRole/Resource", json!({}))),
            ("ExecutionRole", r("AWS::IAM::Role", "service/ExecutionRole/Resource", json!({}))),
            ("Task", task),
        ]
    }

    fn container(task: &mut Json) -> &mut Json {
        &mut task["Properties"]["ContainerDefinitions"][0]
    }

    #[test]
    fn compliant_service_passes_every_rule() {
        assert_eq!(all(&check(true, service(|_, _| {}))), Vec::<String>::new());
    }

    #[test]
    fn cluster_without_container_insights() {
        let report = check(
            false,
            service(|c, _| c["Properties"]["ClusterSettings"][0]["Value"] = json!("disabled")),
        );
        assert_eq!(hits(&report, "ECS-CONTAINER-INSIGHTS"), ["service/Cluster/Resource"]);
    }

    #[test]
    fn container_without_logs() {
        let report = check(
            false,
            service(|_, t| {
                container(t)
                    .as_object_mut()
                    .unwrap()
                    .remove("LogConfiguration")
                    .map(drop)
                    .unwrap_or(())
            }),
        );
        assert_eq!(hits(&report, "ECS-LOGGING"), ["service/Task/Resource"]);
        assert!(report.findings[0].message.contains("`web`"));
    }

    #[test]
    fn secrets_in_plain_environment_variables() {
        for (name, value) in [
            ("DB_PASSWORD", json!("hunter2")),
            ("STRIPE_API_KEY", json!("sk_live_123")),
            ("ANYTHING", json!("{{resolve:secretsmanager:db:SecretString:password}}")),
            ("ANYTHING", json!({"Fn::Join": ["", ["{{resolve:ssm-secure:", "/x", "}}"]]})),
            ("KEY", json!("AKIAIOSFODNN7EXAMPLE")),
        ] {
            let report = check(
                false,
                service(|_, t| {
                    container(t)["Environment"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!({"Name": name, "Value": value}))
                }),
            );
            assert_eq!(hits(&report, "ECS-PLAIN-SECRETS"), ["service/Task/Resource"], "{name}");
        }
    }

    #[test]
    fn privileged_container() {
        let report = check(false, service(|_, t| container(t)["Privileged"] = json!(true)));
        assert_eq!(hits(&report, "ECS-PRIVILEGED"), ["service/Task/Resource"]);
    }

    #[test]
    fn writable_root_filesystem_is_a_warning() {
        let report = check(false, service(|_, t| container(t)["ReadonlyRootFilesystem"] = json!(false)));
        assert_eq!(hits(&report, "ECS-READONLY-ROOT"), ["service/Task/Resource"]);
        assert_eq!((report.errors(), report.warnings()), (0, 1));
    }

    #[test]
    fn task_role_equal_to_execution_role() {
        let report = check(
            false,
            service(|_, t| t["Properties"]["TaskRoleArn"] = json!({"Fn::GetAtt": ["ExecutionRole", "Arn"]})),
        );
        assert_eq!(hits(&report, "ECS-TASK-ROLE"), ["service/Task/Resource"]);
        let report = check(
            false,
            service(|_, t| {
                t["Properties"]["TaskRoleArn"] = json!("arn:aws:iam::123456789012:role/x");
                t["Properties"]["ExecutionRoleArn"] = json!("arn:aws:iam::123456789012:role/x");
            }),
        );
        assert_eq!(hits(&report, "ECS-TASK-ROLE"), ["service/Task/Resource"]);
    }
}
