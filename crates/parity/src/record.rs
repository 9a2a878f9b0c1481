//! What `synth` records in each environment's manifest so that `parity --out DIR`
//! can check a synthesis without synthesizing: per knob its value, whether it must
//! match other environments, and which leaves it drives; plus a digest of every
//! template, so a hand-edited file is noticed. And the reader of that record.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_core::application::{Application, EnvironmentConfig, Knob, LoadedEnv};
use cairn_core::assembly::MANIFEST_FILE;
use cairn_core::synth::EnvArtifact;
use md5::{Digest, Md5};
use serde_json::{json, Map, Value as Json};

use crate::attribute::{drives_for_record, knob_value, Sequential, Synthesizer};
use crate::{flatten_env, flatten_stack, EnvInput, Flat, Normalizer, Note, ParityError, PathKey, Section};

/// Key of the parity record in the manifest.
pub const SECTION: &str = "parity";
/// Version of the record's layout.
pub const VERSION: u32 = 1;

/// Hex MD5 of a template file's bytes.
pub fn digest(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn key_json(k: &PathKey) -> Json {
    json!({ "stack": k.stack, "section": k.section.as_str(), "id": k.id, "property": k.property })
}

fn key_from_json(v: &Json) -> Option<PathKey> {
    Some(PathKey {
        stack: v.get("stack")?.as_str()?.to_string(),
        section: Section::parse(v.get("section")?.as_str()?)?,
        id: v.get("id")?.as_str()?.to_string(),
        property: v.get("property")?.as_str()?.to_string(),
    })
}

/// The `parity` sections of the manifests of the `synthesized` environments (same
/// order). `all` holds every environment (in promotion order); the last is the
/// reference that each environment's knobs are swapped with to see what they drive.
pub fn records<A: Application>(app: &A, synthesized: &[(&LoadedEnv<A::Config>, &EnvArtifact)], all: &[LoadedEnv<A::Config>]) -> Vec<Json> {
    records_with(app, synthesized, all, &Sequential(app))
}

/// [`records`] with the syntheses run by `synth`.
pub fn records_with<A: Application, S: Synthesizer>(
    app: &A,
    synthesized: &[(&LoadedEnv<A::Config>, &EnvArtifact)],
    all: &[LoadedEnv<A::Config>],
    synth: &S,
) -> Vec<Json> {
    let reference = all.last().or_else(|| {
        synthesized
            .iter()
            .map(|(e, _)| *e)
            .max_by_key(|e| (e.config.promotion_order(), e.name.clone()))
    });
    let flats: Vec<(&LoadedEnv<A::Config>, Flat)> = synthesized.iter().map(|(e, a)| (*e, flatten_env(a))).collect();
    let drives = match reference {
        Some(r) => drives_for_record(app, &flats, r, synth),
        None => synthesized.iter().map(|_| None).collect(),
    };
    synthesized
        .iter()
        .zip(drives)
        .map(|((env, artifact), drives)| {
            let mut fields = Map::new();
            for knob in app.knobs() {
                let driven: Vec<Json> = drives
                    .as_ref()
                    .and_then(|d| d.drives.get(&knob.key))
                    .into_iter()
                    .flatten()
                    .map(key_json)
                    .collect();
                fields.insert(
                    knob.key.clone(),
                    json!({
                        "value": knob_value(&env.table, &knob.key),
                        "mustMatch": knob.must_match,
                        "drives": driven,
                    }),
                );
            }
            let templates: Map<String, Json> = artifact
                .stacks
                .iter()
                .map(|s| (s.file_name(), json!(digest(s.body.as_bytes()))))
                .collect();
            json!({
                "version": VERSION,
                "reference": reference.map(|r| r.name.clone()),
                "promotionOrder": env.config.promotion_order(),
                "fields": fields,
                "templates": templates,
            })
        })
        .collect()
}

/// One environment read back from `<out>/<env>/`.
struct Recorded {
    order: u64,
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

fn read_json(path: &Path) -> Result<(Vec<u8>, Json), ParityError> {
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
    let (_, manifest) = read_json(&manifest_path)?;
    let section = manifest.get(SECTION).ok_or_else(|| ParityError::NoRecord {
        manifest: manifest_path.clone(),
        env: name.to_string(),
        dir: dir.to_path_buf(),
    })?;
    let text = |v: &Json, k: &str| v.get(k).and_then(Json::as_str).unwrap_or_default().to_string();
    let (account, region) = (text(&manifest, "account"), text(&manifest, "region"));
    let norm = Normalizer::new(name, &account, &region);
    let digests = section.get("templates").and_then(Json::as_object).cloned().unwrap_or_default();
    let mut flat = Flat::default();
    let mut notes = Vec::new();
    for stack in manifest
        .get("stacks")
        .and_then(Json::as_array)
        .ok_or_else(|| ParityError::NoStackList {
            manifest: manifest_path.clone(),
        })?
    {
        let (id, stack_name, file) = (text(stack, "id"), text(stack, "name"), text(stack, "template"));
        if file.is_empty() || file.contains('/') || file.contains('\\') {
            return Err(ParityError::BadTemplateFileName {
                manifest: manifest_path,
                stack: id,
            });
        }
        let (bytes, template) = read_json(&env_dir.join(&file))?;
        if digests.get(&file).and_then(Json::as_str) != Some(digest(&bytes).as_str()) {
            notes.push(Note {
                environment: name.to_string(),
                message: format!(
                    "{} was changed after synthesis (its digest differs from the manifest's): it no longer follows from {name}'s environment file",
                    env_dir.join(&file).display()
                ),
                undeclared: true,
            });
        }
        flatten_stack(&mut flat, &norm, &id, &stack_name, &template);
    }
    let mut input = EnvInput {
        name: name.to_string(),
        flat,
        notes,
        ..Default::default()
    };
    let mut knobs = Vec::new();
    for (key, field) in section.get("fields").and_then(Json::as_object).into_iter().flatten() {
        let value = field.get("value").filter(|v| !v.is_null()).cloned();
        input.knob_values.insert(key.clone(), value);
        let drives: BTreeSet<PathKey> = field
            .get("drives")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(key_from_json)
            .collect();
        input.drives.insert(key.clone(), drives);
        knobs.push(Knob {
            key: key.clone(),
            must_match: field
                .get("mustMatch")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        });
    }
    Ok(Recorded {
        order: section.get("promotionOrder").and_then(Json::as_u64).unwrap_or(0),
        input,
        knobs,
        app: text(&manifest, "app"),
    })
}

/// Folders under the synthesis root `dir` that hold templates (`*.template.json`)
/// but no manifest: an interrupted or partly deleted synthesis, not an absent
/// environment. Empty when `dir` is itself one environment's folder.
pub fn malformed_env_folders(dir: &Path) -> Vec<PathBuf> {
    if dir.join(MANIFEST_FILE).is_file() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.join(MANIFEST_FILE).exists())
        .filter(|p| {
            std::fs::read_dir(p).is_ok_and(|files| {
                files
                    .filter_map(|f| f.ok())
                    .any(|f| f.file_name().to_string_lossy().ends_with(".template.json"))
            })
        })
        .collect();
    out.sort();
    out
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
