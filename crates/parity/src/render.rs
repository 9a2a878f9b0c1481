//! The parity report as text (a table per stack; colors only when asked), Markdown
//! (for pull requests) and JSON (for tools). Undeclared differences come first.

use cairn_core::ui::{table, Style};
use serde_json::{json, Value as Json};

use crate::{FieldSummary, Report, Row, Skew, Source, Status};

/// Label of a difference no knob explains.
pub(crate) const UNDECLARED: &str = "UNDECLARED";

const MAX_TEXT_VALUE: usize = 40;

fn plain(v: &Option<Json>) -> String {
    match v {
        None => "—".to_string(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => intrinsic(other).unwrap_or_else(|| other.to_string()),
    }
}

/// `Ref` and `Fn::GetAtt` in YAML short form, which reads better in a table cell.
fn intrinsic(v: &Json) -> Option<String> {
    let obj = v.as_object().filter(|o| o.len() == 1)?;
    if let Some(Json::String(target)) = obj.get("Ref") {
        return Some(format!("!Ref {target}"));
    }
    let parts = obj.get("Fn::GetAtt")?.as_array()?;
    match parts.as_slice() {
        [Json::String(id), Json::String(attr)] => Some(format!("!GetAtt {id}.{attr}")),
        _ => None,
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn field_label(status: &Status) -> String {
    match status {
        Status::Declared(fields) if fields.is_empty() => "(declared)".to_string(),
        Status::Declared(fields) => fields.join(", "),
        Status::Promotion(fields) => format!("promotion: {}", fields.join(", ")),
        Status::Undeclared { .. } => UNDECLARED.to_string(),
    }
}

/// `prod runs A; staging and dev run B`: an artifact version per environment, the
/// reference (furthest along the promotion order) first, environments sharing a value together.
pub fn promotion_text(envs: &[String], f: &FieldSummary) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for (env, value) in envs.iter().zip(&f.values).rev() {
        let value = plain(value);
        match groups.iter_mut().find(|(v, _)| *v == value) {
            Some((_, names)) => names.push(env),
            None => groups.push((value, vec![env])),
        }
    }
    groups
        .iter()
        .map(|(value, names)| {
            let verb = if names.len() == 1 { "runs" } else { "run" };
            let who = match names.as_slice() {
                [one] => one.to_string(),
                [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
                [] => String::new(),
            };
            if value == "—" {
                format!("{who} {} it unset", if names.len() == 1 { "leaves" } else { "leave" })
            } else {
                format!("{who} {verb} {value}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn source_text(source: &Source) -> String {
    match source {
        Source::Synthesis => "templates synthesized from the environment files".to_string(),
        Source::OutDir(dir) => format!("templates read from {dir}"),
        Source::Deployed => "templates deployed in each environment".to_string(),
    }
}

fn skew_text(s: &Skew, reference_label: &str) -> String {
    if let Some(why) = &s.unreadable {
        return format!("not checked: {why}");
    }
    if !s.deployed() {
        return "not deployed".to_string();
    }
    let changes = s.changes();
    let missing = s.missing();
    let mut parts = Vec::new();
    if changes == 0 && missing == 0 {
        return format!("deployed, equal to {reference_label}");
    }
    if changes > 0 {
        let detail: Vec<String> = s
            .stacks
            .iter()
            .filter_map(|(n, c)| c.filter(|c| *c > 0).map(|c| format!("{n}: {c}")))
            .collect();
        parts.push(format!(
            "{changes} change{} behind {reference_label} ({})",
            if changes == 1 { "" } else { "s" },
            detail.join(", ")
        ));
    }
    if missing > 0 {
        let names: Vec<&str> = s.stacks.iter().filter(|(_, c)| c.is_none()).map(|(n, _)| n.as_str()).collect();
        let rest = if changes == 0 {
            format!(", equal to {reference_label} where deployed")
        } else {
            String::new()
        };
        parts.push(format!("partly deployed{rest}; not deployed: {}", names.join(", ")));
    }
    parts.join("; ")
}

fn summary_line(report: &Report) -> String {
    let line = summary_differences(report);
    if report.promotion.is_empty() {
        return line;
    }
    let fields: Vec<&str> = report.promotion.iter().map(|f| f.field.as_str()).collect();
    format!("{line}; promotion skew (not a difference): {}", fields.join(", "))
}

fn summary_differences(report: &Report) -> String {
    let undeclared = report.undeclared_count();
    let declared = report.declared_count();
    let fields = report.fields.iter().filter(|f| f.differences > 0).count();
    if undeclared == 0 {
        format!(
            "parity: OK, every difference is declared ({declared} difference{} from {fields} field{})",
            if declared == 1 { "" } else { "s" },
            if fields == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "parity: {undeclared} undeclared difference{} (listed first), {declared} declared",
            if undeclared == 1 { "" } else { "s" }
        )
    }
}

/// The undeclared rows, one line each; rows with the same property and reason (one
/// extra tag on every resource) share a line that names a few of the resources.
pub(crate) fn undeclared_lines(report: &Report) -> Vec<String> {
    let mut groups: Vec<((String, String), Vec<&str>)> = Vec::new();
    for (_, row) in report.undeclared_rows() {
        let Status::Undeclared { reasons, .. } = &row.status else {
            continue;
        };
        let key = (row.property.clone(), reasons.join("; "));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, resources)) => resources.push(&row.resource),
            None => groups.push((key, vec![&row.resource])),
        }
    }
    const SHOWN: usize = 3;
    groups
        .into_iter()
        .map(|((property, reason), resources)| match resources.len() {
            1 => format!("{} {property}: {reason}", resources[0]),
            n => format!(
                "{property} of {n} resources ({}{}): {reason}",
                resources.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", "),
                if n > SHOWN {
                    format!(" and {} more", n - SHOWN)
                } else {
                    String::new()
                }
            ),
        })
        .collect()
}

/// The report as text for a terminal.
pub fn text(report: &Report, color: bool) -> String {
    let p = Style::new(color);
    let mut out = String::new();
    let others = report.envs.len().saturating_sub(1);
    out.push_str(&format!(
        "{} {}: {} ({}{})\n",
        p.bold("Parity of"),
        p.bold(&report.app),
        report.envs.join(", "),
        source_text(&report.source),
        if others > 0 {
            format!("; each compared with {}", report.reference)
        } else {
            String::new()
        }
    ));

    if !report.skew.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            p.bold(&format!("Deployed templates vs {}", report.skew_against))
        ));
        let rows: Vec<Vec<String>> = report
            .skew
            .iter()
            .map(|s| vec![s.environment.clone(), skew_text(s, &report.skew_against)])
            .collect();
        out.push_str(&table(&["ENVIRONMENT".into(), "STATE".into()], &rows, "  ", &|_, _, c| {
            c.to_string()
        }));
    }

    if !report.ok() {
        out.push_str(&format!("\n{}\n", p.bold_red("Undeclared differences")));
        for v in &report.violations {
            let values: Vec<String> = report
                .envs
                .iter()
                .zip(&v.values)
                .map(|(e, x)| format!("{e}={}", plain(x)))
                .collect();
            out.push_str(&format!(
                "  {}  environment files: `{}` must be equal in {}, but {}\n",
                p.bold_red(UNDECLARED),
                v.field,
                v.must_match.join(", "),
                values.join(", ")
            ));
        }
        for n in report.notes.iter().filter(|n| n.undeclared) {
            out.push_str(&format!("  {}  {}: {}\n", p.bold_red(UNDECLARED), n.environment, n.message));
        }
        for line in undeclared_lines(report) {
            out.push_str(&format!("  {}  {line}\n", p.bold_red(UNDECLARED)));
        }
    }

    if !report.promotion.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            p.bold("Promotion skew (artifact versions on their way through the environments; not a difference)")
        ));
        for f in &report.promotion {
            out.push_str(&format!("  {}: {}\n", f.field, p.yellow(&promotion_text(&report.envs, f))));
        }
    }

    if !report.fields.is_empty() {
        out.push_str(&format!("\n{}\n", p.bold("Declared fields that differ")));
        let mut header = vec!["FIELD".to_string()];
        header.extend(report.envs.iter().map(|e| e.to_uppercase()));
        header.push("DIFFERENCES".into());
        let rows: Vec<Vec<String>> = report
            .fields
            .iter()
            .map(|f| {
                let mut r = vec![f.field.clone()];
                r.extend(f.values.iter().map(|v| truncate(&plain(v), MAX_TEXT_VALUE)));
                r.push(if f.differences == 0 {
                    "none in templates".to_string()
                } else {
                    f.differences.to_string()
                });
                r
            })
            .collect();
        out.push_str(&table(&header, &rows, "  ", &|_, _, c| c.to_string()));
    }

    for stack in &report.stacks {
        let names: Vec<String> = stack.names.iter().map(|n| n.clone().unwrap_or_else(|| "—".into())).collect();
        out.push_str(&format!(
            "\n{} {}\n",
            p.bold(&format!("Stack {}", stack.id)),
            p.dim(&format!("({})", names.join(", ")))
        ));
        let mut header = vec!["RESOURCE".to_string(), "PROPERTY".to_string()];
        header.extend(report.envs.iter().map(|e| e.to_uppercase()));
        header.push("FIELD".into());
        let rows: Vec<Vec<String>> = stack
            .rows
            .iter()
            .map(|r| {
                let mut cells = vec![r.resource.clone(), r.property.clone()];
                cells.extend(r.values.iter().map(|v| truncate(&plain(v), MAX_TEXT_VALUE)));
                cells.push(field_label(&r.status));
                cells
            })
            .collect();
        let last = header.len() - 1;
        out.push_str(&table(&header, &rows, "  ", &|row, col, c| {
            if col != last {
                return c.to_string();
            }
            match stack.rows[row].status {
                Status::Undeclared { .. } => p.bold_red(c),
                Status::Promotion(_) => p.yellow(c),
                Status::Declared(_) => p.green(c),
            }
        }));
    }

    let info: Vec<_> = report.notes.iter().filter(|n| !n.undeclared).collect();
    if !info.is_empty() {
        out.push_str(&format!("\n{}\n", p.bold("Notes")));
        for n in info {
            out.push_str(&format!("  {}: {}\n", n.environment, n.message));
        }
    }
    if report.stacks.is_empty() && report.envs.len() > 1 {
        out.push_str("\nThe templates of every environment are identical once names, accounts and regions are normalized.\n");
    }
    let summary = summary_line(report);
    out.push_str(&format!(
        "\n{}\n",
        if report.ok() { p.green(&summary) } else { p.bold_red(&summary) }
    ));
    out
}

fn md_cell(s: &str) -> String {
    let s = s.replace('`', "'").replace('|', "\\|").replace('\n', " ");
    format!("`{s}`")
}

fn md_value(v: &Option<Json>) -> String {
    match v {
        None => "—".to_string(),
        Some(_) => md_cell(&plain(v)),
    }
}

/// The report as Markdown (a pull-request comment).
pub fn markdown(report: &Report) -> String {
    let mut out = format!("## Parity of {}: {}\n\n", report.app, report.envs.join(", "));
    out.push_str(&format!(
        "{}; each environment compared with **{}**.\n\n",
        source_text(&report.source).replace("templates", "Templates"),
        report.reference
    ));
    if report.ok() {
        out.push_str("**OK**: every difference between the environments is declared.\n");
    } else {
        out.push_str(&format!("**{} undeclared difference(s).**\n", report.undeclared_count()));
    }
    if !report.skew.is_empty() {
        out.push_str(&format!(
            "\n### Deployed templates vs {}\n\n| Environment | State |\n|---|---|\n",
            report.skew_against
        ));
        for s in &report.skew {
            out.push_str(&format!(
                "| {} | {} |\n",
                s.environment,
                skew_text(s, &report.skew_against).replace('|', "\\|")
            ));
        }
    }
    if !report.ok() {
        out.push_str("\n### Undeclared differences\n\n");
        for v in &report.violations {
            let values: Vec<String> = report
                .envs
                .iter()
                .zip(&v.values)
                .map(|(e, x)| format!("{e} {}", md_value(x)))
                .collect();
            out.push_str(&format!(
                "- environment files: `{}` must be equal in {}, but: {}\n",
                v.field,
                v.must_match.join(", "),
                values.join(", ")
            ));
        }
        for n in report.notes.iter().filter(|n| n.undeclared) {
            out.push_str(&format!("- {}: {}\n", n.environment, n.message));
        }
        for line in undeclared_lines(report) {
            out.push_str(&format!("- {line}\n"));
        }
    }
    if !report.promotion.is_empty() {
        out.push_str("\n### Promotion skew\n\nArtifact versions on their way through the environments (not a difference):\n\n");
        for f in &report.promotion {
            out.push_str(&format!(
                "- `{}`: {}\n",
                f.field,
                promotion_text(&report.envs, f).replace('|', "\\|")
            ));
        }
    }
    let envs_header = report.envs.join(" | ");
    let envs_rule = report.envs.iter().map(|_| "---").collect::<Vec<_>>().join("|");
    if !report.fields.is_empty() {
        out.push_str(&format!(
            "\n### Declared fields that differ\n\n| Field | {envs_header} | Differences |\n|---|{envs_rule}|---|\n"
        ));
        for f in &report.fields {
            let values: Vec<String> = f.values.iter().map(md_value).collect();
            out.push_str(&format!("| `{}` | {} | {} |\n", f.field, values.join(" | "), f.differences));
        }
    }
    for stack in &report.stacks {
        out.push_str(&format!(
            "\n### Stack `{}`\n\n| Resource | Property | {envs_header} | Field |\n|---|---|{envs_rule}|---|\n",
            stack.id
        ));
        for r in &stack.rows {
            let values: Vec<String> = r.values.iter().map(md_value).collect();
            let field = match &r.status {
                Status::Undeclared { .. } => format!("**{UNDECLARED}**"),
                s => md_cell(&field_label(s)),
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {field} |\n",
                r.resource,
                md_cell(&r.property),
                values.join(" | ")
            ));
        }
    }
    let info: Vec<_> = report.notes.iter().filter(|n| !n.undeclared).collect();
    if !info.is_empty() {
        out.push_str("\n### Notes\n\n");
        for n in info {
            out.push_str(&format!("- {}: {}\n", n.environment, n.message));
        }
    }
    out.push_str(&format!("\n{}\n", summary_line(report)));
    out
}

fn values_json(envs: &[String], values: &[Option<Json>]) -> Json {
    Json::Object(
        envs.iter()
            .zip(values)
            .map(|(e, v)| (e.clone(), v.clone().unwrap_or(Json::Null)))
            .collect(),
    )
}

fn row_json(envs: &[String], r: &Row) -> Json {
    let (status, fields, undeclared_in, reasons) = match &r.status {
        Status::Declared(f) => ("declared", f.clone(), Vec::new(), Vec::new()),
        Status::Promotion(f) => ("promotion", f.clone(), Vec::new(), Vec::new()),
        Status::Undeclared { envs, reasons } => ("undeclared", Vec::new(), envs.clone(), reasons.clone()),
    };
    json!({
        "resource": r.resource,
        "section": r.key.section.as_str(),
        "id": r.key.id,
        "property": r.key.property,
        "values": values_json(envs, &r.values),
        "present": Json::Object(envs.iter().zip(&r.values).map(|(e, v)| (e.clone(), json!(v.is_some()))).collect()),
        "status": status,
        "fields": fields,
        "undeclaredIn": undeclared_in,
        "reasons": reasons,
    })
}

/// The report as JSON.
pub fn json(report: &Report) -> Json {
    let envs = &report.envs;
    let source = match &report.source {
        Source::Synthesis => json!({"kind": "synthesis"}),
        Source::OutDir(d) => json!({"kind": "out", "dir": d}),
        Source::Deployed => json!({"kind": "deployed"}),
    };
    let mut undeclared: Vec<Json> = Vec::new();
    for v in &report.violations {
        undeclared.push(json!({"kind": "mustMatch", "field": v.field, "mustMatch": v.must_match, "values": values_json(envs, &v.values)}));
    }
    for n in report.notes.iter().filter(|n| n.undeclared) {
        undeclared.push(json!({"kind": "note", "environment": n.environment, "message": n.message}));
    }
    for (stack, r) in report.undeclared_rows() {
        let mut row = row_json(envs, r);
        row["kind"] = json!("template");
        row["stack"] = json!(stack.id);
        undeclared.push(row);
    }
    json!({
        "app": report.app,
        "environments": envs,
        "reference": report.reference,
        "source": source,
        "ok": report.ok(),
        "undeclaredCount": report.undeclared_count(),
        "declaredCount": report.declared_count(),
        "undeclared": undeclared,
        "fields": report.fields.iter().map(|f| json!({
            "field": f.field,
            "values": values_json(envs, &f.values),
            "mustMatch": f.must_match,
            "differences": f.differences,
        })).collect::<Vec<_>>(),
        "promotionSkew": report.promotion.iter().map(|f| json!({
            "field": f.field,
            "values": values_json(envs, &f.values),
            "differences": f.differences,
            "summary": promotion_text(envs, f),
        })).collect::<Vec<_>>(),
        "stacks": report.stacks.iter().map(|s| json!({
            "id": s.id,
            "names": values_json(envs, &s.names.iter().map(|n| n.clone().map(Json::String)).collect::<Vec<_>>()),
            "differences": s.rows.iter().map(|r| row_json(envs, r)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "notes": report.notes.iter().map(|n| json!({"environment": n.environment, "message": n.message, "undeclared": n.undeclared})).collect::<Vec<_>>(),
        "deployed": report.skew.iter().map(|s| json!({
            "environment": s.environment,
            "deployed": s.deployed(),
            "changesBehind": s.changes(),
            "stacks": s.stacks.iter().map(|(n, c)| json!({"name": n, "deployed": c.is_some(), "changes": c})).collect::<Vec<_>>(),
            "summary": skew_text(s, &report.skew_against),
            "comparedWith": report.skew_against,
            "unreadable": s.unreadable,
        })).collect::<Vec<_>>(),
    })
}
