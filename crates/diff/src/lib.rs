//! cairn's template diff: what changes between two versions of a stack's template, in
//! the terms a reviewer needs (resources added / removed / modified, the property paths
//! that changed, whether a change replaces the resource, IAM and security-group
//! changes, data at risk, changes a deploy would fail on).
//!
//! In: two CloudFormation templates as JSON (an empty object stands for "no stack").
//! Out: a typed [`TemplateDiff`] ([`compare`]); [`StackDiff`] and [`DiffReport`]
//! gather the stacks of one comparison, [`DiffReport::fails`] is the `--fail-on` gate
//! ([`FailOn`]), [`render()`] turns a report into text, Markdown or JSON
//! (`docs/diff-json-schema.md`), and [`flag_exports_in_use`] adds what only
//! a whole environment shows (an export another stack still imports).
//!
//! Pure: no network, no disk. Replacement and statefulness facts come from
//! [`cairn_core::schema`]. Values are compared canonically: key
//! order, `5` vs `"5"`, `Fn::Sub` vs the equivalent `Fn::Join`, and the `cairn:path`
//! metadata never show up as changes.
//!
//! ```
//! use cairn_diff::{compare, Action, DiffReport, FailOn, Format, Replacement, StackDiff};
//! use serde_json::json;
//!
//! let table = |name: &str| json!({"Resources": {"Orders": {
//!     "Type": "AWS::DynamoDB::Table",
//!     "Properties": {"TableName": name}
//! }}});
//! let (old, new) = (table("orders"), table("orders-v2"));
//!
//! // A create-only property changed: the table is replaced and its data lost.
//! let diff = compare(&old, &new);
//! let orders = &diff.resources[0];
//! assert_eq!((orders.action, orders.replacement), (Action::Modify, Replacement::Always));
//! assert!(orders.risk.as_ref().is_some_and(|r| r.data_loss()));
//!
//! let report = DiffReport {
//!     old_label: "deployed stacks".into(),
//!     new_label: "fresh synthesis".into(),
//!     stacks: vec![StackDiff::new("dev", "shop-dev-data", Some("data"), Some(&old), Some(&new))],
//!     notes: vec![],
//! };
//! assert!(report.fails(FailOn::Replacement));
//! assert!(cairn_diff::render(&report, Format::Markdown).contains("requires replacement"));
//! ```

#![deny(missing_docs)]

mod change;
mod compare;
mod report;

mod canonical;
mod custom_name;
mod engine;
mod exports;
mod properties;
mod render;
mod replacement;
mod security;
mod update_fails;
mod warnings;

#[cfg(test)]
mod gate_tests;
#[cfg(test)]
mod tests;

pub use change::{
    Action, DataRisk, ItemChange, PathSegment, PropertyChange, Replacement, ResourceChange, RiskCause, Section, SecurityChange,
    SecurityDetail, SecurityImpact,
};
pub use compare::{compare, construct_path};
pub use exports::{flag_exports_in_use, StackSides};
pub use render::text::warning_lines;
pub use render::{render, Format};
pub use replacement::{is_stateful, is_unknown_statefulness, may_hold_data, STATEFUL_TYPES};
pub use report::{DiffReport, FailOn, StackDiff, StackStatus, Summary, TemplateDiff};
pub use security::{Direction, ManagedPolicy, SgRule, Statement};
pub use warnings::{Warning, WarningKind};
