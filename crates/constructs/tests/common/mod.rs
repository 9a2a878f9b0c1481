//! What the construct tests share: a stack of a fresh app in an environment that keeps
//! data or not, a role to grant to, and the check of a refused prop.
#![allow(dead_code)] // each test binary uses its own part

use cairn_constructs::iam::{Role, RoleProps, ServicePrincipal};
use cairn_core::{App, EnvSettings, Environment, Error, Stack};

/// Stack `name` of environment `dev` (`retain_data = false`) of a new app `t` in eu-west-1.
pub fn stack(name: &str) -> Stack {
    stack_in("dev", false, name)
}

/// Stack `name` of environment `prod`, which keeps data (`retain_data = true`).
pub fn retained_stack(name: &str) -> Stack {
    stack_in("prod", true, name)
}

/// Stack `dev_stack` of environment `dev` and `prod_stack` of environment `prod` (which
/// keeps data), of one new app.
pub fn two_environments(dev_stack: &str, prod_stack: &str) -> (Stack, Stack) {
    let app = App::new("t").unwrap();
    (
        environment(&app, "dev", false).stack(dev_stack).unwrap(),
        environment(&app, "prod", true).stack(prod_stack).unwrap(),
    )
}

fn stack_in(env: &str, retain_data: bool, name: &str) -> Stack {
    let app = App::new("t").unwrap();
    environment(&app, env, retain_data).stack(name).unwrap()
}

fn environment(app: &App, name: &str, retain_data: bool) -> Environment {
    app.environment(EnvSettings {
        name: name.into(),
        account: "123456789012".into(),
        region: "eu-west-1".into(),
        retain_data,
        require_approval: false,
        tags: Default::default(),
    })
    .unwrap()
}

/// A role assumed by ECS tasks, to grant to.
pub fn role(stack: &Stack, id: &str) -> Role {
    let props = RoleProps {
        assumed_by: ServicePrincipal::EcsTasks,
        description: None,
    };
    Role::new(stack, id, props).unwrap()
}

/// Asserts that `err` names the construct at `path`, the prop `property`, says `message`
/// (a part of it) and gives a fix.
pub fn assert_refused(err: &Error, path: &str, property: &str, message: &str) {
    assert_eq!(err.path.as_deref(), Some(path), "wrong construct path in: {err}");
    assert_eq!(err.property.as_deref(), Some(property), "wrong property in: {err}");
    assert!(err.message.contains(message), "expected `{message}` in: {err}");
    assert!(err.fix.as_deref().is_some_and(|f| !f.is_empty()), "no fix in: {err}");
}
