//! CloudFormation Guard rules, evaluated in-process on synthesized templates with
//! the `cfn-guard` crate, so teams can bring their existing Guard rule sets to
//! `cairn check`. Every Guard rule is evaluated on every stack template of an
//! environment; a rule fails if any template violates it. A failed Guard rule is an
//! error. Results become [`Finding`]s and [`Outcome`]s merged into the built-in report.
//!
//! Messages: a rule's custom message (`<< … >>`) is used when present; a line starting
//! with `Fix:` in it becomes the finding's fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::io::Cursor;

use cairn_check::{Finding, Outcome, Severity, Source, Status};
use cairn_core::{EnvArtifact, StackArtifact};
use cfn_guard::commands::validate::{parse_rules, OutputFormatType, ShowSummaryType};
use cfn_guard::commands::{Executable, ERROR_STATUS_CODE};
use cfn_guard::utils::reader::{ReadBuffer, Reader};
use cfn_guard::utils::writer::{WriteBuffer, Writer};
use cfn_guard::{CommandBuilder, ValidateBuilder};
use serde_json::{json, Value as Json};

use crate::error::{CliError, CliResult};

/// Folder of Guard rules picked up by default, relative to the working directory.
pub const DEFAULT_RULES_DIR: &str = "rules";

/// One Guard rule file.
#[derive(Debug, Clone)]
pub struct GuardFile {
    /// File name (`shop.guard`), as reports show it.
    pub name: String,
    pub path: PathBuf,
    pub content: String,
}

/// The Guard files to evaluate, and a warning for each file of a folder that was skipped.
#[derive(Debug, Default)]
pub struct Loaded {
    pub files: Vec<GuardFile>,
    pub warnings: Vec<String>,
}

/// Reads `paths` (files, or folders whose `*.guard` files are read in name order)
/// plus, when `default_dir` exists, the `*.guard` files in it. A path given twice is
/// read once. A missing path or unreadable file is bad input; so is a file named in
/// `paths` that holds no rule (most likely a mistake), and a file defining a rule name
/// twice (Guard would merge their results into one). A file without rules found in a
/// folder is skipped with a warning.
pub fn load(paths: &[PathBuf], default_dir: Option<&Path>) -> CliResult<Loaded> {
    // (path, named on the command line itself)
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    let push = |p: PathBuf, named: bool, files: &mut Vec<(PathBuf, bool)>| {
        let key = p.canonicalize().unwrap_or_else(|_| p.clone());
        match files
            .iter_mut()
            .find(|(f, _)| f.canonicalize().unwrap_or_else(|_| f.clone()) == key)
        {
            Some(seen) => seen.1 |= named,
            None => files.push((p, named)),
        }
    };
    for p in paths {
        if p.is_dir() {
            for f in guard_files_in(p)? {
                push(f, false, &mut files);
            }
        } else if p.is_file() {
            push(p.clone(), true, &mut files);
        } else {
            return Err(CliError::BadInput(format!(
                "Guard rule file {} does not exist\n  fix: pass existing .guard files or folders to --rules (environment names go before --rules)",
                p.display()
            )));
        }
    }
    if let Some(dir) = default_dir.filter(|d| d.is_dir()) {
        for f in guard_files_in(dir)? {
            push(f, false, &mut files);
        }
    }
    let mut loaded = Loaded::default();
    for (path, named) in files {
        let content =
            std::fs::read_to_string(&path).map_err(|e| CliError::BadInput(format!("cannot read Guard rules {}: {e}", path.display())))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let rules = rule_definitions(&content);
        // A file Guard cannot parse is reported with Guard's own message by `evaluate`.
        if rules.is_empty() && parse_rules(&content, &name).is_ok() {
            if named {
                return Err(CliError::BadInput(format!(
                    "no rules in {}: the file is empty or holds only comments\n  fix: add Guard rules (`rule NAME {{ … }}`) to it, or leave it out of --rules",
                    path.display()
                )));
            }
            loaded
                .warnings
                .push(format!("warning: no rules in {} (empty or only comments); skipped", path.display()));
            continue;
        }
        if let Some((rule, first, second)) = first_duplicate(&rules) {
            return Err(CliError::BadInput(format!(
                "Guard rules {}: rule `{rule}` is defined twice, on lines {first} and {second}\n  fix: give each rule its own name (results are reported by rule name)",
                path.display()
            )));
        }
        loaded.files.push(GuardFile { name, path, content });
    }
    Ok(loaded)
}

/// The rules a Guard file defines (`rule NAME …` at the start of a line), with their
/// 1-based line numbers, in file order.
fn rule_definitions(content: &str) -> Vec<(String, usize)> {
    content
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let rest = line.trim_start().strip_prefix("rule")?;
            if !rest.starts_with(char::is_whitespace) {
                return None;
            }
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some((name, i + 1))
        })
        .collect()
}

/// The first rule name defined twice: (name, first line, second line).
fn first_duplicate(rules: &[(String, usize)]) -> Option<(&str, usize, usize)> {
    rules.iter().enumerate().find_map(|(i, (name, line))| {
        rules[..i]
            .iter()
            .find(|(earlier, _)| earlier == name)
            .map(|(_, first)| (name.as_str(), *first, *line))
    })
}

fn guard_files_in(dir: &Path) -> CliResult<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| CliError::BadInput(format!("cannot read {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "guard"))
        .collect();
    files.sort();
    Ok(files)
}

/// Evaluates every Guard file on every stack of `env`. A rule file Guard cannot
/// parse is bad input.
pub fn evaluate(env: &EnvArtifact, files: &[GuardFile]) -> CliResult<(Vec<Finding>, Vec<Outcome>)> {
    let mut findings = Vec::new();
    let mut outcomes = Vec::new();
    for file in files {
        // Rule name → (failed anywhere, passed anywhere), in first-seen order.
        let mut status: BTreeMap<String, (bool, bool)> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut note = |name: &str, failed: bool, passed: bool| {
            if !status.contains_key(name) {
                order.push(name.to_string());
            }
            let e = status.entry(name.to_string()).or_default();
            e.0 |= failed;
            e.1 |= passed;
        };
        for (stack, result) in env.stacks.iter().zip(guard_reports(file, &env.stacks)?) {
            for name in names(&result, "compliant") {
                note(&name, false, true);
            }
            for name in names(&result, "not_applicable") {
                note(&name, false, false);
            }
            for entry in result.get("not_compliant").and_then(Json::as_array).into_iter().flatten() {
                let rule = entry.get("Rule").unwrap_or(entry);
                let name = rule.get("name").and_then(Json::as_str).unwrap_or("(unnamed)").to_string();
                note(&name, true, false);
                findings.extend(rule_findings(stack, file, &name, rule));
            }
        }
        // Report rules in the order the file defines them.
        let defined = rule_definitions(&file.content);
        let position = |name: &str| defined.iter().position(|(n, _)| n == name).unwrap_or(usize::MAX);
        order.sort_by_key(|name| position(name));
        for name in order {
            let (failed, passed) = status[&name];
            outcomes.push(Outcome {
                rule: name,
                source: Source::Guard(file.name.clone()),
                severity: Severity::Error,
                status: if failed {
                    Status::Failed
                } else if passed {
                    Status::Passed
                } else {
                    Status::NotApplicable
                },
            });
        }
    }
    findings.dedup();
    Ok((findings, outcomes))
}

/// cfn-guard's report for each of `stacks`, in their order (none for a file without rules).
///
/// Runs Guard's own `validate --payload --structured --output-format json` in memory: its
/// writer keeps the whole report. (`cfn_guard::run_checks` returns only what is still in its
/// BufWriter's 8 KiB buffer, so bigger reports came back cut, starting mid-string, or empty.)
/// A report that is not one JSON document per template is a failure, never a pass.
fn guard_reports(file: &GuardFile, stacks: &[StackArtifact]) -> CliResult<Vec<Json>> {
    match parse_rules(&file.content, &file.name) {
        Err(e) => {
            return Err(CliError::BadInput(format!(
                "Guard rules {} cannot be evaluated: {}\n  fix: correct the Guard syntax at that line and column of the rule file",
                file.path.display(),
                guard_message(&e.to_string())
            )))
        }
        Ok(None) => return Ok(vec![json!({}); stacks.len()]), // a file without rules
        Ok(Some(_)) => {}
    }
    let unexpected = |what: String| CliError::Failed(format!("cfn-guard could not evaluate {}: {what}", file.path.display()));
    let payload = json!({
        "rules": [file.content],
        "data": stacks.iter().map(|s| s.body.as_str()).collect::<Vec<_>>(),
    });
    let mut reader = Reader::new(ReadBuffer::Cursor(Cursor::new(payload.to_string().into_bytes())));
    let mut writer =
        Writer::new_with_err(WriteBuffer::Vec(Vec::new()), WriteBuffer::Vec(Vec::new())).map_err(|e| unexpected(e.to_string()))?;
    let validate = ValidateBuilder::default()
        .payload(true)
        .structured(true)
        .output_format(OutputFormatType::JSON)
        .show_summary(vec![ShowSummaryType::None])
        .try_build()
        .map_err(|e| unexpected(e.to_string()))?;
    let code = validate
        .execute(&mut writer, &mut reader)
        .map_err(|e| unexpected(guard_message(&e.to_string())))?;
    if code == ERROR_STATUS_CODE {
        return Err(unexpected(format!("cfn-guard ended with status {code}")));
    }
    let output = writer.into_string().map_err(|e| unexpected(e.to_string()))?;
    let reports: Vec<Json> = serde_json::from_str(&output).map_err(|e| unexpected(format!("its report is not JSON ({e})")))?;
    // Guard names payload documents DATA_STDIN[1], [2], … in the order given.
    let in_order = reports.len() == stacks.len()
        && reports
            .iter()
            .enumerate()
            .all(|(i, r)| r.get("name").and_then(Json::as_str) == Some(&format!("DATA_STDIN[{}]", i + 1)));
    if !in_order {
        return Err(unexpected(format!("expected one report per template ({}), in order", stacks.len())));
    }
    Ok(reports)
}

fn names(result: &Json, key: &str) -> Vec<String> {
    result
        .get(key)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

/// One finding per resource a failed rule names (or one for the whole template).
fn rule_findings(stack: &StackArtifact, file: &GuardFile, rule: &str, report: &Json) -> Vec<Finding> {
    let mut clauses = Vec::new();
    collect_clauses(report.get("checks").unwrap_or(&Json::Null), &mut clauses);
    let mut by_resource: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    let rule_message = report.get("messages").map(message).unwrap_or_default();
    for (ids, msg) in clauses {
        let msg = if msg.0.is_empty() { rule_message.clone() } else { msg };
        let ids = if ids.is_empty() { vec![String::new()] } else { ids };
        for id in ids {
            by_resource.entry(id).or_insert_with(|| msg.clone());
        }
    }
    if by_resource.is_empty() {
        by_resource.insert(String::new(), rule_message);
    }
    by_resource
        .into_iter()
        .map(|(id, (text, fix))| Finding {
            rule: rule.to_string(),
            source: Source::Guard(file.name.clone()),
            severity: Severity::Error,
            stack: stack.name.clone(),
            path: if id.is_empty() {
                stack.id.clone()
            } else {
                stack.paths.get(&id).cloned().unwrap_or_else(|| format!("{}/{id}", stack.id))
            },
            logical_id: id,
            message: if text.is_empty() {
                format!("violates Guard rule {rule}")
            } else {
                text
            },
            fix: fix.unwrap_or_else(|| format!("see rule `{rule}` in {}", file.path.display())),
            suppressed: None,
        })
        .collect()
}

/// A message and, when the rule wrote one, a fix.
type Message = (String, Option<String>);

/// Leaf clauses of a rule report: the logical IDs under `/Resources/` they name
/// and their message.
fn collect_clauses(v: &Json, out: &mut Vec<(Vec<String>, Message)>) {
    match v {
        Json::Array(items) => items.iter().for_each(|i| collect_clauses(i, out)),
        Json::Object(o) => {
            let is_clause = o.contains_key("messages") && o.contains_key("check");
            if is_clause {
                let mut ids = Vec::new();
                collect_ids(v, &mut ids);
                out.push((ids, message(&v["messages"])));
            } else {
                o.values().for_each(|x| collect_clauses(x, out));
            }
        }
        _ => {}
    }
}

fn collect_ids(v: &Json, ids: &mut Vec<String>) {
    match v {
        Json::Array(items) => items.iter().for_each(|i| collect_ids(i, ids)),
        Json::Object(o) => {
            if let Some(id) = o.get("path").and_then(Json::as_str).and_then(|p| p.strip_prefix("/Resources/")) {
                let id = id.split('/').next().unwrap_or(id).to_string();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            o.values().for_each(|x| collect_ids(x, ids));
        }
        _ => {}
    }
}

/// A clause's message and fix: the custom message (its `Fix:` line as the fix), else
/// Guard's own message without the dump of the value it traversed.
fn message(messages: &Json) -> Message {
    let custom = messages.get("custom_message").and_then(Json::as_str).unwrap_or("").trim();
    if !custom.is_empty() {
        let mut fix = None;
        let mut lines = Vec::new();
        for line in custom.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.strip_prefix("Fix:") {
                Some(f) => fix = Some(f.trim().to_string()),
                None => lines.push(line.strip_prefix("Violation:").map(str::trim).unwrap_or(line).to_string()),
            }
        }
        return (lines.join(" "), fix);
    }
    let error = messages.get("error_message").and_then(Json::as_str).unwrap_or("").trim();
    let short = error.split(" Value traversed to").next().unwrap_or(error).trim();
    (short.to_string(), None)
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;
    use serde_json::json;

    use super::*;
    use cairn_core::EnvSettings;

    fn env() -> EnvArtifact {
        let template = json!({"Resources": {
            "Uploads": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}, "Metadata": {"cairn:path": "data/Uploads/Resource"}},
            "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {}, "Metadata": {"cairn:path": "data/Jobs/Resource"}}
        }});
        let mut paths = IndexMap::new();
        paths.insert("Uploads".to_string(), "data/Uploads/Resource".to_string());
        paths.insert("Jobs".to_string(), "data/Jobs/Resource".to_string());
        EnvArtifact {
            app: "app".into(),
            settings: EnvSettings {
                name: "test".into(),
                account: "123456789012".into(),
                region: "us-east-1".into(),
                retain_data: false,
                require_approval: false,
                tags: IndexMap::new(),
            },
            stacks: vec![StackArtifact {
                id: "data".into(),
                name: "app-test-data".into(),
                body: serde_json::to_string_pretty(&template).unwrap(),
                template,
                depends_on: vec![],
                paths,
                suppressions: vec![],
            }],
        }
    }

    fn file(content: &str) -> GuardFile {
        GuardFile {
            name: "t.guard".into(),
            path: PathBuf::from("t.guard"),
            content: content.into(),
        }
    }

    #[test]
    fn passing_failing_and_inapplicable_rules() {
        let rules = r#"
rule buckets_versioned {
  Resources.*[ Type == 'AWS::S3::Bucket' ].Properties.VersioningConfiguration.Status == 'Enabled'
}
rule queues_tagged {
  Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.Tags exists
  <<
    Violation: every queue needs tags
    Fix: tag the queue
  >>
}
let tables = Resources.*[ Type == 'AWS::DynamoDB::Table' ]
rule tables_have_pitr when %tables !empty {
  %tables.Properties.PointInTimeRecoverySpecification exists
}
"#;
        let (findings, outcomes) = evaluate(&env(), &[file(rules)]).unwrap();
        let status: Vec<(&str, Status)> = outcomes.iter().map(|o| (o.rule.as_str(), o.status)).collect();
        assert!(status.contains(&("buckets_versioned", Status::Passed)), "{status:?}");
        assert!(status.contains(&("queues_tagged", Status::Failed)), "{status:?}");
        assert!(status.contains(&("tables_have_pitr", Status::NotApplicable)), "{status:?}");
        assert_eq!(findings.len(), 1, "{findings:?}");
        let f = &findings[0];
        assert_eq!(
            (f.rule.as_str(), f.path.as_str(), f.logical_id.as_str()),
            ("queues_tagged", "data/Jobs/Resource", "Jobs")
        );
        assert_eq!(f.message, "every queue needs tags");
        assert_eq!(f.fix, "tag the queue");
        assert_eq!(f.source, Source::Guard("t.guard".into()));
        assert_eq!(f.severity, Severity::Error);
    }

    #[test]
    fn guard_message_without_custom_message() {
        let (findings, _) = evaluate(&env(), &[file("rule q { Resources.Jobs.Properties.DelaySeconds exists }")]).unwrap();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].path, "data/Jobs/Resource");
        assert!(findings[0].message.contains("DelaySeconds"), "{}", findings[0].message);
        assert!(!findings[0].message.contains("Value traversed"), "{}", findings[0].message);
    }

    /// An environment of `stacks` stacks with `queues` queues each: reports far over 8 KiB.
    fn env_with_queues(stacks: usize, queues: usize) -> EnvArtifact {
        let mut env = env();
        let template = env.stacks[0].clone();
        env.stacks = (0..stacks)
            .map(|s| {
                let mut stack = template.clone();
                stack.id = format!("data{s}");
                stack.name = format!("app-test-data{s}");
                let resources: serde_json::Map<String, Json> = (0..queues)
                    .map(|q| {
                        (
                            format!("Queue{q}"),
                            json!({"Type": "AWS::SQS::Queue", "Properties": {"QueueName": format!("q{s}-{q}-{}", "x".repeat(200))}}),
                        )
                    })
                    .collect();
                stack.template = json!({ "Resources": resources });
                stack.body = serde_json::to_string_pretty(&stack.template).unwrap();
                stack.paths = (0..queues)
                    .map(|q| (format!("Queue{q}"), format!("data{s}/Queue{q}/Resource")))
                    .collect();
                stack
            })
            .collect();
        env
    }

    #[test]
    fn every_failure_of_big_reports_over_many_templates_is_reported() {
        let rules = r#"
rule queues_are_fifo {
  Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.FifoQueue == true
  <<
    Violation: queues must be FIFO
    Fix: set fifo
  >>
}
rule queues_named {
  Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.QueueName exists
}
"#;
        for (stacks, queues) in [(1, 2), (1, 60), (4, 40)] {
            let (findings, outcomes) = evaluate(&env_with_queues(stacks, queues), &[file(rules)])
                .unwrap_or_else(|e| panic!("{stacks} stack(s) of {queues} queues: {}", e.report()));
            let status: Vec<(&str, Status)> = outcomes.iter().map(|o| (o.rule.as_str(), o.status)).collect();
            assert_eq!(
                status,
                [("queues_are_fifo", Status::Failed), ("queues_named", Status::Passed)],
                "{stacks} stack(s) of {queues} queues"
            );
            assert_eq!(findings.len(), stacks * queues, "one finding per queue: {findings:?}");
            let last = format!("data{}/Queue{}/Resource", stacks - 1, queues - 1);
            assert!(findings.iter().any(|f| f.path == last), "{last} missing from {findings:?}");
            assert!(findings
                .iter()
                .all(|f| f.rule == "queues_are_fifo" && f.message == "queues must be FIFO" && f.fix == "set fifo"));
        }
    }

    #[test]
    fn a_file_without_rules_has_no_outcomes() {
        let (findings, outcomes) = evaluate(&env(), &[file("# only a comment\n")]).unwrap();
        assert!(findings.is_empty() && outcomes.is_empty(), "{findings:?} {outcomes:?}");
    }

    #[test]
    fn unparsable_rules_are_bad_input() {
        let err = evaluate(&env(), &[file("rule broken { ")]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.report().contains("t.guard cannot be evaluated"), "{}", err.report());
    }

    #[test]
    fn missing_rule_file_is_bad_input() {
        let err = load(&[PathBuf::from("/nonexistent/x.guard")], None).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}

/// cfn-guard wraps a parse error in the same prefix twice and leaves its fragment
/// quoting open; keep the innermost message on one line.
fn guard_message(raw: &str) -> String {
    const WRAPPER: &str = "Parser Error when parsing `";
    let inner = raw.rsplit(WRAPPER).next().unwrap_or(raw);
    let one_line = inner.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line
        .trim_end_matches(['`', ' ', ','])
        .trim_end_matches("fragment")
        .trim_end()
        .trim_end_matches(',')
        .trim_end()
        .trim_end_matches(", when handling") // nothing named after it (e.g. an unclosed rule)
        .to_string()
}

#[cfg(test)]
mod message_tests {
    use super::guard_message;

    #[test]
    fn parse_errors_keep_only_the_innermost_message_on_one_line() {
        let raw = "Parser Error when parsing `Parser Error when parsing `Parsing Error Error parsing file bad.guard at line 2 at column 23, when handling expecting a value, fragment  \n``";
        assert_eq!(
            guard_message(raw),
            "Parsing Error Error parsing file bad.guard at line 2 at column 23, when handling expecting a value"
        );
        assert_eq!(guard_message("plain"), "plain");
        let unclosed = "Parsing Error Error parsing file bad.guard at line 1 at column 14, when handling , fragment ";
        assert_eq!(
            guard_message(unclosed),
            "Parsing Error Error parsing file bad.guard at line 1 at column 14"
        );
    }
}
