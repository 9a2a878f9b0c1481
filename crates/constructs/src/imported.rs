//! What existing resources (`Bucket::from_name`, `Queue::from_arn`,
//! `Table::from_name`, `Vpc::from_attributes`) share: they are known by name or id
//! only, have no resource in the template, and belong to someone else.

use cairn_core::{Error, Scope};

/// The error for asking an existing resource for its template resource.
pub(crate) fn no_resource(scope: &Scope, what: &str, name: &str) -> Error {
    scope
        .error(format!(
            "`{name}` is an existing {what} another team owns: it has no resource in this app's templates"
        ))
        .property("resource")
        .fix(format!(
            "change the {what} where its owner defines it; escape hatches apply to resources this app creates"
        ))
}
