//! Attribution by re-synthesis. The reference environment is synthesized again
//! with another environment's value for one knob: the leaves that change are the
//! ones that knob drives (environments sharing a value share that synthesis; when
//! the swap does not validate, the other environment gets the reference's value
//! instead). With every knob at the reference's value, whatever still differs is
//! undeclared; swapping the remaining (undeclared) fields one by one names the
//! field behind it when there is one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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

/// The leaves that differ between two flats, and the items they belong to.
fn differing_keys_and_items(a: &Flat, b: &Flat) -> (BTreeSet<PathKey>, BTreeSet<PathKey>) {
    let keys = a.diff_keys(b);
    let items = keys.iter().map(PathKey::item).collect();
    (keys, items)
}

/// One synthesis to run: environment `name` from a (modified) environment-file table.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub file: PathBuf,
    pub table: toml::Table,
}

impl Job {
    fn new<C>(env: &LoadedEnv<C>, table: toml::Table) -> Job {
        Job {
            name: env.name.clone(),
            file: env.file.clone(),
            table,
        }
    }
}

/// Runs syntheses: one after the other ([`Sequential`]) or spread over the cores
/// ([`Parallel`], for applications that are `Sync`).
pub trait Synthesizer {
    /// Runs `jobs` (results in the same order) while `alongside` runs on this thread.
    fn run_alongside(&self, jobs: &[Job], alongside: &mut dyn FnMut()) -> Vec<Result<Flat, String>>;

    fn run(&self, jobs: &[Job]) -> Vec<Result<Flat, String>> {
        self.run_alongside(jobs, &mut || {})
    }
}

/// Syntheses one after the other.
pub struct Sequential<'a, A>(pub &'a A);

impl<A: Application> Synthesizer for Sequential<'_, A> {
    fn run_alongside(&self, jobs: &[Job], alongside: &mut dyn FnMut()) -> Vec<Result<Flat, String>> {
        alongside();
        jobs.iter()
            .map(|j| synth_table(self.0, &j.name, &j.file, j.table.clone()))
            .collect()
    }
}

/// Syntheses spread over the machine's cores (each builds its own construct tree).
pub struct Parallel<'a, A>(pub &'a A);

impl<A: Application + Sync> Synthesizer for Parallel<'_, A> {
    fn run_alongside(&self, jobs: &[Job], alongside: &mut dyn FnMut()) -> Vec<Result<Flat, String>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        if threads < 2 || jobs.len() < 2 {
            return Sequential(self.0).run_alongside(jobs, alongside);
        }
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<Result<Flat, String>>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
        let app = self.0;
        let work = || loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            let result = synth_table(app, &job.name, &job.file, job.table.clone());
            if let Ok(mut slot) = slots[i].lock() {
                *slot = Some(result);
            }
        };
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(work);
            }
            alongside();
            work();
        });
        slots
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| Err("the synthesis thread stopped".to_string()))
            })
            .collect()
    }
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

/// Knobs whose value in `e` differs from `r`'s.
fn differing_knobs<C>(knobs: &[String], e: &LoadedEnv<C>, r: &LoadedEnv<C>) -> Vec<String> {
    knobs
        .iter()
        .filter(|k| config::get_value(&e.table, k) != config::get_value(&r.table, k))
        .cloned()
        .collect()
}

/// The reference synthesized once per (knob, value) the other environments give it.
struct Variants {
    index: BTreeMap<(String, Option<String>), usize>,
}

impl Variants {
    /// Plans a job for each differing knob of each of `others`.
    fn plan<C>(knobs: &[String], others: &[&LoadedEnv<C>], r: &LoadedEnv<C>, jobs: &mut Vec<Job>) -> Variants {
        let mut index = BTreeMap::new();
        for e in others {
            for k in differing_knobs(knobs, e, r) {
                let value = config::get_value(&e.table, &k);
                index.entry((k.clone(), value.map(|v| v.to_string()))).or_insert_with(|| {
                    jobs.push(Job::new(r, swapped(&r.table, &k, value)));
                    jobs.len() - 1
                });
            }
        }
        Variants { index }
    }

    /// Per differing knob of `e`: the leaves (among `only`) it drives. A swap on the
    /// reference that does not validate (desired count outside min..max) is tried
    /// the other way round: `e` with the reference's value.
    #[allow(clippy::too_many_arguments)]
    fn drives<C, S: Synthesizer>(
        &self,
        knobs: &[String],
        e: &LoadedEnv<C>,
        e_flat: &Flat,
        r: &LoadedEnv<C>,
        r_flat: &Flat,
        results: &[Result<Flat, String>],
        only: &BTreeSet<PathKey>,
        synth: &S,
    ) -> Drives {
        let mut out = Drives {
            differing: differing_knobs(knobs, e, r),
            ..Default::default()
        };
        let mut retry: Vec<(String, Job)> = Vec::new();
        for k in &out.differing {
            let value = config::get_value(&e.table, k).map(|v| v.to_string());
            match self.index.get(&(k.clone(), value)).and_then(|i| results.get(*i)) {
                Some(Ok(variant)) => {
                    out.drives.insert(k.clone(), r_flat.diff_keys_in(variant, Some(only)));
                }
                _ => retry.push((k.clone(), Job::new(e, swapped(&e.table, k, config::get_value(&r.table, k))))),
            }
        }
        let jobs: Vec<Job> = retry.iter().map(|(_, j)| j.clone()).collect();
        for ((k, _), result) in retry.into_iter().zip(synth.run(&jobs)) {
            match result {
                Ok(variant) => {
                    out.drives.insert(k, e_flat.diff_keys_in(&variant, Some(only)));
                }
                Err(_) => {
                    out.drives.insert(k.clone(), BTreeSet::new());
                    out.unisolated.push(k);
                }
            }
        }
        out
    }
}

/// `e`'s table with every differing knob at the reference's value.
fn all_swapped<C>(e: &LoadedEnv<C>, r: &LoadedEnv<C>, differing: &[String]) -> toml::Table {
    let mut all = e.table.clone();
    for k in differing {
        all = swapped(&all, k, config::get_value(&r.table, k));
    }
    all
}

/// For residual leaves: the field (not a knob) whose value, taken from the
/// reference, makes the leaf equal.
#[allow(clippy::too_many_arguments)]
fn hints<C, S: Synthesizer>(
    knobs: &[String],
    e: &LoadedEnv<C>,
    r: &LoadedEnv<C>,
    all: &toml::Table,
    residual: &BTreeSet<PathKey>,
    r_flat: &Flat,
    only: &BTreeSet<PathKey>,
    synth: &S,
) -> BTreeMap<PathKey, String> {
    let mut fields = BTreeSet::new();
    leaf_keys(&e.table, "", &mut fields);
    leaf_keys(&r.table, "", &mut fields);
    let fields: Vec<String> = fields
        .into_iter()
        .filter(|f| !covered_by_knob(f, knobs) && config::get_value(&e.table, f) != config::get_value(&r.table, f))
        .collect();
    let jobs: Vec<Job> = fields
        .iter()
        .map(|f| Job::new(e, swapped(all, f, config::get_value(&r.table, f))))
        .collect();
    let mut out = BTreeMap::new();
    for (field, result) in fields.iter().zip(synth.run(&jobs)) {
        let Ok(variant) = result else { continue };
        let still = variant.diff_keys_in(r_flat, Some(only));
        for key in residual.difference(&still) {
            out.entry(key.clone())
                .or_insert_with(|| format!("caused by `{field}`, which is not declared as a knob"));
        }
    }
    out
}

/// Synthesizes `envs` and gathers, for each, what the comparison needs; the last
/// environment (latest in promotion order) is the reference. Also returns the
/// synthesis of `envs` itself.
pub fn analyze<A: Application>(app: &A, envs: &[LoadedEnv<A::Config>]) -> Result<(Assembly, Vec<EnvInput>), Errors> {
    analyze_with(app, envs, true, &Sequential(app))
}

/// [`analyze`] with syntheses run by `synth`. Without `labels` the knobs are not
/// swapped one by one: differences are still declared or undeclared (from the
/// all-knobs synthesis), but a declared one names every knob that differs; much
/// faster (deploy's check).
pub fn analyze_with<A: Application, S: Synthesizer>(
    app: &A,
    envs: &[LoadedEnv<A::Config>],
    labels: bool,
    synth: &S,
) -> Result<(Assembly, Vec<EnvInput>), Errors> {
    let knobs: Vec<String> = app.knobs().into_iter().map(|k| k.key).collect();
    let mut inputs: Vec<EnvInput> = envs
        .iter()
        .map(|e| EnvInput {
            name: e.name.clone(),
            knob_values: knobs.iter().map(|k| (k.clone(), knob_value(&e.table, k))).collect(),
            ..Default::default()
        })
        .collect();
    let pairs: Vec<(&str, &A::Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
    let Some((r, others)) = envs.split_last() else {
        return Ok((application::synthesize(app, &pairs)?, inputs));
    };
    // Every synthesis is planned up front, and runs while the environments
    // themselves are synthesized.
    let mut jobs = Vec::new();
    let others_ref: Vec<&LoadedEnv<A::Config>> = others.iter().collect();
    let variants = if labels {
        Variants::plan(&knobs, &others_ref, r, &mut jobs)
    } else {
        Variants { index: BTreeMap::new() }
    };
    let residual_jobs: Vec<(toml::Table, usize)> = others
        .iter()
        .map(|e| {
            let all = all_swapped(e, r, &differing_knobs(&knobs, e, r));
            jobs.push(Job::new(e, all.clone()));
            (all, jobs.len() - 1)
        })
        .collect();
    let base_synthesis = || {
        application::synthesize(app, &pairs).map(|a| {
            let flats: Vec<Flat> = a.environments.iter().map(flatten_env).collect();
            (a, flats)
        })
    };
    let mut base = None;
    let results = synth.run_alongside(&jobs, &mut || base = Some(base_synthesis()));
    let (assembly, mut flats) = base.unwrap_or_else(base_synthesis)?;
    let Some(r_flat) = flats.pop() else {
        return Ok((assembly, inputs));
    };
    for (i, e) in others.iter().enumerate() {
        let Some(e_flat) = flats.get(i) else { continue };
        // Only items that differ from the reference matter.
        let (differing, only) = differing_keys_and_items(e_flat, &r_flat);
        let (all, residual_job) = &residual_jobs[i];
        let input = &mut inputs[i];
        if labels {
            let d = variants.drives(&knobs, e, e_flat, r, &r_flat, &results, &only, synth);
            input.drives = d.drives;
            input.unisolated = d.unisolated;
        }
        input.residual = Some(match &results[*residual_job] {
            Ok(variant) => {
                // A leaf equal in both environments is no difference, even if the
                // swapped values normalize differently (a tag `shop-prod` under dev's name).
                let residual: BTreeSet<PathKey> = variant
                    .diff_keys_in(&r_flat, Some(&only))
                    .intersection(&differing)
                    .cloned()
                    .collect();
                if !residual.is_empty() {
                    input.hints = hints(&knobs, e, r, all, &residual, &r_flat, &only, synth);
                }
                Ok(residual)
            }
            Err(msg) => Err(format!(
                "with every knob set to {}'s value the environment does not synthesize: {msg}",
                r.name
            )),
        });
    }
    flats.push(r_flat);
    for (input, flat) in inputs.iter_mut().zip(flats) {
        input.flat = flat;
    }
    Ok((assembly, inputs))
}

/// For `synth`'s record: per synthesized environment, the leaves each knob drives
/// compared with `reference` (None for the reference itself).
pub fn drives_for_record<A: Application, S: Synthesizer>(
    app: &A,
    synthesized: &[(&LoadedEnv<A::Config>, Flat)],
    reference: &LoadedEnv<A::Config>,
    synth: &S,
) -> Vec<Option<Drives>> {
    let knobs: Vec<String> = app.knobs().into_iter().map(|k| k.key).collect();
    let others: Vec<&LoadedEnv<A::Config>> = synthesized.iter().map(|(e, _)| *e).filter(|e| e.name != reference.name).collect();
    let mut jobs = Vec::new();
    let variants = Variants::plan(&knobs, &others, reference, &mut jobs);
    let own = synthesized.iter().find(|(e, _)| e.name == reference.name).map(|(_, f)| f.clone());
    if own.is_none() {
        jobs.push(Job::new(reference, reference.table.clone()));
    }
    let mut results = synth.run(&jobs);
    let r_flat = match own {
        Some(f) => Some(f),
        None => results.pop().and_then(Result::ok),
    };
    let Some(r_flat) = r_flat else {
        return synthesized.iter().map(|_| None).collect();
    };
    synthesized
        .iter()
        .map(|(e, flat)| {
            if e.name == reference.name {
                return None;
            }
            let only = differing_items(flat, &r_flat);
            Some(variants.drives(&knobs, e, flat, reference, &r_flat, &results, &only, synth))
        })
        .collect()
}
