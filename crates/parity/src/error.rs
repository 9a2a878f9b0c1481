//! What can go wrong in a parity check: a re-synthesis that fails, or a synthesis
//! output folder (`parity --out DIR`) that cannot be read. Each message names the
//! file and the fix; the toolkit prints it after `error: ` and exits 2.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use cairn_assembly::{AssemblyError, MANIFEST_FILE};
use cairn_core::config::ConfigError;
use cairn_core::Errors;

use crate::record::SECTION;

/// A parity error. Cloneable (I/O and JSON causes are shared) because an
/// environment's failed re-synthesis is kept in its [`EnvInput`](crate::EnvInput)
/// and reported as an undeclared difference.
#[derive(Debug, Clone)]
pub enum ParityError {
    /// An environment file with swapped knob values does not validate.
    Config(ConfigError),
    /// A re-synthesis failed.
    Synthesis(Errors),
    /// A re-synthesis produced no environment.
    NothingSynthesized {
        /// The environment.
        env: String,
    },
    /// A synthesis thread stopped without a result.
    ThreadStopped,
    /// With every knob at the reference's value, the environment does not synthesize.
    KnobsAtReference {
        /// The reference environment.
        reference: String,
        /// Why it failed.
        source: Box<ParityError>,
    },
    /// A file or folder of the synthesis output cannot be read.
    Unreadable {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: Arc<io::Error>,
    },
    /// A template is not JSON.
    InvalidJson {
        /// The template file.
        path: PathBuf,
        /// The JSON error.
        source: Arc<serde_json::Error>,
    },
    /// The named environment was not synthesized into the folder (no manifest).
    NotSynthesized {
        /// The manifest looked for.
        manifest: PathBuf,
        /// The environment.
        env: String,
        /// The synthesis folder.
        dir: PathBuf,
    },
    /// The folder holds no synthesized environment at all.
    NoEnvironments {
        /// The folder.
        dir: PathBuf,
    },
    /// Folders hold templates but no manifest: an interrupted or damaged synthesis.
    IncompleteOutput {
        /// The synthesis folder.
        dir: PathBuf,
        /// The folders without a manifest.
        folders: Vec<PathBuf>,
    },
    /// The manifest has no parity record (written before cairn recorded one).
    NoRecord {
        /// The manifest.
        manifest: PathBuf,
        /// The environment.
        env: String,
        /// The synthesis folder.
        dir: PathBuf,
    },
    /// A manifest cannot be read or is not what `cairn synth` writes.
    Manifest(AssemblyError),
}

impl fmt::Display for ParityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParityError::Config(e) => write!(f, "{e}"),
            ParityError::Synthesis(e) => write!(f, "{e}"),
            ParityError::NothingSynthesized { env } => write!(f, "environment `{env}` produced nothing"),
            ParityError::ThreadStopped => f.write_str("the synthesis thread stopped"),
            ParityError::KnobsAtReference { reference, source } => write!(
                f,
                "with every knob set to {reference}'s value the environment does not synthesize: {source}"
            ),
            ParityError::Unreadable { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            ParityError::InvalidJson { path, source } => write!(f, "{} is not valid JSON: {source}", path.display()),
            ParityError::NotSynthesized { manifest, env, dir } => write!(
                f,
                "{} does not exist; synthesize first: cairn synth {env} --out {}",
                manifest.display(),
                dir.display()
            ),
            ParityError::NoEnvironments { dir } => write!(
                f,
                "no synthesized environments in {}; run `cairn synth --all --out {}`",
                dir.display(),
                dir.display()
            ),
            ParityError::IncompleteOutput { dir, folders } => {
                let shown: Vec<String> = folders.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "{} {} templates but no {MANIFEST_FILE}: not a complete synthesis output (interrupted, or the manifest was deleted); \
                     synthesize again: cairn synth --all --out {}",
                    shown.join(", "),
                    if folders.len() == 1 { "holds" } else { "hold" },
                    dir.display()
                )
            }
            ParityError::NoRecord { manifest, env, dir } => write!(
                f,
                "{}: no `{SECTION}` record (written by an older cairn?); synthesize again: cairn synth {env} --out {}",
                manifest.display(),
                dir.display()
            ),
            ParityError::Manifest(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ParityError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ParityError::Config(e) => Some(e),
            ParityError::Synthesis(e) => Some(e),
            ParityError::KnobsAtReference { source, .. } => Some(source.as_ref()),
            ParityError::Unreadable { source, .. } => Some(source.as_ref()),
            ParityError::InvalidJson { source, .. } => Some(source.as_ref()),
            ParityError::Manifest(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for ParityError {
    fn from(e: ConfigError) -> Self {
        ParityError::Config(e)
    }
}

impl From<AssemblyError> for ParityError {
    fn from(e: AssemblyError) -> Self {
        ParityError::Manifest(e)
    }
}

impl From<Errors> for ParityError {
    fn from(e: Errors) -> Self {
        ParityError::Synthesis(e)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The messages are the ones `cairn parity --out` printed before the errors were
    /// typed; scripts and tests match on them.
    #[test]
    fn messages_name_the_file_and_the_fix() {
        let dir = PathBuf::from("out");
        let manifest = Path::new("out/prod/manifest.json").to_path_buf();
        let cases = [
            (
                ParityError::NotSynthesized {
                    manifest: manifest.clone(),
                    env: "prod".into(),
                    dir: dir.clone(),
                },
                "out/prod/manifest.json does not exist; synthesize first: cairn synth prod --out out",
            ),
            (
                ParityError::NoRecord {
                    manifest: manifest.clone(),
                    env: "prod".into(),
                    dir: dir.clone(),
                },
                "out/prod/manifest.json: no `parity` record (written by an older cairn?); synthesize again: cairn synth prod --out out",
            ),
            (
                ParityError::IncompleteOutput {
                    dir: dir.clone(),
                    folders: vec!["out/dev".into(), "out/prod".into()],
                },
                "out/dev, out/prod hold templates but no manifest.json: not a complete synthesis output (interrupted, or the \
                 manifest was deleted); synthesize again: cairn synth --all --out out",
            ),
            (
                ParityError::NoEnvironments { dir },
                "no synthesized environments in out; run `cairn synth --all --out out`",
            ),
            (
                ParityError::KnobsAtReference {
                    reference: "prod".into(),
                    source: Box::new(ParityError::NothingSynthesized { env: "dev".into() }),
                },
                "with every knob set to prod's value the environment does not synthesize: environment `dev` produced nothing",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }
}
