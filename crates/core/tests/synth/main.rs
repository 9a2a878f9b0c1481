//! Synthesis of the core model: intrinsics, cross-stack references, cycles,
//! environment boundaries, tags and CloudFormation's limits.

mod baseline;
mod overrides_and_lazy;
mod references;
mod templates;

mod prelude {
    pub(crate) use cairn_core::template::limits;
    pub(crate) use cairn_core::{App, EnvSettings, Environment, Errors, Lazy, Output, Resource, Stack, Value};
    pub(crate) use serde_json::{json, Value as Json};
}
use prelude::*;

fn settings(name: &str) -> EnvSettings {
    EnvSettings {
        name: name.to_string(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        retain_data: false,
        require_approval: false,
        tags: [("Team".to_string(), "core".to_string())].into_iter().collect(),
    }
}

fn app_with_env(name: &str) -> (App, Environment) {
    let app = App::new("demo").unwrap();
    let env = app.environment(settings(name)).unwrap();
    (app, env)
}

fn queue(stack: &Stack, id: &str) -> cairn_core::ResourceRef {
    stack
        .scope()
        .child(id)
        .unwrap()
        .add_resource("Resource", Resource::new("AWS::SQS::Queue"))
        .unwrap()
}

fn template<'a>(assembly: &'a cairn_core::Assembly, env: &str, stack: &str) -> &'a Json {
    &assembly
        .environments
        .iter()
        .find(|e| e.name() == env)
        .unwrap()
        .stack(stack)
        .unwrap()
        .template
}

fn messages(e: Errors) -> String {
    e.to_string()
}

/// The data stack and its service stack, the table's construct named `table_id`.
fn data_and_service_with_table(table_id: &str, keep: impl Fn(&Stack)) -> (cairn_core::Assembly, cairn_core::ResourceRef) {
    let (app, env) = app_with_env("prod");
    let data = env.stack("data").unwrap();
    let service = env.stack("service").unwrap();
    keep(&data);
    let table = queue(&data, table_id);
    service
        .scope()
        .add_resource("Consumer", Resource::new("AWS::SSM::Parameter").prop("Value", table.get_att("Arn")))
        .unwrap();
    (app.synth().unwrap(), table)
}
