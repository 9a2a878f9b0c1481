//! What `synth` records in each environment's manifest so that `parity --out DIR`
//! can check a synthesis without synthesizing: per knob its value, whether it must
//! match other environments, and which leaves it drives; plus a digest of every
//! template, so a hand-edited file is noticed. And the reader of that record.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_assembly::malformed_env_folders;
use cairn_assembly::PARITY_SECTION;
use cairn_assembly::{DrivenLeaf, Manifest, ParityField, ParityRecord, MANIFEST_FILE};
use cairn_core::application::{Application, EnvironmentConfig, Knob, LoadedEnv};
use cairn_core::EnvArtifact;
use md5::{Digest, Md5};
use serde_json::Value as Json;

use crate::attribute::{drives_for_record, knob_value, Sequential, Synthesizer};
use crate::{flatten_env, flatten_stack, EnvInput, Flat, Normalizer, Note, ParityError, PathKey, Section};

/// Key of the parity record in the manifest.
pub(crate) const SECTION: &str = PARITY_SECTION;
/// Version of the record's layout.
pub(crate) const VERSION: u32 = 1;

/// Hex SHA-256 of a template file's bytes (the synthesis section's digest).
pub(crate) fn digest(bytes: &[u8]) -> String {
    cairn_assembly::sha256_hex(bytes)
}

/// Whether `bytes` have the recorded digest: SHA-256 (the synthesis section's), or MD5
/// in records written before cairn hashed each template once.
fn digest_matches(recorded: Option<&String>, bytes: &[u8]) -> bool {
    match recorded {
        Some(d) if d.len() == 32 => *d == Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>(),
        Some(d) => *d == digest(bytes),
        None => false,
    }
}

fn leaf_record(k: &PathKey) -> DrivenLeaf {
    DrivenLeaf {
        stack: k.stack.clone(),
        section: k.section.as_str().to_string(),
        id: k.id.clone(),
        property: k.property.clone(),
    }
}

/// The recorded leaf as a key; `None` for a section this cairn does not compare.
fn key_from_record(leaf: &DrivenLeaf) -> Option<PathKey> {
    Some(PathKey {
        stack: leaf.stack.clone(),
        section: Section::parse(&leaf.section)?,
        id: leaf.id.clone(),
        property: leaf.property.clone(),
    })
}

/// The `parity` sections of the manifests of the `synthesized` environments (same
/// order). `all` holds every environment (in promotion order); the last is the
/// reference that each environment's knobs are swapped with to see what they drive.
pub fn records<A: Application>(
    app: &A,
    synthesized: &[(&LoadedEnv<A::Config>, &EnvArtifact)],
    all: &[LoadedEnv<A::Config>],
) -> Vec<ParityRecord> {
    records_with(app, synthesized, all, &Sequential(app))
}

/// [`records`] with the syntheses run by `synth`.
pub fn records_with<A: Application, S: Synthesizer>(
    app: &A,
    synthesized: &[(&LoadedEnv<A::Config>, &EnvArtifact)],
    all: &[LoadedEnv<A::Config>],
    synth: &S,
) -> Vec<ParityRecord> {
    let digests: Vec<Vec<String>> = synthesized.iter().map(|(_, a)| cairn_assembly::template_digests(a)).collect();
    let flats = synthesized.iter().map(|(_, a)| flatten_env(a)).collect();
    records_with_flats(app, synthesized, flats, all, synth, &digests)
}

/// [`records_with`] with each environment's templates already flattened
/// ([`crate::flatten_env`] or [`crate::flatten_taking`]) and its template digests already
/// computed ([`cairn_assembly::template_digests`]), both in the order of `synthesized`:
/// the artifacts give only the template file names.
pub fn records_with_flats<A: Application, S: Synthesizer>(
    app: &A,
    synthesized: &[(&LoadedEnv<A::Config>, &EnvArtifact)],
    flats: Vec<Flat>,
    all: &[LoadedEnv<A::Config>],
    synth: &S,
    digests: &[Vec<String>],
) -> Vec<ParityRecord> {
    let reference = all.last().or_else(|| {
        synthesized
            .iter()
            .map(|(e, _)| *e)
            .max_by_key(|e| (e.config.promotion_order(), e.name.clone()))
    });
    let flats: Vec<(&LoadedEnv<A::Config>, Flat)> = synthesized.iter().map(|(e, _)| *e).zip(flats).collect();
    let drives = match reference {
        Some(r) => drives_for_record(app, flats, r, synth),
        None => synthesized.iter().map(|_| None).collect(),
    };
    synthesized
        .iter()
        .zip(drives)
        .zip(digests)
        .map(|(((env, artifact), drives), digests)| {
            let fields = app
                .knobs()
                .into_iter()
                .map(|knob| {
                    let drives = drives
                        .as_ref()
                        .and_then(|d| d.drives.get(&knob.key))
                        .into_iter()
                        .flatten()
                        .map(leaf_record)
                        .collect();
                    let field = ParityField {
                        value: knob_value(&env.table, &knob.key),
                        must_match: knob.must_match,
                        drives,
                        artifact: knob.artifact,
                    };
                    (knob.key, field)
                })
                .collect();
            let templates = artifact.stacks.iter().map(|s| s.file_name()).zip(digests.iter().cloned()).collect();
            ParityRecord {
                version: VERSION,
                reference: reference.map(|r| r.name.clone()),
                promotion_order: env.config.promotion_order(),
                fields,
                templates,
            }
        })
        .collect()
}

/// One environment read back from `<out>/<env>/`.
struct Recorded {
    order: u32,
    input: EnvInput,
    knobs: Vec<Knob>,
    app: String,
}

fn unreadable(path: &Path, e: std::io::Error) -> ParityError {
    ParityError::Unreadable {
        path: path.to_path_buf(),
        source: Arc::new(e),
    }
}

/// A template file's bytes (for its digest) and JSON.
fn read_template(path: &Path) -> Result<(Vec<u8>, Json), ParityError> {
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, e))?;
    let json = serde_json::from_slice(&bytes).map_err(|e| ParityError::InvalidJson {
        path: path.to_path_buf(),
        source: Arc::new(e),
    })?;
    Ok((bytes, json))
}

fn read_env(dir: &Path, name: &str) -> Result<Recorded, ParityError> {
    let env_dir = dir.join(name);
    let manifest_path = env_dir.join(MANIFEST_FILE);
    if !manifest_path.exists() {
        let bad: Vec<_> = malformed_env_folders(dir).into_iter().filter(|p| *p == env_dir).collect();
        folders_error(dir, bad)?;
        return Err(ParityError::NotSynthesized {
            manifest: manifest_path,
            env: name.to_string(),
            dir: dir.to_path_buf(),
        });
    }
    let manifest = Manifest::read(&manifest_path)?;
    let Some(section) = &manifest.parity else {
        return Err(ParityError::NoRecord {
            manifest: manifest_path,
            env: name.to_string(),
            dir: dir.to_path_buf(),
        });
    };
    let norm = Normalizer::new(name, &manifest.account, &manifest.region);
    let mut flat = Flat::default();
    let mut notes = Vec::new();
    for stack in &manifest.stacks {
        let file = &stack.template;
        let (bytes, template) = read_template(&env_dir.join(file))?;
        if !digest_matches(section.templates.get(file), &bytes) {
            notes.push(Note {
                environment: name.to_string(),
                message: format!(
                    "{} was changed after synthesis (its digest differs from the manifest's): it no longer follows from {name}'s environment file",
                    env_dir.join(file).display()
                ),
                undeclared: true,
            });
        }
        flatten_stack(&mut flat, &norm, &stack.id, &stack.name, &template);
    }
    let mut input = EnvInput {
        name: name.to_string(),
        flat,
        notes,
        ..Default::default()
    };
    let mut knobs = Vec::new();
    for (key, field) in &section.fields {
        input.knob_values.insert(key.clone(), field.value.clone());
        let drives: BTreeSet<PathKey> = field.drives.iter().filter_map(key_from_record).collect();
        input.drives.insert(key.clone(), drives);
        knobs.push(Knob {
            key: key.clone(),
            must_match: field.must_match.clone(),
            artifact: field.artifact,
        });
    }
    Ok(Recorded {
        order: section.promotion_order,
        input,
        knobs,
        app: manifest.app.clone(),
    })
}

/// An error naming the [`malformed_env_folders`] of `dir`, if any.
pub fn check_env_folders(dir: &Path) -> Result<(), ParityError> {
    folders_error(dir, malformed_env_folders(dir))
}

fn folders_error(dir: &Path, folders: Vec<PathBuf>) -> Result<(), ParityError> {
    if folders.is_empty() {
        return Ok(());
    }
    Err(ParityError::IncompleteOutput {
        dir: dir.to_path_buf(),
        folders,
    })
}

/// Environment names synthesized under `dir` (folders with a manifest); an error
/// when a folder holds templates without a manifest ([`check_env_folders`]).
pub fn environments_in(dir: &Path) -> Result<Vec<String>, ParityError> {
    check_env_folders(dir)?;
    let entries = std::fs::read_dir(dir).map_err(|e| unreadable(dir, e))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(MANIFEST_FILE).is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

/// Reads the named environments (all under `dir` when `names` is empty) in promotion
/// order; returns the app name, the inputs and the knobs (as the reference recorded them).
pub fn read_out_dir(dir: &Path, names: &[String]) -> Result<(String, Vec<EnvInput>, Vec<Knob>), ParityError> {
    let names = if names.is_empty() { environments_in(dir)? } else { names.to_vec() };
    if names.is_empty() {
        return Err(ParityError::NoEnvironments { dir: dir.to_path_buf() });
    }
    let mut recorded = names.iter().map(|n| read_env(dir, n)).collect::<Result<Vec<_>, _>>()?;
    recorded.sort_by(|a, b| (a.order, &a.input.name).cmp(&(b.order, &b.input.name)));
    let last = recorded.last().map(|r| (r.app.clone(), r.knobs.clone())).unwrap_or_default();
    let mut knobs = last.1;
    let mut seen: BTreeMap<String, ()> = knobs.iter().map(|k| (k.key.clone(), ())).collect();
    for r in &recorded {
        for k in &r.knobs {
            if seen.insert(k.key.clone(), ()).is_none() {
                knobs.push(k.clone());
            }
        }
    }
    Ok((last.0, recorded.into_iter().map(|r| r.input).collect(), knobs))
}
