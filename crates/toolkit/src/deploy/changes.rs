//! A change set as the user reviews it: one line per resource change, and the
//! facts the approval rules look at (stateful replacements and removals, broader
//! access).

use cairn_diff::TemplateDiff;
use serde_json::Value as Json;

use super::policy::is_stateful;
use super::security::broadening;
use crate::aws::ResourceChange;
use crate::ui::Style;
use cairn_diff::may_hold_data;

/// The template diff of a deploy (deployed template, or none for a new stack, against
/// the new one): the source of predicted replacements and of broader access.
pub fn template_diff(old: Option<&Json>, new: &Json) -> TemplateDiff {
    cairn_diff::compare(old.unwrap_or(&Json::Object(Default::default())), new)
}

/// Replacement of one change: from the change set, or predicted by cairn's template
/// diff (from the resource schemas) when the endpoint leaves it out (moto does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// "True" or "Conditional".
    pub kind: String,
    pub properties: Vec<String>,
    pub predicted: bool,
}

/// What approval depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    /// Stateful resources replaced (True or Conditional) or removed, as lines.
    pub stateful: Vec<String>,
    /// Whether one of them is certain (replacement True, or a removal): a
    /// protecting stack policy would make the update fail.
    pub stateful_certain: bool,
    /// Access the change grants that was not granted before.
    pub broadening: Vec<String>,
}

/// The replacement a change causes, if any.
pub fn replacement(change: &ResourceChange, template_diff: &TemplateDiff) -> Option<Replacement> {
    if change.action != "Modify" {
        return None;
    }
    match change.replacement.as_deref() {
        Some("True") | Some("Conditional") => Some(Replacement {
            kind: change.replacement.clone().unwrap_or_default(),
            properties: change.replacing_properties.clone(),
            predicted: false,
        }),
        Some(_) => None,
        None => {
            let predicted = template_diff.resources.iter().find(|r| r.logical_id == change.logical_id)?;
            let kind = match predicted.replacement {
                cairn_diff::Replacement::Always => "True",
                cairn_diff::Replacement::Conditional => "Conditional",
                _ => return None,
            };
            let mut properties: Vec<String> = predicted
                .property_changes
                .iter()
                .filter(|p| p.replacement.replaces())
                .map(|p| p.display_path())
                .collect();
            properties.dedup();
            Some(Replacement {
                kind: kind.into(),
                properties,
                predicted: true,
            })
        }
    }
}

/// The review facts of a change set.
pub fn review(changes: &[ResourceChange], template_diff: &TemplateDiff) -> Review {
    let mut r = Review::default();
    // A type cairn does not know may hold data (fail closed), and is named as such.
    for c in changes.iter().filter(|c| may_hold_data(&c.resource_type)) {
        let unknown = if is_stateful(&c.resource_type) {
            ""
        } else {
            ": may hold data, cairn does not know whether this type holds data"
        };
        if c.action == "Remove" {
            r.stateful.push(format!("removes {} ({}{unknown})", c.logical_id, c.resource_type));
            r.stateful_certain = true;
        } else if let Some(rep) = replacement(c, template_diff) {
            let verb = if rep.kind == "True" { "replaces" } else { "may replace" };
            r.stateful.push(format!("{verb} {} ({}{unknown})", c.logical_id, c.resource_type));
            r.stateful_certain |= rep.kind == "True";
        }
    }
    r.broadening = broadening(template_diff);
    r
}

/// One line per change: `+ add`, `~ modify` (replacement in red), `- remove`.
pub fn change_lines(changes: &[ResourceChange], template_diff: &TemplateDiff, style: Style) -> Vec<String> {
    let id_width = changes.iter().map(|c| c.logical_id.len()).max().unwrap_or(0).min(48);
    let type_width = changes.iter().map(|c| c.resource_type.len()).max().unwrap_or(0).min(48);
    let mut lines = Vec::new();
    for c in changes {
        let (mark, verb) = match c.action.as_str() {
            "Add" => ("+", "add"),
            "Modify" => ("~", "modify"),
            "Remove" => ("-", "remove"),
            "Import" => ("+", "import"),
            _ => ("?", "dynamic"),
        };
        let mut line = format!("  {mark} {verb:<7} {:<id_width$}  {:<type_width$}", c.logical_id, c.resource_type);
        if let Some(rep) = replacement(c, template_diff) {
            let mut note = format!("replacement: {}", rep.kind);
            if !rep.properties.is_empty() {
                note.push_str(&format!(" ({})", rep.properties.join(", ")));
            }
            if rep.predicted {
                note.push_str(" [predicted by cairn; the endpoint did not say]");
            }
            line = format!("{line}  {}", style.red(&note));
        } else if c.action == "Remove" {
            line = style.red(&line);
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// `2 to add, 1 to modify (1 replaced), 0 to remove`.
pub fn summary(changes: &[ResourceChange], template_diff: &TemplateDiff) -> String {
    let count = |a: &str| changes.iter().filter(|c| c.action == a).count();
    let replaced = changes.iter().filter(|c| replacement(c, template_diff).is_some()).count();
    let replaced = if replaced > 0 {
        format!(" ({replaced} replaced)")
    } else {
        String::new()
    };
    format!(
        "{} to add, {} to modify{replaced}, {} to remove",
        count("Add") + count("Import"),
        count("Modify") + count("Dynamic"),
        count("Remove")
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn change(action: &str, id: &str, t: &str, replacement: Option<&str>) -> ResourceChange {
        ResourceChange {
            action: action.into(),
            logical_id: id.into(),
            resource_type: t.into(),
            replacement: replacement.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn lines_show_action_and_replacement() {
        let changes = vec![
            change("Add", "Queue", "AWS::SQS::Queue", None),
            ResourceChange {
                replacing_properties: vec!["DBName".into()],
                ..change("Modify", "Db", "AWS::RDS::DBInstance", Some("True"))
            },
            change("Remove", "Old", "AWS::S3::Bucket", None),
        ];
        let none = template_diff(None, &json!({}));
        let lines = change_lines(&changes, &none, Style::new(false));
        assert_eq!(
            lines,
            vec![
                "  + add     Queue  AWS::SQS::Queue",
                "  ~ modify  Db     AWS::RDS::DBInstance  replacement: True (DBName)",
                "  - remove  Old    AWS::S3::Bucket",
            ]
        );
        let colored = change_lines(&changes, &none, Style::new(true));
        assert!(colored[1].contains("\x1b[31mreplacement: True (DBName)\x1b[0m"));
        assert_eq!(summary(&changes, &none), "1 to add, 1 to modify (1 replaced), 1 to remove");
        let r = review(&changes, &none);
        assert_eq!(
            r.stateful,
            vec!["replaces Db (AWS::RDS::DBInstance)", "removes Old (AWS::S3::Bucket)"]
        );
        assert!(r.stateful_certain);
    }

    #[test]
    fn replacement_is_predicted_from_the_template_diff_when_missing() {
        let t = |name: &str| json!({"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": name, "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}}}});
        let c = change("Modify", "T", "AWS::DynamoDB::Table", None);
        let d = template_diff(Some(&t("a")), &t("b"));
        let rep = replacement(&c, &d).unwrap();
        assert_eq!((rep.kind.as_str(), rep.predicted), ("True", true));
        assert_eq!(rep.properties, vec!["TableName".to_string()]);
        assert!(replacement(&c, &template_diff(Some(&t("a")), &t("a"))).is_none());
        // The endpoint's answer wins over the prediction.
        let said_no = change("Modify", "T", "AWS::DynamoDB::Table", Some("False"));
        assert!(replacement(&said_no, &d).is_none());
        let r = review(&[c], &d);
        assert_eq!(r.stateful, vec!["replaces T (AWS::DynamoDB::Table)"]);
        assert!(r.stateful_certain);
    }
}
