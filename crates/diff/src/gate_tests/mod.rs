//! What the `--fail-on` gates must catch and how it is said: types without
//! replacement facts (fail closed), documented replacements, what a replacement
//! does to data, RDS engine versions, exports still imported by another stack,
//! changes a deploy fails on. One module per topic; the helpers below render a
//! report in every format.

use serde_json::Value as Json;

use crate::{render, DiffReport, Format, StackDiff};

mod data_risk;
mod deploy_failures;
mod engine_versions;
mod exports_in_use;
mod replacements;
mod unknown_types;

fn report(stacks: Vec<StackDiff>) -> DiffReport {
    DiffReport {
        old_label: "base".into(),
        new_label: "head".into(),
        notes: vec![],
        stacks,
    }
}

fn one_stack(old: &Json, new: &Json) -> DiffReport {
    report(vec![StackDiff::new("dev", "shop-dev-main", Some("main"), Some(old), Some(new))])
}

fn all_formats(r: &DiffReport) -> (String, String, Json) {
    let text = render(r, Format::Text { color: false });
    let markdown = render(r, Format::Markdown);
    let json = serde_json::from_str(&render(r, Format::Json)).expect("valid JSON");
    (text, markdown, json)
}
