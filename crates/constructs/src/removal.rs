//! What happens to stateful resources when they are deleted or replaced.

use cairn_core::{RemovalPolicy, Scope};

/// `Retain` where the environment keeps data (`retain_data = true`), `Delete` elsewhere.
pub(crate) fn for_data(scope: &Scope) -> RemovalPolicy {
    if scope.env_settings().retain_data {
        RemovalPolicy::Retain
    } else {
        RemovalPolicy::Delete
    }
}

/// `Snapshot` where the environment keeps data, `Delete` elsewhere (databases).
pub fn for_database(scope: &Scope) -> RemovalPolicy {
    if scope.env_settings().retain_data {
        RemovalPolicy::Snapshot
    } else {
        RemovalPolicy::Delete
    }
}
