//! Renderings of a [`DiffReport`]: text for terminals (colored or plain),
//! GitHub-flavoured Markdown for pull-request comments and step summaries, and
//! JSON (`docs/diff-json-schema.md`).
//!
//! Every rendering puts what needs attention first: data at risk, then IAM and
//! security-group changes, then each stack's resources, then the totals.

pub mod fmt;
pub mod json;
pub mod markdown;
mod table;
pub mod text;

use crate::security::{Direction, Statement};
use crate::{Action, DataRisk, DiffReport, ResourceChange, RiskCause, SecurityChange, SecurityDetail, StackDiff, Warning};

/// Output format of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For terminals; ANSI colors when `color`.
    Text {
        /// Whether to use ANSI colors.
        color: bool,
    },
    /// GitHub-flavoured Markdown.
    Markdown,
    /// JSON, `schemaVersion` 1.
    Json,
}

/// Renders `report` in `format`.
pub fn render(report: &DiffReport, format: Format) -> String {
    match format {
        Format::Text { color } => text::render(report, color),
        Format::Markdown => markdown::render(report),
        Format::Json => json::render(report),
    }
}

/// `AWS::RDS::DBInstance data/Database/Resource (DatabaseB269D8BB)`.
pub(crate) fn resource_label(r: &ResourceChange) -> String {
    match &r.path {
        Some(p) => format!("{} {} ({})", r.resource_type, p, r.logical_id),
        None => format!("{} {}", r.resource_type, r.logical_id),
    }
}

/// What happens to a stateful resource's data, in words. A replacement is a new,
/// empty resource whatever the policy: the policy only decides what becomes of the old one.
pub(crate) fn risk_words(risk: &DataRisk) -> String {
    let cause = match risk.cause {
        RiskCause::Remove => "removed",
        RiskCause::Replace => "replaced",
        RiskCause::MayReplace => "may be replaced",
    };
    // Fail closed: a type cairn does not know is treated as holding data, and says so.
    let what = if risk.unknown_type {
        format!("{cause}: may hold data: cairn does not know whether this type holds data")
    } else {
        cause.to_string()
    };
    let starts_empty = if risk.cause == RiskCause::Remove {
        ""
    } else {
        "the new resource starts empty; "
    };
    match &risk.kept_by {
        Some(policy) if policy.ends_with("Snapshot") => {
            format!("{what}: {starts_empty}{policy} deletes the old one after a final snapshot of its data")
        }
        Some(policy) => {
            format!("{what}: {starts_empty}{policy} keeps the old one, detached from the stack, with its data")
        }
        None => {
            let fix = if risk.cause == RiskCause::Remove {
                "DeletionPolicy"
            } else {
                "UpdateReplacePolicy"
            };
            match &risk.ignored_policy {
                Some(policy) => format!(
                    "{what}: {starts_empty}the old one is deleted with its data ({policy} does not apply to this type: it cannot be snapshotted; use {fix}: Retain)"
                ),
                None => format!("{what}: {starts_empty}the old one is deleted with its data (no Retain or Snapshot {fix})"),
            }
        }
    }
}

/// What the data-at-risk list's heading says is lost, or None when a policy keeps every
/// old resource's data. A type cairn does not know is counted apart: it may hold no data.
pub(crate) fn data_loss_summary(at_risk: &[(&StackDiff, &ResourceChange, &DataRisk)]) -> Option<String> {
    let losing = |unknown: bool| {
        at_risk
            .iter()
            .filter(|(_, _, r)| r.data_loss() && r.unknown_type == unknown)
            .count()
    };
    let (known, unknown) = (losing(false), losing(true));
    let mut parts = Vec::new();
    if known > 0 {
        parts.push(format!("{known} stateful resource{} would lose data", crate::report::plural(known)));
    }
    if unknown > 0 {
        parts.push(format!(
            "{unknown} resource{} of a type cairn does not know may lose data",
            crate::report::plural(unknown)
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Heading of the data-at-risk list when a policy keeps every old resource's data.
pub(crate) fn kept_data_heading(at_risk: &[(&StackDiff, &ResourceChange, &DataRisk)]) -> &'static str {
    if at_risk.iter().any(|(_, _, r)| r.cause != RiskCause::Remove) {
        "Stateful resources removed or replaced: a replacement starts empty; the old data is kept outside the stack"
    } else {
        "Stateful resources removed: their data is kept outside the stack"
    }
}

/// Every stateful resource at risk, with its stack.
pub(crate) fn risks(report: &DiffReport) -> Vec<(&StackDiff, &ResourceChange, &DataRisk)> {
    let mut out = Vec::new();
    for s in &report.stacks {
        for r in &s.diff.resources {
            if let Some(risk) = &r.risk {
                out.push((s, r, risk));
            }
        }
    }
    // Real data loss before changes a policy protects.
    out.sort_by_key(|(_, _, risk)| !risk.data_loss());
    out
}

/// Every warning with its stack, those the deploy would fail on first.
pub(crate) fn warnings(report: &DiffReport) -> Vec<(&StackDiff, &Warning)> {
    let mut out: Vec<(&StackDiff, &Warning)> = report
        .stacks
        .iter()
        .flat_map(|s| s.diff.warnings.iter().map(move |w| (s, w)))
        .collect();
    out.sort_by_key(|(_, w)| !w.blocking);
    out
}

/// The warnings about resource `r` (not those about outputs).
pub(crate) fn warnings_of<'a>(all: &'a [Warning], r: &'a ResourceChange) -> impl Iterator<Item = &'a Warning> {
    all.iter()
        .filter(move |w| w.resource_type.is_some() && w.logical_id == r.logical_id)
}

/// Heading of the warnings list.
pub(crate) fn warnings_heading(list: &[(&StackDiff, &Warning)]) -> String {
    let blocking = list.iter().filter(|(_, w)| w.blocking).count();
    if blocking > 0 {
        format!(
            "DEPLOY WOULD FAIL: {blocking} change{} that CloudFormation or the service refuses",
            crate::report::plural(blocking)
        )
    } else {
        "Changes that need a decision".to_string()
    }
}

/// `AWS::RDS::DBInstance data/Database/Resource (DatabaseB269D8BB)`, or `Output ExportsOutput…`.
pub(crate) fn warning_label(w: &Warning) -> String {
    match (&w.resource_type, &w.path) {
        (Some(t), Some(p)) => format!("{t} {p} ({})", w.logical_id),
        (Some(t), None) => format!("{t} {}", w.logical_id),
        (None, _) => format!("Output {}", w.logical_id),
    }
}

/// A table cell: one or more lines.
pub(crate) type Cell = Vec<String>;

/// One row of a security table.
pub(crate) struct Row {
    pub action: Action,
    pub broadening: bool,
    pub cells: Vec<Cell>,
}

/// A security table: title, column headers (after the +/- column), rows.
pub(crate) struct SecurityTable {
    pub title: &'static str,
    pub header: &'static [&'static str],
    pub rows: Vec<Row>,
}

/// The non-empty security tables of a report, IAM first.
pub(crate) fn security_tables(report: &DiffReport) -> Vec<SecurityTable> {
    let tables = [
        SecurityTable {
            title: "IAM statement changes",
            header: &["Stack", "Holder", "Effect", "Action", "Resource", "Principal", "Condition"],
            rows: statement_rows(report),
        },
        SecurityTable {
            title: "IAM managed policy changes",
            header: &["Stack", "Holder", "Managed policy ARN"],
            rows: managed_rows(report),
        },
        SecurityTable {
            title: "Security group rule changes",
            header: &["Stack", "Group", "Direction", "Protocol", "Ports", "Peer", "Note"],
            rows: rule_rows(report),
        },
    ];
    tables.into_iter().filter(|t| !t.rows.is_empty()).collect()
}

/// Rows of the IAM statement table: sign, stack, holder, effect, actions, resources, principals, condition.
fn statement_rows(report: &DiffReport) -> Vec<Row> {
    let mut rows = Vec::new();
    for s in &report.stacks {
        for c in &s.diff.security {
            if let SecurityDetail::Statement(st) = &c.detail {
                rows.push(Row {
                    action: c.action,
                    broadening: c.broadening,
                    cells: statement_cells(s, c, st),
                });
            }
        }
    }
    rows
}

fn holder(c: &SecurityChange) -> String {
    c.path.clone().unwrap_or_else(|| c.logical_id.clone())
}

fn statement_cells(s: &StackDiff, c: &SecurityChange, st: &Statement) -> Vec<Cell> {
    let not = |flag: bool, items: &[String]| -> Cell {
        if flag {
            items.iter().map(|i| format!("NOT {i}")).collect()
        } else {
            items.to_vec()
        }
    };
    let mut where_ = vec![holder(c)];
    if st.document != "PolicyDocument" {
        where_.push(st.document.clone());
    }
    vec![
        vec![s.title()],
        where_,
        vec![st.effect.clone()],
        not(st.not_actions, &st.actions),
        not(st.not_resources, &st.resources),
        not(st.not_principal, &st.principals),
        st.condition.iter().cloned().collect(),
    ]
}

/// Rows of the managed-policy table: stack, holder, ARN.
fn managed_rows(report: &DiffReport) -> Vec<Row> {
    let mut rows = Vec::new();
    for s in &report.stacks {
        for c in &s.diff.security {
            if let SecurityDetail::ManagedPolicy(m) = &c.detail {
                rows.push(Row {
                    action: c.action,
                    broadening: c.broadening,
                    cells: vec![vec![s.title()], vec![holder(c)], vec![m.arn.clone()]],
                });
            }
        }
    }
    rows
}

/// Rows of the security-group table: stack, group, direction, protocol, ports, peer, note.
fn rule_rows(report: &DiffReport) -> Vec<Row> {
    let mut rows = Vec::new();
    for s in &report.stacks {
        for c in &s.diff.security {
            if let SecurityDetail::Rule(r) = &c.detail {
                let mut note = Vec::new();
                if r.public && c.action == Action::Add {
                    note.push(if r.direction == Direction::Ingress {
                        "open to the internet".to_string()
                    } else {
                        "to the internet".to_string()
                    });
                }
                if let Some(w) = &r.widens {
                    note.push(w.clone());
                }
                if let Some(d) = &r.description {
                    note.push(d.clone());
                }
                let group = if r.group == format!("${{{}}}", c.logical_id) {
                    holder(c)
                } else {
                    r.group.clone()
                };
                rows.push(Row {
                    action: c.action,
                    broadening: c.broadening,
                    cells: vec![
                        vec![s.title()],
                        vec![group],
                        vec![r.direction.as_str().to_string()],
                        vec![r.protocol.clone()],
                        vec![r.ports.clone()],
                        vec![r.peer.clone()],
                        note,
                    ],
                });
            }
        }
    }
    rows
}

/// Where the replacement table comes from, for footers.
pub(crate) fn provenance_line() -> String {
    let (source, date) = cairn_core::schema::provenance();
    format!("Replacement facts from {source}, dated {date}.")
}
