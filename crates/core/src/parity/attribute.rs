//! Attribution by re-synthesis. The reference environment is synthesized again
//! with another environment's value for one knob: the leaves that change are the
//! ones that knob drives (environments sharing a value share that synthesis; when
//! the swap does not validate, the other environment gets the reference's value
//! instead). With every knob at the reference's value, whatever still differs is
//! undeclared; swapping the remaining (undeclared) fields one by one names the
//! field behind it when there is one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value as Json;

use super::flatten::flatten_variant;
use super::{flatten_env, EnvInput, Flat, PathKey};
use crate::application::{self, Application, LoadedEnv};
use crate::config;
use crate::error::Errors;
use crate::synth::Assembly;

/// A knob's value in an environment file, as JSON (None: the file lacks it).
pub fn knob_value(table: &toml::Table, key: &str) -> Option<Json> {
    config::get_value(table, key).and_then(|v| serde_json::to_value(v).ok())
}

/// Synthesizes one environment from a (modified) environment-file table.
pub fn synth_table<A: Application>(app: &A, name: &str, file: &Path, table: toml::Table) -> Result<Flat, String> {
    let config: A::Config = config::from_table(file, table).map_err(|e| e.to_string())?;
    let assembly = application::synthesize(app, &[(name, &config)]).map_err(|e| e.to_string())?;
    assembly
        .environments
        .into_iter()
        .next()
        .map(flatten_variant)
        .ok_or_else(|| format!("environment `{name}` produced nothing"))
}

/// Sets `key` to `value`, or removes it when `value` is None.
fn swapped(table: &toml::Table, key: &str, value: Option<&toml::Value>) -> toml::Table {
    config::with_value(table, key, value)
}

/// Dotted keys of every leaf (non-table value) of a table.
fn leaf_keys(table: &toml::Table, prefix: &str, out: &mut BTreeSet<String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(t) => leaf_keys(t, &key, out),
            _ => {
                out.insert(key);
            }
        }
    }
}

fn covered_by_knob(field: &str, knobs: &[String]) -> bool {
    knobs
        .iter()
        .any(|k| field == k || field.starts_with(&format!("{k}.")) || k.starts_with(&format!("{field}.")))
}

/// The items (resources, outputs…) whose leaves differ between two flats.
fn differing_items(a: &Flat, b: &Flat) -> BTreeSet<PathKey> {
    a.diff_keys(b).into_iter().map(|k| k.item()).collect()
}

/// The reference environment and its variants, one per (knob, value) tried.
pub struct Reference<'a, A: Application> {
    app: &'a A,
    env: &'a LoadedEnv<A::Config>,
    pub flat: Flat,
    knobs: Vec<String>,
    variants: BTreeMap<(String, Option<String>), Option<Flat>>,
}

/// What the knobs drive in one environment compared with the reference.
#[derive(Debug, Default)]
pub struct Drives {
    pub drives: BTreeMap<String, BTreeSet<PathKey>>,
    /// Knobs whose effect could not be isolated (no single swap validated).
    pub unisolated: Vec<String>,
    /// Knobs whose value differs from the reference's.
    pub differing: Vec<String>,
}

impl<'a, A: Application> Reference<'a, A> {
    pub fn new(app: &'a A, env: &'a LoadedEnv<A::Config>, flat: Flat) -> Self {
        Reference {
            app,
            env,
            flat,
            knobs: app.knobs().into_iter().map(|k| k.key).collect(),
            variants: BTreeMap::new(),
        }
    }

    /// Knobs whose value in `e` differs from the reference's.
    pub fn differing(&self, e: &LoadedEnv<A::Config>) -> Vec<String> {
        self.knobs
            .iter()
            .filter(|k| config::get_value(&e.table, k) != config::get_value(&self.env.table, k))
            .cloned()
            .collect()
    }

    /// Per knob whose value differs: the leaves of `e` (synthesized as `e_flat`) it
    /// drives, among the items in `only`.
    pub fn drives(&mut self, e: &LoadedEnv<A::Config>, e_flat: &Flat, only: &BTreeSet<PathKey>) -> Drives {
        let mut out = Drives::default();
        let r = self.env;
        for k in &self.knobs {
            let value = config::get_value(&e.table, k);
            if value == config::get_value(&r.table, k) {
                continue;
            }
            out.differing.push(k.clone());
            let (app, r_flat) = (self.app, &self.flat);
            let variant = self
                .variants
                .entry((k.clone(), value.map(|v| v.to_string())))
                .or_insert_with(|| synth_table(app, &r.name, &r.file, swapped(&r.table, k, value)).ok());
            let keys = match variant {
                Some(variant) => r_flat.diff_keys_in(variant, Some(only)),
                // Swapping one of several related fields can fail validation (desired
                // count outside min..max); then try the other way round.
                None => match synth_table(self.app, &e.name, &e.file, swapped(&e.table, k, config::get_value(&r.table, k))) {
                    Ok(variant) => e_flat.diff_keys_in(&variant, Some(only)),
                    Err(_) => {
                        out.unisolated.push(k.clone());
                        BTreeSet::new()
                    }
                },
            };
            out.drives.insert(k.clone(), keys);
        }
        out
    }

    /// What still differs (among `only`) once every knob of `e` has the reference's
    /// value, with the undeclared field behind each leaf when one is found.
    pub fn residual(
        &self,
        e: &LoadedEnv<A::Config>,
        differing: &[String],
        only: &BTreeSet<PathKey>,
    ) -> (Result<BTreeSet<PathKey>, String>, BTreeMap<PathKey, String>) {
        let r = self.env;
        let mut all = e.table.clone();
        for k in differing {
            all = swapped(&all, k, config::get_value(&r.table, k));
        }
        let residual = match synth_table(self.app, &e.name, &e.file, all.clone()) {
            Ok(v) => v.diff_keys_in(&self.flat, Some(only)),
            Err(msg) => {
                return (
                    Err(format!(
                        "with every knob set to {}'s value the environment does not synthesize: {msg}",
                        r.name
                    )),
                    BTreeMap::new(),
                )
            }
        };
        let mut hints = BTreeMap::new();
        if residual.is_empty() {
            return (Ok(residual), hints);
        }
        let mut fields = BTreeSet::new();
        leaf_keys(&e.table, "", &mut fields);
        leaf_keys(&r.table, "", &mut fields);
        for field in fields {
            let value = config::get_value(&r.table, &field);
            if covered_by_knob(&field, &self.knobs) || config::get_value(&e.table, &field) == value {
                continue;
            }
            let Ok(variant) = synth_table(self.app, &e.name, &e.file, swapped(&all, &field, value)) else {
                continue;
            };
            let still = variant.diff_keys_in(&self.flat, Some(only));
            for key in residual.difference(&still) {
                hints
                    .entry(key.clone())
                    .or_insert_with(|| format!("caused by `{field}`, which is not declared as a knob"));
            }
        }
        (Ok(residual), hints)
    }
}

/// Synthesizes `envs` and gathers, for each, what the comparison needs; the last
/// environment (latest in promotion order) is the reference. Also returns the
/// synthesis of `envs` itself.
pub fn analyze<A: Application>(app: &A, envs: &[LoadedEnv<A::Config>]) -> Result<(Assembly, Vec<EnvInput>), Errors> {
    analyze_with(app, envs, true)
}

/// [`analyze`]; without `labels` the knobs are not swapped one by one: differences
/// are still declared or undeclared (from the all-knobs synthesis), but the
/// declared ones name every knob that differs, and much faster (deploy's check).
pub fn analyze_with<A: Application>(app: &A, envs: &[LoadedEnv<A::Config>], labels: bool) -> Result<(Assembly, Vec<EnvInput>), Errors> {
    let pairs: Vec<(&str, &A::Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
    let assembly = application::synthesize(app, &pairs)?;
    let knobs: Vec<String> = app.knobs().into_iter().map(|k| k.key).collect();
    let mut flats: Vec<Flat> = assembly.environments.iter().map(flatten_env).collect();
    let mut inputs: Vec<EnvInput> = envs
        .iter()
        .map(|e| EnvInput {
            name: e.name.clone(),
            knob_values: knobs.iter().map(|k| (k.clone(), knob_value(&e.table, k))).collect(),
            ..Default::default()
        })
        .collect();
    let (Some(r_env), Some(r_flat)) = (envs.last(), flats.pop()) else {
        return Ok((assembly, inputs));
    };
    let mut reference = Reference::new(app, r_env, r_flat);
    for (i, e) in envs.iter().enumerate().take(flats.len()) {
        // Only items that differ from the reference matter.
        let only = differing_items(&flats[i], &reference.flat);
        let d = if labels {
            reference.drives(e, &flats[i], &only)
        } else {
            Drives {
                differing: reference.differing(e),
                ..Default::default()
            }
        };
        let (residual, hints) = reference.residual(e, &d.differing, &only);
        let input = &mut inputs[i];
        input.drives = d.drives;
        input.unisolated = d.unisolated;
        input.residual = Some(residual);
        input.hints = hints;
    }
    flats.push(reference.flat);
    for (input, flat) in inputs.iter_mut().zip(flats) {
        input.flat = flat;
    }
    Ok((assembly, inputs))
}

/// For `synth`'s record: per synthesized environment, the leaves each knob drives
/// compared with `reference` (None for the reference itself). `reference_flat` is
/// its synthesis, when at hand.
pub fn drives_for_record<A: Application>(
    app: &A,
    synthesized: &[(&LoadedEnv<A::Config>, Flat)],
    reference: &LoadedEnv<A::Config>,
) -> Vec<Option<Drives>> {
    let r_flat = synthesized
        .iter()
        .find(|(e, _)| e.name == reference.name)
        .map(|(_, f)| f.clone())
        .or_else(|| synth_table(app, &reference.name, &reference.file, reference.table.clone()).ok());
    let Some(r_flat) = r_flat else {
        return synthesized.iter().map(|_| None).collect();
    };
    let mut r = Reference::new(app, reference, r_flat);
    synthesized
        .iter()
        .map(|(e, flat)| {
            if e.name == reference.name {
                return None;
            }
            let only = differing_items(flat, &r.flat);
            Some(r.drives(e, flat, &only))
        })
        .collect()
}
