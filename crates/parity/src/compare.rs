//! Builds the [`Report`]: every leaf whose normalized value differs between the
//! environments, collapsed to one row per missing stack or resource, each
//! attributed to the knobs that drive it or marked undeclared.

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::application::Knob;
use serde_json::Value as Json;

use crate::leaves;
use crate::{EnvInput, FieldSummary, Flat, Leaf, PathKey, Report, Row, Section, Source, StackReport, Status, Violation};

/// Compares `envs` (the last one is the reference).
pub fn compare(app: &str, source: Source, envs: &[EnvInput], knobs: &[Knob]) -> Report {
    let names: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
    let reference = envs.len().saturating_sub(1);
    let mut report = Report {
        app: app.to_string(),
        source,
        envs: names.clone(),
        reference: names.get(reference).cloned().unwrap_or_default(),
        fields: Vec::new(),
        promotion: Vec::new(),
        violations: Vec::new(),
        stacks: Vec::new(),
        notes: envs.iter().flat_map(|e| e.notes.clone()).collect(),
        skew: Vec::new(),
        skew_against: "this commit".to_string(),
    };
    if envs.is_empty() {
        return report;
    }

    // Must-match knobs set differently.
    for knob in knobs.iter().filter(|k| !k.must_match.is_empty()) {
        let members: Vec<Option<Json>> = envs
            .iter()
            .filter(|e| knob.must_match.contains(&e.name))
            .map(|e| knob_value(e, &knob.key))
            .collect();
        if members.len() >= 2 && members.iter().any(|v| *v != members[0]) {
            report.violations.push(Violation {
                field: knob.key.clone(),
                must_match: knob.must_match.clone(),
                values: envs.iter().map(|e| knob_value(e, &knob.key)).collect(),
            });
        }
    }

    // Every item that is not equal everywhere, in key order (a stack's own key comes
    // first), then its differing leaves (the item's own key first).
    // Where every input knows the items it differs from the reference in, only those
    // can differ anywhere (normalized equality is an equivalence: equal to the reference
    // in every environment is equal in all of them).
    let known: Option<Vec<&BTreeSet<PathKey>>> = envs.iter().map(|e| e.differing_items.as_ref()).collect();
    let items: BTreeSet<&PathKey> = match known {
        Some(sets) => sets.into_iter().flatten().collect(),
        None => envs.iter().flat_map(|e| e.flat.items.keys()).collect(),
    };
    let why = Attribution::new(envs, reference, knobs);
    let mut rows: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut collapsed_stacks: BTreeSet<&str> = BTreeSet::new();
    for item in items {
        if collapsed_stacks.contains(item.stack.as_str()) || envs[1..].iter().all(|e| e.flat.same_item(&envs[0].flat, item)) {
            continue;
        }
        // The leaves that differ somewhere are those where some environment differs from
        // the first; only those are taken out (normalized and as written).
        let mut differing = BTreeSet::new();
        for e in &envs[1..] {
            leaves::differing_leaves(
                item,
                envs[0].flat.items.get(item),
                &envs[0].flat.normalizer,
                e.flat.items.get(item),
                &e.flat.normalizer,
                &mut differing,
            );
        }
        let leaves: Vec<BTreeMap<PathKey, Leaf>> = envs.iter().map(|e| e.flat.leaves_among(item, &differing)).collect();
        for key in &differing {
            let norms: Vec<Option<&Json>> = leaves.iter().map(|l| l.get(key).map(|l| &l.norm)).collect();
            if norms.iter().all(|n| *n == norms[0]) {
                continue;
            }
            let whole = key.property.is_empty();
            let collapse = whole && (key.section == Section::Stack || norms.iter().any(Option::is_none));
            if whole && key.section == Section::Stack {
                collapsed_stacks.insert(&item.stack);
            }
            let status = attribute(key, envs, &norms, reference, knobs, &why);
            rows.entry(key.stack.clone()).or_default().push(Row {
                key: key.clone(),
                resource: display_resource(key, envs),
                property: display_property(key),
                values: leaves.iter().map(|l| l.get(key).map(|l| l.raw.clone())).collect(),
                status,
            });
            // A stack or resource missing somewhere is one row, not one per property.
            if collapse {
                break;
            }
        }
    }

    // Stacks in deploy order: the reference's first, then any others.
    let mut order: Vec<String> = Vec::new();
    for e in envs.iter().rev() {
        for s in &e.flat.stacks {
            if !order.contains(s) {
                order.push(s.clone());
            }
        }
    }
    for id in order {
        let Some(mut stack_rows) = rows.remove(&id) else { continue };
        stack_rows.sort_by(|a, b| {
            // Declared ones grouped by field, in the order the application declares them.
            let rank = |r: &Row| match &r.status {
                Status::Undeclared { .. } => (0, 0, String::new()),
                Status::Declared(f) | Status::Promotion(f) => {
                    let first = f
                        .iter()
                        .filter_map(|k| knobs.iter().position(|x| &x.key == k))
                        .min()
                        .unwrap_or(usize::MAX);
                    let group = if matches!(r.status, Status::Promotion(_)) { 2 } else { 1 };
                    (group, first, f.join(", "))
                }
            };
            rank(a).cmp(&rank(b)).then_with(|| a.key.cmp(&b.key))
        });
        report.stacks.push(StackReport {
            names: envs.iter().map(|e| e.flat.stack_names.get(&id).cloned()).collect(),
            id,
            rows: stack_rows,
        });
    }

    // Declared knobs whose values differ.
    for knob in knobs {
        let values: Vec<Option<Json>> = envs.iter().map(|e| knob_value(e, &knob.key)).collect();
        if values.iter().all(|v| *v == values[0]) {
            continue;
        }
        let differences = report
            .stacks
            .iter()
            .flat_map(|s| &s.rows)
            .filter(|r| matches!(&r.status, Status::Declared(f) | Status::Promotion(f) if f.contains(&knob.key)))
            .count();
        let summary = FieldSummary {
            field: knob.key.clone(),
            values,
            must_match: knob.must_match.clone(),
            differences,
        };
        if knob.artifact {
            report.promotion.push(summary);
        } else {
            report.fields.push(summary);
        }
    }
    report
}

fn knob_value(e: &EnvInput, key: &str) -> Option<Json> {
    knob_value_ref(e, key).cloned()
}

/// [`knob_value`] without copying it: compared for every knob at every differing leaf.
fn knob_value_ref<'e>(e: &'e EnvInput, key: &str) -> Option<&'e Json> {
    e.knob_values.get(key).and_then(Option::as_ref)
}

/// What [`attribute`] asks of every environment at every differing leaf, gathered once.
struct Attribution<'e> {
    /// Per environment: leaf → the knobs whose swap changes it.
    drivers: Vec<BTreeMap<&'e PathKey, BTreeSet<&'e str>>>,
    /// Per environment: the knobs whose value differs from the reference's.
    differing: Vec<Vec<&'e Knob>>,
}

impl<'e> Attribution<'e> {
    fn new(envs: &'e [EnvInput], reference: usize, knobs: &'e [Knob]) -> Self {
        let drivers = envs
            .iter()
            .map(|e| {
                let mut by_leaf: BTreeMap<&PathKey, BTreeSet<&str>> = BTreeMap::new();
                for (knob, leaves) in &e.drives {
                    for leaf in leaves {
                        by_leaf.entry(leaf).or_default().insert(knob.as_str());
                    }
                }
                by_leaf
            })
            .collect();
        let differing = envs
            .iter()
            .map(|e| {
                knobs
                    .iter()
                    .filter(|k| knob_value_ref(e, &k.key) != knob_value_ref(&envs[reference], &k.key))
                    .collect()
            })
            .collect();
        Attribution { drivers, differing }
    }

    /// Whether `knob` drives `leaf` in environment `env`.
    fn drives(&self, env: usize, knob: &Knob, leaf: &PathKey) -> bool {
        self.drivers[env].get(leaf).is_some_and(|k| k.contains(knob.key.as_str()))
    }
}

/// Why `key` differs between each environment and the reference.
fn attribute(key: &PathKey, envs: &[EnvInput], norms: &[Option<&Json>], reference: usize, knobs: &[Knob], why: &Attribution) -> Status {
    let r = &envs[reference];
    let mut fields: BTreeSet<String> = BTreeSet::new();
    let mut undeclared: Vec<String> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut flag = |env: &str, reason: String| {
        if !undeclared.iter().any(|u| u == env) {
            undeclared.push(env.to_string());
        }
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    };
    for (i, e) in envs.iter().enumerate().take(reference) {
        if norms[i] == norms[reference] {
            continue;
        }
        match &e.residual {
            Some(Err(error)) => {
                flag(&e.name, error.to_string());
                continue;
            }
            Some(Ok(residual)) if residual.contains(key) => {
                let reason = e.hints.get(key).cloned().unwrap_or_else(|| {
                    format!(
                        "differs between {} and {} with every knob set to the same value: not driven by the environment file",
                        e.name, r.name
                    )
                });
                flag(&e.name, reason);
                continue;
            }
            _ => {}
        }
        let differing = &why.differing[i];
        let driving: Vec<&Knob> = differing
            .iter()
            .copied()
            .filter(|k| why.drives(i, k, key) || why.drives(reference, k, key))
            .collect();
        let driving: Vec<&Knob> = if !driving.is_empty() {
            driving
        } else if matches!(e.residual, Some(Ok(_))) {
            // Not driven by any single knob, yet gone once all are swapped: several
            // knobs together (or ones whose effect could not be isolated).
            let unisolated: Vec<&Knob> = differing.iter().copied().filter(|k| e.unisolated.contains(&k.key)).collect();
            if unisolated.is_empty() {
                differing.clone()
            } else {
                unisolated
            }
        } else {
            Vec::new()
        };
        if driving.is_empty() {
            flag(
                &e.name,
                format!("differs between {} and {}, and no declared knob drives it", e.name, r.name),
            );
            continue;
        }
        for k in driving {
            if k.must_match.contains(&e.name) && k.must_match.contains(&r.name) {
                flag(
                    &e.name,
                    format!("driven by `{}`, which must be equal in {}", k.key, k.must_match.join(", ")),
                );
            } else {
                fields.insert(k.key.clone());
            }
        }
    }
    let artifact = |f: &String| knobs.iter().any(|k| &k.key == f && k.artifact);
    if undeclared.is_empty() && !fields.is_empty() && fields.iter().all(artifact) {
        Status::Promotion(fields.into_iter().collect())
    } else if undeclared.is_empty() {
        Status::Declared(fields.into_iter().collect())
    } else {
        Status::Undeclared { envs: undeclared, reasons }
    }
}

fn display_resource(key: &PathKey, envs: &[EnvInput]) -> String {
    match key.section {
        Section::Stack => "(stack)".to_string(),
        Section::Resources => envs
            .iter()
            .rev()
            .find_map(|e| e.flat.paths.get(&(key.stack.clone(), key.id.clone())))
            .cloned()
            .unwrap_or_else(|| format!("{}/{}", key.stack, key.id)),
        Section::Template => format!("{}/({})", key.stack, key.id),
        s => format!("{}/{}/{}", key.stack, s.as_str(), key.id),
    }
}

fn display_property(key: &PathKey) -> String {
    if key.property.is_empty() {
        return match key.section {
            Section::Stack => "(stack)",
            Section::Resources => "(resource)",
            Section::Outputs => "(output)",
            Section::Parameters => "(parameter)",
            Section::Conditions => "(condition)",
            Section::Template => "(value)",
        }
        .to_string();
    }
    key.property.strip_prefix("Properties.").unwrap_or(&key.property).to_string()
}

/// Per stack id of `a`/`b`: how many items (resources, outputs, parameters…)
/// differ between two versions of one environment's templates.
pub fn changes(a: &Flat, b: &Flat) -> BTreeMap<String, usize> {
    let mut items: BTreeMap<String, BTreeSet<PathKey>> = BTreeMap::new();
    for key in a.diff_keys(b) {
        items.entry(key.stack.clone()).or_default().insert(key.item());
    }
    items.into_iter().map(|(s, i)| (s, i.len())).collect()
}
