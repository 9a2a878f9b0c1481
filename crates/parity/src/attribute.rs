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

use cairn_core::application::{self, Application, LoadedEnv};
use cairn_core::config;
use cairn_core::Errors;
use cairn_core::{Assembly, ModelForms, Render, RenderOnly};
use serde_json::Value as Json;
use std::sync::Arc;

use crate::flatten::flatten_variant;
use crate::{flatten_taking, EnvInput, Flat, ParityError, PathKey, Section};

/// A knob's value in an environment file, as JSON (None: the file lacks it).
pub fn knob_value(table: &toml::Table, key: &str) -> Option<Json> {
    config::get_value(table, key).and_then(|v| serde_json::to_value(v).ok())
}

/// Synthesizes one environment from a (modified) environment-file table.
pub fn synth_table<A: Application>(app: &A, name: &str, file: &Path, table: toml::Table) -> Result<Flat, ParityError> {
    synth_job(app, name, file, table, None, None)
}

/// [`synth_table`], rendering only the resources in `only` when given, and of those
/// only the ones whose form differs from `baseline`'s (the others would render as the
/// baseline's: they are listed in [`Flat::same_as_baseline`]).
fn synth_job<A: Application>(
    app: &A,
    name: &str,
    file: &Path,
    table: toml::Table,
    only: Option<&Arc<RenderOnly>>,
    baseline: Option<&Arc<ModelForms>>,
) -> Result<Flat, ParityError> {
    let config: A::Config = config::from_table(file, table)?;
    // Only compared, never written: skip the file text (and what is not compared).
    let (assembly, unchanged) = match (only, baseline) {
        (Some(only), Some(b)) => application::synthesize_changed(app, name, &config, Arc::clone(only), Arc::clone(b))?,
        (Some(only), None) => (application::synthesize_only(app, &[(name, &config)], Arc::clone(only))?, Vec::new()),
        (None, _) => (application::synthesize_as(app, &[(name, &config)], Render::ModelOnly)?, Vec::new()),
    };
    let mut flat = assembly
        .environments
        .into_iter()
        .next()
        .map(flatten_variant)
        .ok_or_else(|| ParityError::NothingSynthesized { env: name.to_string() })?;
    flat.same_as_baseline = unchanged
        .into_iter()
        .map(|(stack, id)| PathKey::new(&stack, Section::Resources, &id, ""))
        .collect();
    Ok(flat)
}

/// The forms of the resources among `items` in `reference` (built from its own file,
/// not rendered): what a re-synthesis of the reference is compared against, to skip
/// rendering what it does not change ([`Flat::same_as_baseline`]). `None` when `items`
/// are not all resources or the reference does not build.
fn reference_forms<A: Application>(app: &A, reference: &LoadedEnv<A::Config>, items: &BTreeSet<PathKey>) -> Option<Arc<ModelForms>> {
    let only = render_only(items)?;
    application::model_forms(app, &reference.name, &reference.config, only)
        .ok()
        .map(Arc::new)
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

/// The leaves that differ between two flats, and the items they belong to.
fn differing_keys_and_items(a: &Flat, b: &Flat) -> (BTreeSet<PathKey>, BTreeSet<PathKey>) {
    let keys = a.diff_keys(b);
    let items = keys.iter().map(PathKey::item).collect();
    (keys, items)
}

/// The keys of `keys` that belong to one of `items`.
fn within(keys: &BTreeSet<PathKey>, items: &BTreeSet<PathKey>) -> BTreeSet<PathKey> {
    keys.iter().filter(|k| items.contains(&k.item())).cloned().collect()
}

/// One synthesis to run: environment `name` from a (modified) environment-file table.
#[derive(Debug, Clone)]
pub struct Job {
    /// The environment's name.
    pub name: String,
    /// Its environment file (for error messages).
    pub file: PathBuf,
    /// The file's table (shared by every job of the environment)…
    pub table: Arc<toml::Table>,
    /// …with these dotted keys set to other values (`None`: removed) before it is read.
    pub swaps: Vec<(String, Option<toml::Value>)>,
    /// The resources the comparison looks at, when it looks at resources only: the
    /// synthesis renders just those (shared by the jobs that compare the same items).
    /// `None`: everything.
    pub only: Option<Arc<RenderOnly>>,
    /// The reference's forms and rendering of those resources, when this job
    /// re-synthesizes the reference: what it leaves unchanged is not rendered again.
    pub baseline: Option<Arc<ModelForms>>,
    /// Run only when the job at this index (earlier in the list) does not synthesize,
    /// by the same thread right after it: the swap the other way round, where one
    /// does not validate (a desired count outside the reference's min..max). Its result
    /// is empty when that job synthesized.
    pub fallback_of: Option<usize>,
}

impl Job {
    fn new<C>(env: &LoadedEnv<C>, table: &Arc<toml::Table>) -> Job {
        Job {
            name: env.name.clone(),
            file: env.file.clone(),
            table: Arc::clone(table),
            swaps: Vec::new(),
            only: None,
            baseline: None,
            fallback_of: None,
        }
    }

    /// Sets `key` to `value` (removes it for `None`).
    fn swapping(mut self, key: &str, value: Option<&toml::Value>) -> Job {
        self.swaps.push((key.to_string(), value.cloned()));
        self
    }

    /// Renders only `only` ([`render_only`] of the compared items).
    fn comparing(mut self, only: Option<&Arc<RenderOnly>>) -> Job {
        self.only = only.cloned();
        self
    }

    /// Renders what the baseline's form says changed, when given.
    fn against(mut self, baseline: Option<&Arc<ModelForms>>) -> Job {
        self.baseline = baseline.cloned();
        self
    }

    /// Runs only when the job at `index` fails.
    fn instead_of(mut self, index: usize) -> Job {
        self.fallback_of = Some(index);
        self
    }

    fn synth<A: Application>(&self, app: &A) -> Result<Flat, ParityError> {
        let mut table = (*self.table).clone();
        for (key, value) in &self.swaps {
            config::set_value(&mut table, key, value.as_ref());
        }
        synth_job(app, &self.name, &self.file, table, self.only.as_ref(), self.baseline.as_ref())
    }
}

/// The resources among `items`, or `None` when `items` holds anything else (an output
/// exists only once every resource is rendered: exports come from the references).
fn render_only(items: &BTreeSet<PathKey>) -> Option<Arc<RenderOnly>> {
    let mut only = RenderOnly::new();
    for item in items {
        match item.section {
            Section::Resources => {
                only.entry(item.stack.clone()).or_default().insert(item.id.clone());
            }
            // Always rendered in full.
            Section::Stack | Section::Template | Section::Parameters | Section::Conditions => {}
            Section::Outputs => return None,
        }
    }
    Some(Arc::new(only))
}

/// The outcome of one job: the leaves that differ from what it is compared with.
type Keys = Result<BTreeSet<PathKey>, ParityError>;

/// Runs syntheses: one after the other ([`Sequential`]) or spread over the cores
/// ([`Parallel`], for applications that are `Sync`). Each result goes straight to
/// `compare` and is dropped: only the differing leaves are kept.
pub trait Synthesizer {
    /// Synthesizes every job and passes each result, with its index, to `compare`. A
    /// job with [`Job::fallback_of`] runs right after that job fails, and only then.
    fn run(&self, jobs: &[Job], compare: &(dyn Fn(usize, Flat) -> BTreeSet<PathKey> + Sync)) -> Vec<Keys>;
}

/// Runs job `i` (not a fallback) and, if it fails, its fallbacks; hands each outcome to `store`.
fn run_with_fallbacks<A: Application>(
    app: &A,
    jobs: &[Job],
    i: usize,
    compare: &(dyn Fn(usize, Flat) -> BTreeSet<PathKey> + Sync),
    store: &mut dyn FnMut(usize, Keys),
) {
    let keys = jobs[i].synth(app).map(|f| compare(i, f));
    let failed = keys.is_err();
    store(i, keys);
    if failed {
        for (j, fallback) in jobs.iter().enumerate().filter(|(_, j)| j.fallback_of == Some(i)) {
            store(j, fallback.synth(app).map(|f| compare(j, f)));
        }
    }
}

/// Syntheses one after the other.
pub struct Sequential<'a, A>(pub &'a A);

impl<A: Application> Synthesizer for Sequential<'_, A> {
    fn run(&self, jobs: &[Job], compare: &(dyn Fn(usize, Flat) -> BTreeSet<PathKey> + Sync)) -> Vec<Keys> {
        let mut results: Vec<Keys> = jobs.iter().map(|_| Ok(BTreeSet::new())).collect();
        for i in (0..jobs.len()).filter(|i| jobs[*i].fallback_of.is_none()) {
            run_with_fallbacks(self.0, jobs, i, compare, &mut |j, keys| results[j] = keys);
        }
        results
    }
}

/// The cores this process may use, asked once per process: the answer reads the
/// scheduler's affinity and the cgroup's CPU quota from files each time it is asked.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// How many threads share `count` pieces of work: one per core, at most 8.
fn threads_for(count: usize) -> usize {
    cores().min(8).min(count)
}

/// Calls `each(i)` for every `i` below `count`, the calls spread over `threads`
/// threads (this one among them), each taking the next index when it is done.
fn spread(count: usize, threads: usize, each: &(dyn Fn(usize) + Sync)) {
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= count {
            break;
        }
        each(i);
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
}

/// `f` of every item, the items spread over the machine's cores: the comparisons of
/// each environment with the reference, which every re-synthesis waits for.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads_for(items.len());
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    spread(items.len(), threads, &|i| {
        let result = f(&items[i]);
        if let Ok(mut slot) = slots[i].lock() {
            *slot = Some(result);
        }
    });
    // Every slot was filled: the scope joined every thread, and a thread that panics
    // ends the process. Computing it here again is only the answer to a poisoned lock.
    slots
        .into_iter()
        .zip(items)
        .map(|(m, item)| match m.into_inner().ok().flatten() {
            Some(r) => r,
            None => f(item),
        })
        .collect()
}

/// Syntheses spread over the machine's cores (each builds its own construct tree).
pub struct Parallel<'a, A>(pub &'a A);

impl<A: Application + Sync> Synthesizer for Parallel<'_, A> {
    fn run(&self, jobs: &[Job], compare: &(dyn Fn(usize, Flat) -> BTreeSet<PathKey> + Sync)) -> Vec<Keys> {
        let primaries = jobs.iter().filter(|j| j.fallback_of.is_none()).count();
        let threads = threads_for(primaries);
        if threads < 2 {
            return Sequential(self.0).run(jobs, compare);
        }
        // A fallback that never runs (its job synthesized) finds nothing.
        let slots: Vec<Mutex<Option<Keys>>> = jobs
            .iter()
            .map(|j| Mutex::new(j.fallback_of.map(|_| Ok(BTreeSet::new()))))
            .collect();
        let app = self.0;
        spread(jobs.len(), threads, &|i| {
            if jobs[i].fallback_of.is_some() {
                return;
            }
            run_with_fallbacks(app, jobs, i, compare, &mut |j, keys| {
                if let Ok(mut slot) = slots[j].lock() {
                    *slot = Some(keys);
                }
            });
        });
        slots
            .into_iter()
            .map(|m| m.into_inner().ok().flatten().unwrap_or(Err(ParityError::ThreadStopped)))
            .collect()
    }
}

/// What the knobs drive in one environment compared with the reference.
#[derive(Debug, Default)]
pub struct Drives {
    pub drives: BTreeMap<String, BTreeSet<PathKey>>,
    /// Knobs whose effect could not be isolated (no single swap validated).
    pub unisolated: Vec<String>,
}

/// Knobs whose value in `e` differs from `r`'s.
fn differing_knobs<C>(knobs: &[String], e: &LoadedEnv<C>, r: &LoadedEnv<C>) -> Vec<String> {
    knobs
        .iter()
        .filter(|k| config::get_value(&e.table, k) != config::get_value(&r.table, k))
        .cloned()
        .collect()
}

/// An environment, its synthesis and the items where it differs from the reference.
type Compared<'a, C> = (&'a LoadedEnv<C>, &'a Flat, &'a BTreeSet<PathKey>);

fn variant_key(k: &str, value: Option<&toml::Value>) -> (String, Option<String>) {
    (k.to_string(), value.map(|v| v.to_string()))
}

/// Per differing knob of each of `others`: the leaves (among `only[i]`, the items
/// where `others[i]` differs from the reference) it drives. The reference is
/// synthesized once per (knob, value); a swap that does not validate there
/// (desired count outside min..max) is tried the other way round: the
/// environment with the reference's value.
fn drives_of<A: Application, S: Synthesizer>(
    app: &A,
    knobs: &[String],
    others: &[Compared<A::Config>],
    r: &LoadedEnv<A::Config>,
    r_flat: &Flat,
    synth: &S,
) -> Vec<Drives> {
    let union: BTreeSet<PathKey> = others.iter().flat_map(|(_, _, only)| only.iter().cloned()).collect();
    // Each job below changes one knob of the reference: most compared resources stay as
    // they are, and are not rendered again.
    let baseline = if others.is_empty() { None } else { reference_forms(app, r, &union) };
    let r_table = Arc::new(r.table.clone());
    let union_only = render_only(&union);
    let mut index: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
    let mut jobs = Vec::new();
    for (e, _, _) in others {
        for k in differing_knobs(knobs, e, r) {
            let value = config::get_value(&e.table, &k);
            index.entry(variant_key(&k, value)).or_insert_with(|| {
                jobs.push(
                    Job::new(r, &r_table)
                        .swapping(&k, value)
                        .comparing(union_only.as_ref())
                        .against(baseline.as_ref()),
                );
                jobs.len() - 1
            });
        }
    }
    // The other way round where the reference's variant fails: the environment with the
    // reference's value, compared with the environment itself. Run only when needed, by
    // the thread that saw the variant fail, so no second round waits for the first.
    let primaries = jobs.len();
    let mut fallbacks: Vec<(usize, String, usize)> = Vec::new();
    for (i, (e, _, only)) in others.iter().enumerate() {
        let e_table = Arc::new(e.table.clone());
        let e_only = render_only(only);
        for k in differing_knobs(knobs, e, r) {
            let Some(&primary) = index.get(&variant_key(&k, config::get_value(&e.table, &k))) else {
                continue;
            };
            jobs.push(
                Job::new(*e, &e_table)
                    .swapping(&k, config::get_value(&r.table, &k))
                    .comparing(e_only.as_ref())
                    .instead_of(primary),
            );
            fallbacks.push((i, k, primary));
        }
    }
    let targets: Vec<(&Flat, &BTreeSet<PathKey>)> = fallbacks.iter().map(|(i, _, _)| (others[*i].1, others[*i].2)).collect();
    let results = synth.run(&jobs, &|j, variant| match j.checked_sub(primaries) {
        None => r_flat.diff_keys_in(&variant, Some(&union)),
        Some(f) => {
            let (e_flat, only) = targets[f];
            e_flat.diff_keys_in(&variant, Some(only))
        }
    });
    let mut out: Vec<Drives> = others.iter().map(|_| Drives::default()).collect();
    for (f, (i, k, primary)) in fallbacks.into_iter().enumerate() {
        let (_, _, only) = others[i];
        match (&results[primary], &results[primaries + f]) {
            (Ok(keys), _) => {
                out[i].drives.insert(k, within(keys, only));
            }
            (Err(_), Ok(keys)) => {
                out[i].drives.insert(k, keys.clone());
            }
            (Err(_), Err(_)) => {
                out[i].drives.insert(k.clone(), BTreeSet::new());
                out[i].unisolated.push(k);
            }
        }
    }
    out
}

/// `e`'s table with every differing knob at the reference's value.
fn all_swapped<C>(e: &LoadedEnv<C>, r: &LoadedEnv<C>, differing: &[String]) -> Arc<toml::Table> {
    let mut all = e.table.clone();
    for k in differing {
        config::set_value(&mut all, k, config::get_value(&r.table, k));
    }
    Arc::new(all)
}

/// For residual leaves: the field (not a knob) whose value, taken from the
/// reference, makes the leaf equal. A field whose value alone does not validate
/// (`service.memory_mib` without its `service.cpu`) is tried together with each
/// other differing field, then all of them together, so every residual leaf a
/// field of the environment file drives is named after it.
#[allow(clippy::too_many_arguments)]
fn hints<C, S: Synthesizer>(
    knobs: &[String],
    e: &LoadedEnv<C>,
    r: &LoadedEnv<C>,
    all: &Arc<toml::Table>,
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
    let mut out = BTreeMap::new();
    let singles: Vec<Vec<&String>> = fields.iter().map(|f| vec![f]).collect();
    let failed = explain(&singles, e, r, all, residual, r_flat, only, synth, &mut out);
    let mut pairs: Vec<Vec<&String>> = Vec::new();
    for f in &failed {
        for g in &fields {
            let mut pair = vec![*f, g];
            pair.sort();
            pair.dedup();
            if pair.len() == 2 && !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
    }
    let unexplained = |out: &BTreeMap<PathKey, String>| residual.iter().any(|k| !out.contains_key(k));
    if unexplained(&out) && !pairs.is_empty() {
        explain(&pairs, e, r, all, residual, r_flat, only, synth, &mut out);
    }
    if unexplained(&out) && fields.len() > 2 {
        explain(&[fields.iter().collect()], e, r, all, residual, r_flat, only, synth, &mut out);
    }
    out
}

/// Swaps each group of fields (in `all`) to the reference's values; names the group
/// as the cause of the residual leaves that become equal. Returns the fields of the
/// single-field groups whose swap did not synthesize.
#[allow(clippy::too_many_arguments)]
fn explain<'f, C, S: Synthesizer>(
    groups: &[Vec<&'f String>],
    e: &LoadedEnv<C>,
    r: &LoadedEnv<C>,
    all: &Arc<toml::Table>,
    residual: &BTreeSet<PathKey>,
    r_flat: &Flat,
    only: &BTreeSet<PathKey>,
    synth: &S,
    out: &mut BTreeMap<PathKey, String>,
) -> Vec<&'f String> {
    let compared = render_only(only);
    let jobs: Vec<Job> = groups
        .iter()
        .map(|group| {
            group
                .iter()
                .fold(Job::new(e, all), |job, f| job.swapping(f, config::get_value(&r.table, f)))
                .comparing(compared.as_ref())
        })
        .collect();
    let r_name = r.name.as_str();
    let results = synth.run(&jobs, &|_, mut variant| {
        variant.normalizer = variant.normalizer.with_alias(r_name);
        variant.diff_keys_in(r_flat, Some(only))
    });
    let mut failed = Vec::new();
    for (group, result) in groups.iter().zip(results) {
        let Ok(still) = result else {
            if let [single] = group.as_slice() {
                failed.push(*single);
            }
            continue;
        };
        for key in residual.difference(&still) {
            out.entry(key.clone()).or_insert_with(|| cause(group));
        }
    }
    failed
}

/// "caused by `service.cpu`, which is not declared as a knob", for one or more fields.
fn cause(fields: &[&String]) -> String {
    let named: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    match named.as_slice() {
        [one] => format!("caused by {one}, which is not declared as a knob"),
        [init @ .., last] => format!("caused by {} and {last} together, which are not declared as knobs", init.join(", ")),
        [] => "caused by the environment file".to_string(),
    }
}

/// Synthesizes `envs` and gathers, for each, what the comparison needs; the last
/// environment (latest in promotion order) is the reference. Also returns the
/// synthesis of `envs` itself, without file text (`body` is empty) and without the
/// templates as JSON (each `template` is `null`): those moved into the inputs' flats.
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
    // Compared, not written: no file text.
    let mut assembly = application::synthesize_model(app, &pairs)?;
    let mut flats: Vec<Flat> = assembly.environments.iter_mut().map(flatten_taking).collect();
    let (Some((r, others)), Some(r_flat)) = (envs.split_last(), flats.pop()) else {
        return Ok((assembly, inputs));
    };
    // Only the leaves (and items) where an environment differs from the reference matter.
    let differing: Vec<(BTreeSet<PathKey>, BTreeSet<PathKey>)> = par_map(&flats, |f| differing_keys_and_items(f, &r_flat));

    if labels {
        let with: Vec<Compared<A::Config>> = others
            .iter()
            .zip(&flats)
            .zip(&differing)
            .map(|((e, f), (_, only))| (e, f, only))
            .collect();
        for (input, d) in inputs.iter_mut().zip(drives_of(app, &knobs, &with, r, &r_flat, synth)) {
            input.drives = d.drives;
            input.unisolated = d.unisolated;
        }
    }

    // Every knob at the reference's value: what still differs is undeclared. A leaf
    // equal in both environments is no difference, even if the swapped values
    // normalize differently (a tag `shop-prod` under dev's name).
    let all: Vec<Arc<toml::Table>> = others.iter().map(|e| all_swapped(e, r, &differing_knobs(&knobs, e, r))).collect();
    // Values taken from the reference may carry its name (a `shop-prod` tag).
    let r_flat_name = r.name.clone();
    let jobs: Vec<Job> = others
        .iter()
        .zip(&all)
        .zip(&differing)
        .map(|((e, t), (_, only))| Job::new(e, t).comparing(render_only(only).as_ref()))
        .collect();
    let residuals = synth.run(&jobs, &|i, mut variant| {
        let (keys, only) = &differing[i];
        variant.normalizer = variant.normalizer.with_alias(&r_flat_name);
        variant.diff_keys_in(&r_flat, Some(only)).intersection(keys).cloned().collect()
    });
    for (i, (e, residual)) in others.iter().zip(residuals).enumerate() {
        inputs[i].residual = Some(match residual {
            Ok(residual) => {
                if !residual.is_empty() {
                    inputs[i].hints = hints(&knobs, e, r, &all[i], &residual, &r_flat, &differing[i].1, synth);
                }
                Ok(residual)
            }
            Err(e) => Err(ParityError::KnobsAtReference {
                reference: r.name.clone(),
                source: Box::new(e),
            }),
        });
    }
    flats.push(r_flat);
    let items = differing.into_iter().map(|(_, items)| items).chain([BTreeSet::new()]);
    for ((input, flat), items) in inputs.iter_mut().zip(flats).zip(items) {
        input.flat = flat;
        input.differing_items = Some(items);
    }
    Ok((assembly, inputs))
}

/// For `synth`'s record: per synthesized environment, the leaves each knob drives
/// compared with `reference` (None for the reference itself). The flats are taken:
/// once the differing items are known, the items no comparison looks at are dropped,
/// so the re-syntheses reuse their memory instead of adding to the peak.
pub fn drives_for_record<A: Application, S: Synthesizer>(
    app: &A,
    mut synthesized: Vec<(&LoadedEnv<A::Config>, Flat)>,
    reference: &LoadedEnv<A::Config>,
    synth: &S,
) -> Vec<Option<Drives>> {
    let knobs: Vec<String> = app.knobs().into_iter().map(|k| k.key).collect();
    let own = synthesized.iter().position(|(e, _)| e.name == reference.name);
    let mut fresh = match own {
        Some(_) => None,
        None => match synth_table(app, &reference.name, &reference.file, reference.table.clone()) {
            Ok(f) => Some(f),
            Err(_) => return synthesized.iter().map(|_| None).collect(),
        },
    };
    let only: Vec<Option<BTreeSet<PathKey>>> = {
        let Some(r_flat) = reference_flat(&synthesized, own, &fresh) else {
            return synthesized.iter().map(|_| None).collect();
        };
        let compared: Vec<Option<&Flat>> = synthesized.iter().map(|(e, f)| (e.name != reference.name).then_some(f)).collect();
        par_map(&compared, |f| f.map(|f| differing_keys_and_items(f, r_flat).1))
    };
    let compared_items: BTreeSet<&PathKey> = only.iter().flatten().flatten().collect();
    for flat in synthesized.iter_mut().map(|(_, f)| f).chain(fresh.as_mut()) {
        flat.items.retain(|k, _| compared_items.contains(k));
    }
    let Some(r_flat) = reference_flat(&synthesized, own, &fresh) else {
        return synthesized.iter().map(|_| None).collect();
    };
    let with: Vec<Compared<A::Config>> = synthesized
        .iter()
        .zip(&only)
        .filter_map(|((e, f), o)| o.as_ref().map(|o| (*e, f, o)))
        .collect();
    let mut drives = drives_of(app, &knobs, &with, reference, r_flat, synth).into_iter();
    only.iter().map(|o| o.as_ref().and_then(|_| drives.next())).collect()
}

/// The reference's flat: its own synthesis among `synthesized` (at `own`), or the one
/// synthesized for the record.
fn reference_flat<'a, C>(synthesized: &'a [(&LoadedEnv<C>, Flat)], own: Option<usize>, fresh: &'a Option<Flat>) -> Option<&'a Flat> {
    match own {
        Some(i) => synthesized.get(i).map(|(_, f)| f),
        None => fresh.as_ref(),
    }
}
