//! What the unit tests of the constructs share: a stack of a fresh app, and the
//! synthesized properties of one of its resources.

use cairn_core::{App, EnvSettings, Stack};
use serde_json::Value as Json;

/// Stack `name` of environment `dev` (data not retained) of a new app.
pub(crate) fn stack(name: &str) -> (App, Stack) {
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
    let stack = env.stack(name).unwrap();
    (app, stack)
}

/// The synthesized `Properties` of resource `logical_id` in stack `stack`.
pub(crate) fn properties(app: &App, stack: &str, logical_id: &str) -> Json {
    let assembly = app.synth().unwrap();
    let template = &assembly.environments[0].stack(stack).unwrap().template;
    template["Resources"][logical_id]["Properties"].clone()
}
