//! Attribution by re-synthesis: an environment is synthesized again with the
//! reference environment's value for one knob; the leaves that change are the ones
//! that knob drives. With every knob swapped, whatever still differs from the
//! reference is undeclared; swapping the remaining (undeclared) fields one by one
//! names the field behind it when there is one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value as Json;

use super::{flatten_env, EnvInput, Flat, PathKey};
use crate::application::{self, Application, EnvironmentConfig, LoadedEnv};
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
        .first()
        .map(flatten_env)
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

/// Synthesizes `envs` and gathers, for each, what the comparison needs; the last
/// environment (latest in promotion order) is the reference. Also returns the
/// synthesis of `envs` itself.
pub fn analyze<A: Application>(app: &A, envs: &[LoadedEnv<A::Config>]) -> Result<(Assembly, Vec<EnvInput>), Errors> {
    let pairs: Vec<(&str, &A::Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
    let assembly = application::synthesize(app, &pairs)?;
    let knobs: Vec<String> = app.knobs().into_iter().map(|k| k.key).collect();
    let mut inputs: Vec<EnvInput> = envs
        .iter()
        .zip(&assembly.environments)
        .map(|(e, artifact)| EnvInput {
            name: e.name.clone(),
            flat: flatten_env(artifact),
            knob_values: knobs.iter().map(|k| (k.clone(), knob_value(&e.table, k))).collect(),
            ..Default::default()
        })
        .collect();
    let Some(reference) = envs.len().checked_sub(1) else {
        return Ok((assembly, inputs));
    };
    let r = &envs[reference];
    let r_flat = inputs[reference].flat.clone();
    for (i, e) in envs.iter().enumerate().take(reference) {
        let e_flat = inputs[i].flat.clone();
        let differing: Vec<&String> = knobs
            .iter()
            .filter(|k| config::get_value(&e.table, k) != config::get_value(&r.table, k))
            .collect();
        let input = &mut inputs[i];
        for k in &differing {
            let forward = synth_table(app, &e.name, &e.file, swapped(&e.table, k, config::get_value(&r.table, k)));
            let keys = match forward {
                Ok(variant) => e_flat.diff_keys(&variant),
                // Swapping one of several related fields can fail validation (desired
                // count outside min..max); then try the other way round.
                Err(_) => match synth_table(app, &r.name, &r.file, swapped(&r.table, k, config::get_value(&e.table, k))) {
                    Ok(variant) => r_flat.diff_keys(&variant),
                    Err(_) => {
                        input.unisolated.push((*k).clone());
                        BTreeSet::new()
                    }
                },
            };
            input.drives.insert((*k).clone(), keys);
        }
        // Every knob at the reference's value: what still differs is undeclared.
        let mut all = e.table.clone();
        for k in &differing {
            all = swapped(&all, k, config::get_value(&r.table, k));
        }
        let residual = synth_table(app, &e.name, &e.file, all.clone()).map(|v| v.diff_keys(&r_flat));
        if let Ok(res) = &residual {
            if !res.is_empty() {
                input.hints = hints(app, e, r, &all, &knobs, res, &r_flat);
            }
        }
        input.residual = Some(residual.map_err(|msg| {
            format!(
                "with every knob set to {}'s value the environment does not synthesize: {msg}",
                r.name
            )
        }));
    }
    Ok((assembly, inputs))
}

/// For undeclared leaves: the non-knob field whose value, taken from the reference,
/// makes the leaf equal.
fn hints<A: Application>(
    app: &A,
    e: &LoadedEnv<A::Config>,
    r: &LoadedEnv<A::Config>,
    all: &toml::Table,
    knobs: &[String],
    residual: &BTreeSet<PathKey>,
    r_flat: &Flat,
) -> BTreeMap<PathKey, String> {
    let mut fields = BTreeSet::new();
    leaf_keys(&e.table, "", &mut fields);
    leaf_keys(&r.table, "", &mut fields);
    let mut out = BTreeMap::new();
    for field in fields {
        if covered_by_knob(&field, knobs) || config::get_value(&e.table, &field) == config::get_value(&r.table, &field) {
            continue;
        }
        let Ok(variant) = synth_table(app, &e.name, &e.file, swapped(all, &field, config::get_value(&r.table, &field))) else {
            continue;
        };
        let still = variant.diff_keys(r_flat);
        for key in residual.difference(&still) {
            out.entry(key.clone())
                .or_insert_with(|| format!("caused by `{field}`, which is not declared as a knob"));
        }
    }
    out
}

/// Per knob, the leaves of `env` that change when the knob takes any value another
/// environment gives it (what `synth` records for `parity --out`).
pub fn drives_any<A: Application>(
    app: &A,
    env: &LoadedEnv<A::Config>,
    flat: &Flat,
    others: &[&toml::Table],
) -> BTreeMap<String, BTreeSet<PathKey>> {
    let mut out = BTreeMap::new();
    for knob in app.knobs() {
        let own = config::get_value(&env.table, &knob.key);
        let mut alternatives: Vec<Option<&toml::Value>> = Vec::new();
        for t in others {
            let v = config::get_value(t, &knob.key);
            if v != own && !alternatives.contains(&v) {
                alternatives.push(v);
            }
        }
        let mut keys = BTreeSet::new();
        for alt in alternatives {
            if let Ok(variant) = synth_table(app, &env.name, &env.file, swapped(&env.table, &knob.key, alt)) {
                keys.extend(flat.diff_keys(&variant));
            }
        }
        out.insert(knob.key, keys);
    }
    out
}

/// Promotion order of a loaded environment.
pub fn promotion_order<C: EnvironmentConfig>(env: &LoadedEnv<C>) -> u32 {
    env.config.promotion_order()
}
