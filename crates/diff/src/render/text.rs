//! Text for terminals: colors when asked (the caller decides: only on a terminal).

use cairn_core::ui::Style;

use super::fmt::{block, inline, INLINE_WIDTH};
use super::table::boxed;
use super::{
    data_loss_summary, kept_data_heading, provenance_line, resource_label, risk_words, risks, warning_label, warnings, warnings_heading,
    Cell,
};
use crate::change::path_string;
use crate::{Action, DiffReport, ItemChange, PropertyChange, Replacement, ResourceChange, StackDiff, StackStatus};

/// The warnings block of the text diff (heading, then each warning and its fix,
/// blocking ones first); empty without warnings. `deploy` shows the same lines.
pub fn warning_lines(report: &DiffReport, color: bool) -> Vec<String> {
    let p = Style::new(color);
    let warned = warnings(report);
    let mut out = Vec::new();
    if warned.is_empty() {
        return out;
    }
    out.push(p.bold_red(&warnings_heading(&warned)));
    for (s, w) in warned {
        let message = if w.blocking { p.bold_red(&w.message) } else { p.yellow(&w.message) };
        out.push(format!("  {} {}: {message}", s.title(), warning_label(w)));
        out.push(format!("    fix: {}", w.fix));
    }
    out
}

/// The colored `[+]`, `[-]`, `[~]` of an action.
fn action_tag(p: Style, a: Action) -> String {
    let tag = format!("[{}]", a.symbol());
    match a {
        Action::Add => p.green(&tag),
        Action::Remove => p.red(&tag),
        Action::Modify => p.yellow(&tag),
    }
}

pub fn render(report: &DiffReport, color: bool) -> String {
    let p = Style::new(color);
    let mut out: Vec<String> = vec![
        p.bold(&format!("cairn diff: {} → {}", report.old_label, report.new_label)),
        String::new(),
    ];
    if !report.notes.is_empty() {
        out.extend(report.notes.iter().map(|n| p.yellow(n)));
        out.push(String::new());
    }
    if report.is_empty() {
        out.push(format!(
            "no differences ({} stack{} compared)",
            report.stacks.len(),
            crate::report::plural(report.stacks.len())
        ));
        return out.join("\n") + "\n";
    }

    let at_risk = risks(report);
    if !at_risk.is_empty() {
        let title = match data_loss_summary(&at_risk) {
            Some(summary) => format!("DATA LOSS RISK: {summary}"),
            None => kept_data_heading(&at_risk).to_string(),
        };
        out.push(p.bold_red(&title));
        for (s, r, risk) in at_risk {
            let words = risk_words(risk);
            let words = if risk.data_loss() { p.bold_red(&words) } else { words };
            out.push(format!("  {} {}: {words}", s.title(), resource_label(r)));
        }
        out.push(String::new());
    }

    let warned = warning_lines(report, p.enabled);
    if !warned.is_empty() {
        out.extend(warned);
        out.push(String::new());
    }

    security_tables(report, p, &mut out);

    for s in report.changed() {
        stack(s, p, &mut out);
    }
    let unchanged: Vec<String> = report.stacks.iter().filter(|s| s.diff.is_empty()).map(StackDiff::title).collect();
    if !unchanged.is_empty() {
        out.push(p.dim(&format!("No differences: {}", unchanged.join(", "))));
        out.push(String::new());
    }
    let summary = report.summary();
    out.push(p.bold(&format!(
        "Total: {} ({} of {} stack{} changed)",
        summary.line(),
        report.changed().count(),
        report.stacks.len(),
        crate::report::plural(report.stacks.len())
    )));
    if report
        .stacks
        .iter()
        .any(|s| s.diff.resources.iter().any(|r| r.replacement != Replacement::None))
    {
        out.push(p.dim(&provenance_line()));
    }
    out.join("\n") + "\n"
}

fn security_tables(report: &DiffReport, p: Style, out: &mut Vec<String>) {
    for table in super::security_tables(report) {
        let broadening = table.rows.iter().filter(|r| r.broadening).count();
        let heading = if broadening > 0 {
            format!("{} ({broadening} broadening)", table.title)
        } else {
            table.title.to_string()
        };
        out.push(p.bold(&heading));
        let mut header = vec![""];
        header.extend(table.header.iter().copied());
        let cells: Vec<Vec<Cell>> = table
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![vec![r.action.symbol().to_string()]];
                row.extend(r.cells.iter().cloned());
                row
            })
            .collect();
        // Color whole rows by their sign, after aligning on plain text.
        for line in boxed(&header, &cells) {
            let colored = if line.starts_with("│ + ") {
                p.green(&line)
            } else if line.starts_with("│ - ") {
                p.red(&line)
            } else {
                line
            };
            out.push(colored);
        }
        out.push(String::new());
    }
}

fn stack(s: &StackDiff, p: Style, out: &mut Vec<String>) {
    let status = match s.status {
        StackStatus::Added => " (new stack)",
        StackStatus::Removed => " (stack no longer synthesized)",
        _ => "",
    };
    out.push(p.bold(&format!("{}{status}: {}", s.title(), s.diff.summary().line())));
    if !s.diff.resources.is_empty() {
        out.push("Resources".to_string());
        for r in &s.diff.resources {
            resource(r, p, out);
            for w in super::warnings_of(&s.diff.warnings, r) {
                let line = format!("    ! {}", w.message);
                out.push(if w.blocking { p.bold_red(&line) } else { p.yellow(&line) });
            }
        }
    }
    let mut section = None;
    for item in &s.diff.other {
        if section != Some(item.section) {
            section = Some(item.section);
            out.push(item.section.as_str().to_string());
        }
        other(item, p, out);
    }
    out.push(String::new());
}

fn resource(r: &ResourceChange, p: Style, out: &mut Vec<String>) {
    let mut line = format!("{} {}", action_tag(p, r.action), resource_label(r));
    if r.replacement != Replacement::None {
        line.push_str(&format!("  {}", p.bold_red(r.replacement.describe())));
    }
    if let Some(risk) = &r.risk {
        if risk.data_loss() {
            line.push_str(&format!("  {}", p.bold_red("DATA LOSS RISK")));
        }
    }
    out.push(line);
    for c in &r.property_changes {
        property(&c.display_path(), c, p, "    ", out);
    }
    for reason in &r.replacement_reasons {
        out.push(format!("    {}", p.dim(&format!("because {reason}"))));
    }
}

fn other(item: &ItemChange, p: Style, out: &mut Vec<String>) {
    match item.action {
        Action::Add | Action::Remove => {
            let v = item.new.as_ref().or(item.old.as_ref());
            let lines = v.map(block).unwrap_or_default();
            if lines.len() == 1 {
                out.push(format!("{} {}: {}", action_tag(p, item.action), item.id, lines[0]));
            } else {
                out.push(format!("{} {}", action_tag(p, item.action), item.id));
                out.extend(lines.into_iter().map(|l| format!("        {l}")));
            }
        }
        Action::Modify => {
            out.push(format!("{} {}", action_tag(p, item.action), item.id));
            for c in &item.property_changes {
                let path = item_path(c);
                property(&path, c, p, "    ", out);
            }
        }
    }
}

/// Path of a change inside an output / parameter / condition (`Value`, `Export.Name`).
pub(crate) fn item_path(c: &PropertyChange) -> String {
    let inner = path_string(&c.path);
    match (c.attribute.is_empty(), inner.is_empty()) {
        (true, true) => "(value)".to_string(),
        (true, false) => inner,
        (false, _) => c.display_path(),
    }
}

fn property(path: &str, c: &PropertyChange, p: Style, indent: &str, out: &mut Vec<String>) {
    let note = match c.replacement {
        Replacement::None => String::new(),
        r => format!("  {}", p.bold_red(&format!("({})", r.describe()))),
    };
    let tag = action_tag(p, c.action);
    match (c.old.as_ref(), c.new.as_ref()) {
        (Some(o), Some(n)) => {
            let (oi, ni) = (inline(o), inline(n));
            if oi.chars().count() + ni.chars().count() <= INLINE_WIDTH + 16 {
                out.push(format!("{indent}{tag} {path}: {} → {}{note}", p.red(&oi), p.green(&ni)));
            } else {
                out.push(format!("{indent}{tag} {path}{note}"));
                for l in block(o) {
                    out.push(format!("{indent}    {}", p.red(&format!("- {l}"))));
                }
                for l in block(n) {
                    out.push(format!("{indent}    {}", p.green(&format!("+ {l}"))));
                }
            }
        }
        (a, b) => {
            let v = a.or(b);
            let lines = v.map(block).unwrap_or_default();
            if lines.len() == 1 {
                out.push(format!("{indent}{tag} {path}: {}{note}", lines[0]));
            } else {
                out.push(format!("{indent}{tag} {path}:{note}"));
                out.extend(lines.into_iter().map(|l| format!("{indent}    {l}")));
            }
        }
    }
}
