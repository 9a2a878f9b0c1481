//! GitHub-flavoured Markdown for pull-request comments and `$GITHUB_STEP_SUMMARY`:
//! a summary table on top, data at risk and security tables next, then one
//! collapsible section per stack with a colored ```` ```diff ```` block.
//! Stays under GitHub's comment size limit by leaving out whole stacks last.

use super::fmt::block;
use super::text::item_path;
use super::{
    data_loss_summary, kept_data_heading, provenance_line, resource_label, risk_words, risks, warning_label, warnings, warnings_heading,
};
use crate::report::plural;
use crate::{Action, DiffReport, ItemChange, PropertyChange, Replacement, ResourceChange, StackDiff, StackStatus};

/// GitHub rejects comments over 65,536 characters; leave room for a wrapper.
pub const MAX_CHARS: usize = 60_000;

/// Marker that lets CI find and update its earlier comment.
pub const COMMENT_MARKER: &str = "<!-- cairn-diff -->";

pub fn render(report: &DiffReport) -> String {
    render_with_limit(report, MAX_CHARS)
}

/// Like [`render`], leaving out stack sections that would pass `max_chars`.
pub fn render_with_limit(report: &DiffReport, max_chars: usize) -> String {
    let mut out = String::new();
    out.push_str(COMMENT_MARKER);
    out.push('\n');
    out.push_str(&format!(
        "## cairn diff: {} → {}\n\n",
        escape(&report.old_label),
        escape(&report.new_label)
    ));
    for note in &report.notes {
        out.push_str(&format!("> {}\n", escape(note)));
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    if report.is_empty() {
        out.push_str(&format!(
            "**No differences** ({} stack{} compared).\n",
            report.stacks.len(),
            plural(report.stacks.len())
        ));
        return out;
    }
    let summary = report.summary();
    out.push_str(&format!(
        "**{}** ({} of {} stack{} changed)\n\n",
        summary.line(),
        report.changed().count(),
        report.stacks.len(),
        plural(report.stacks.len())
    ));
    out.push_str("| Stack | Add | Change | Replace | Destroy | Security | Other |\n");
    out.push_str("|:--|--:|--:|--:|--:|:--|--:|\n");
    for s in report.changed() {
        let m = s.diff.summary();
        let replace = if m.may_replace > 0 {
            format!("{} (+{} possible)", m.replace, m.may_replace)
        } else {
            m.replace.to_string()
        };
        let security = match (m.security, m.broadening) {
            (0, _) => "—".to_string(),
            (n, 0) => format!("{n} change{}", plural(n)),
            (n, b) => format!("{n} change{} (**{b} broadening**)", plural(n)),
        };
        let status = match s.status {
            StackStatus::Added => " (new)",
            StackStatus::Removed => " (removed)",
            _ => "",
        };
        out.push_str(&format!(
            "| {}{status} | {} | {} | {replace} | {} | {security} | {} |\n",
            code(&s.title()),
            m.add,
            m.change,
            m.destroy,
            m.other
        ));
    }
    let unchanged: Vec<String> = report
        .stacks
        .iter()
        .filter(|s| s.diff.is_empty())
        .map(|s| code(&s.title()))
        .collect();
    if !unchanged.is_empty() {
        out.push_str(&format!("\nNo differences: {}.\n", unchanged.join(", ")));
    }
    out.push('\n');

    let at_risk = risks(report);
    if !at_risk.is_empty() {
        match data_loss_summary(&at_risk) {
            Some(summary) => out.push_str(&format!("> [!CAUTION]\n> **Data loss risk: {summary}**\n>\n")),
            None => out.push_str(&format!("> [!WARNING]\n> **{}**\n>\n", kept_data_heading(&at_risk))),
        }
        for (s, r, risk) in at_risk {
            let words = escape(&risk_words(risk));
            let words = if risk.data_loss() { format!("**{words}**") } else { words };
            out.push_str(&format!("> - {} {}: {words}\n", code(&s.title()), resource_md(r)));
        }
        out.push('\n');
    }

    let warned = warnings(report);
    if !warned.is_empty() {
        let blocking = warned.iter().any(|(_, w)| w.blocking);
        out.push_str(if blocking { "> [!CAUTION]\n" } else { "> [!WARNING]\n" });
        out.push_str(&format!("> **{}**\n>\n", escape(&warnings_heading(&warned))));
        for (s, w) in warned {
            let message = escape_prose(&w.message);
            let message = if w.blocking { format!("**{message}**") } else { message };
            out.push_str(&format!("> - {} {}: {message}\n", code(&s.title()), code(&warning_label(w))));
            out.push_str(&format!(">   fix: {}\n", escape_prose(&w.fix)));
        }
        out.push('\n');
    }

    security_tables(report, &mut out);

    let footer = format!("<sub>{}</sub>\n", escape(&provenance_line()));
    let changed: Vec<&StackDiff> = report.changed().collect();
    for (i, s) in changed.iter().enumerate() {
        let section = stack(s);
        if out.len() + section.len() + footer.len() + 400 > max_chars {
            let left = changed.len() - i;
            out.push_str(&format!(
                "_{left} more stack section{} left out to fit GitHub's comment size limit; run `make pr-diff` or use `--format json` for everything._\n\n",
                plural(left)
            ));
            break;
        }
        out.push_str(&section);
    }
    out.push_str(&footer);
    out
}

fn security_tables(report: &DiffReport, out: &mut String) {
    for table in super::security_tables(report) {
        let broadening = table.rows.iter().filter(|r| r.broadening).count();
        if broadening > 0 {
            out.push_str(&format!("### {} (**{broadening} broadening**)\n\n", table.title));
        } else {
            out.push_str(&format!("### {}\n\n", table.title));
        }
        out.push_str(&format!("|  | {} |\n", table.header.join(" | ")));
        out.push_str(&format!("|---|{}\n", table.header.iter().map(|_| "---|").collect::<String>()));
        for row in &table.rows {
            let sign = match (row.action, row.broadening) {
                (Action::Add, true) => "➕ ⚠️",
                (Action::Add, false) => "➕",
                (Action::Remove, true) => "➖ ⚠️",
                _ => "➖",
            };
            let cells: Vec<String> = row
                .cells
                .iter()
                .map(|c| c.iter().map(|l| code(l)).collect::<Vec<_>>().join("<br>"))
                .collect();
            out.push_str(&format!("| {sign} | {} |\n", cells.join(" | ")));
        }
        out.push('\n');
    }
}

/// One stack's collapsible section.
fn stack(s: &StackDiff) -> String {
    let mut lines: Vec<String> = Vec::new();
    for r in &s.diff.resources {
        resource(r, &mut lines);
        for w in super::warnings_of(&s.diff.warnings, r) {
            let tag = if w.blocking { "DEPLOY WOULD FAIL: " } else { "" };
            lines.push(format!("        # {tag}{}", w.message));
        }
    }
    for item in &s.diff.other {
        other(item, &mut lines);
    }
    let body = lines.join("\n");
    let fence = fence_for(&body);
    let status = match s.status {
        StackStatus::Added => " (new stack)",
        StackStatus::Removed => " (stack no longer synthesized)",
        _ => "",
    };
    format!(
        "<details>\n<summary><strong>{}</strong>{status}: {}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n\n",
        escape(&s.title()),
        escape(&s.diff.summary().line())
    )
}

fn marker(a: Action) -> &'static str {
    match a {
        Action::Add => "+",
        Action::Remove => "-",
        Action::Modify => "!",
    }
}

fn resource(r: &ResourceChange, lines: &mut Vec<String>) {
    let mut head = format!("{} [{}] {}", marker(r.action), r.action.symbol(), resource_label(r));
    if r.replacement != Replacement::None {
        head.push_str(&format!("  # {}", r.replacement.describe()));
    }
    if r.risk.as_ref().is_some_and(|x| x.data_loss()) {
        head.push_str("  # DATA LOSS RISK");
    }
    lines.push(head);
    for c in &r.property_changes {
        property(&c.display_path(), c, lines);
    }
    for reason in &r.replacement_reasons {
        lines.push(format!("        # because {reason}"));
    }
}

fn other(item: &ItemChange, lines: &mut Vec<String>) {
    let m = marker(item.action);
    match item.action {
        Action::Add | Action::Remove => {
            let v = item.new.as_ref().or(item.old.as_ref());
            let body = v.map(block).unwrap_or_default();
            let label = format!("{} [{}] {} {}", m, item.action.symbol(), item.section.item(), item.id);
            if body.len() == 1 {
                lines.push(format!("{label}: {}", body[0]));
            } else {
                lines.push(label);
                lines.extend(body.into_iter().map(|l| format!("{m}       {l}")));
            }
        }
        Action::Modify => {
            lines.push(format!("! [~] {} {}", item.section.item(), item.id));
            for c in &item.property_changes {
                property(&item_path(c), c, lines);
            }
        }
    }
}

fn property(path: &str, c: &PropertyChange, lines: &mut Vec<String>) {
    let note = match c.replacement {
        Replacement::None => String::new(),
        r => format!("  # {}", r.describe()),
    };
    let side = |sign: &str, v: &serde_json::Value, note: &str, lines: &mut Vec<String>| {
        let body = block(v);
        if body.len() == 1 {
            lines.push(format!("{sign}       {path}: {}{note}", body[0]));
        } else {
            lines.push(format!("{sign}       {path}:{note}"));
            lines.extend(body.into_iter().map(|l| format!("{sign}           {l}")));
        }
    };
    match (c.old.as_ref(), c.new.as_ref()) {
        (Some(o), Some(n)) => {
            side("-", o, "", lines);
            side("+", n, &note, lines);
        }
        (Some(o), None) => side("-", o, &note, lines),
        (None, Some(n)) => side("+", n, &note, lines),
        (None, None) => {}
    }
}

fn resource_md(r: &ResourceChange) -> String {
    match &r.path {
        Some(p) => format!("**{}** {} ({})", escape(&r.resource_type), code(p), code(&r.logical_id)),
        None => format!("**{}** {}", escape(&r.resource_type), code(&r.logical_id)),
    }
}

/// A fence longer than any backtick run in `body`.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in body.chars() {
        if ch == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// A code span that survives backticks and table pipes.
pub(crate) fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let s = s.replace('|', "\\|").replace('\n', " ");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Text outside code: no HTML, no table breaks.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('*', "\\*")
        .replace('_', "\\_")
}

/// Prose with `code spans` in it: escapes only the text outside the spans (an escape
/// inside a span would show as a backslash).
fn escape_prose(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 0 { escape(part) } else { part.to_string() })
        .collect::<Vec<_>>()
        .join("`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_fences_survive_their_content() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "`` x`y ``");
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("has ```` four"), "`````");
        assert_eq!(escape("<b>*x*</b>"), "&lt;b&gt;\\*x\\*&lt;/b&gt;");
        assert_eq!(
            escape_prose("keep_ids: `keep_logical_ids(a)` *now*"),
            "keep\\_ids: `keep_logical_ids(a)` \\*now\\*"
        );
    }
}
