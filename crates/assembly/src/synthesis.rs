//! What a synthesis stands for and how to tell it was not touched since: the commit
//! it was synthesized from, whether that work tree was dirty, and every template's
//! SHA-256. `cairn deploy --from DIR` deploys a folder only when its templates still
//! have the digests recorded here, and the deployed stacks carry the same digests,
//! so "staging runs this synthesis" can be checked byte for byte.

use std::path::Path;

use cairn_core::EnvArtifact;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::AssemblyError;
use crate::read::SynthesizedEnv;

/// The git commit a synthesis was made from (`None` outside a git checkout).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Full hex id of `HEAD`.
    pub commit: Option<String>,
    /// The work tree had changes (tracked or untracked) against `HEAD`: the commit
    /// alone does not say what was synthesized.
    pub dirty: bool,
}

impl Source {
    /// `a1b2c3d`, `a1b2c3d+dirty`, or `no commit`: how reports name it.
    pub fn label(&self) -> String {
        match &self.commit {
            Some(c) => format!("{}{}", short_commit(c), if self.dirty { "+dirty" } else { "" }),
            None => "no commit".to_string(),
        }
    }
}

/// The first 7 characters of a commit id, as git shows it.
pub fn short_commit(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

/// The manifest's `synthesis` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynthesisSection {
    /// The commit synthesized (null outside a git checkout).
    pub commit: Option<String>,
    /// The work tree had uncommitted changes.
    pub dirty: bool,
    /// SHA-256 over the environment's template digests (file name and digest, in deploy order):
    /// one value that changes when any template does.
    pub digest: String,
    /// Template file name → hex SHA-256 of its bytes.
    pub templates: IndexMap<String, String>,
}

impl SynthesisSection {
    /// The section for a synthesized environment made from `source`.
    pub fn new(env: &EnvArtifact, source: &Source) -> SynthesisSection {
        SynthesisSection::with_digests(env, source, &template_digests(env))
    }

    /// [`SynthesisSection::new`] with the templates' digests already computed
    /// ([`template_digests`], same order as `env.stacks`): each is hashed once.
    pub fn with_digests(env: &EnvArtifact, source: &Source, digests: &[String]) -> SynthesisSection {
        let templates: IndexMap<String, String> = env.stacks.iter().map(|s| s.file_name()).zip(digests.iter().cloned()).collect();
        SynthesisSection {
            commit: source.commit.clone(),
            dirty: source.dirty,
            digest: combined_digest(&templates),
            templates,
        }
    }

    /// The commit and dirty flag.
    pub fn source(&self) -> Source {
        Source {
            commit: self.commit.clone(),
            dirty: self.dirty,
        }
    }
}

/// The hex SHA-256 of each template's file text, in `env.stacks` order.
pub fn template_digests(env: &EnvArtifact) -> Vec<String> {
    env.stacks.iter().map(|s| sha256_hex(s.body.as_bytes())).collect()
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut hex = String::with_capacity(64);
    for b in digest.as_ref() {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    hex
}

fn combined_digest(templates: &IndexMap<String, String>) -> String {
    let mut text = String::new();
    for (file, digest) in templates {
        text.push_str(file);
        text.push(' ');
        text.push_str(digest);
        text.push('\n');
    }
    sha256_hex(text.as_bytes())
}

impl SynthesizedEnv {
    /// Checks that every template still has the digest the manifest recorded, and
    /// that nothing recorded is missing: the folder is exactly what `cairn synth`
    /// wrote. Errors name the file and say how to get an untouched synthesis.
    pub fn verify_digests(&self) -> Result<&SynthesisSection, AssemblyError> {
        let manifest_file = self.dir.join(crate::MANIFEST_FILE);
        let Some(section) = &self.manifest.synthesis else {
            return Err(AssemblyError::new(
                &manifest_file,
                "records no template digests (written by an older cairn), so cairn cannot tell whether the templates were edited",
                "synthesize again with this cairn (`cairn synth --all --out DIR`) and deploy that folder",
            )
            .property("synthesis"));
        };
        for stack in &self.manifest.stacks {
            let file = self.dir.join(&stack.template);
            let Some(recorded) = section.templates.get(&stack.template) else {
                return Err(AssemblyError::new(
                    &manifest_file,
                    format!("lists stack {} but records no digest for {}", stack.name, stack.template),
                    FIX_EDITED,
                )
                .property(format!("synthesis.templates.{}", stack.template)));
            };
            let actual = file_digest(&file)?;
            if &actual != recorded {
                return Err(AssemblyError::new(
                    &file,
                    format!(
                        "was changed after synthesis: its SHA-256 is {} but the manifest recorded {}",
                        short_digest(&actual),
                        short_digest(recorded)
                    ),
                    FIX_EDITED,
                ));
            }
        }
        if section.templates.len() != self.manifest.stacks.len() || combined_digest(&section.templates) != section.digest {
            return Err(AssemblyError::new(
                &manifest_file,
                "its synthesis digest does not match its templates' digests: the manifest was edited",
                FIX_EDITED,
            )
            .property("synthesis.digest"));
        }
        Ok(section)
    }
}

const FIX_EDITED: &str = "deploy only what `cairn synth` wrote: synthesize again (`cairn synth --all --out DIR`), \
     commit any change to the application instead of editing templates";

fn file_digest(path: &Path) -> Result<String, AssemblyError> {
    let bytes = std::fs::read(path).map_err(|e| {
        AssemblyError::new(
            path,
            format!("cannot read the template: {e}"),
            "synthesize again; the folder is incomplete",
        )
    })?;
    Ok(sha256_hex(&bytes))
}

/// The first 12 hex digits of a digest, enough to tell two apart in a message.
pub fn short_digest(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // FIPS 180-2's long message: many blocks, as a template is.
        assert_eq!(
            sha256_hex(&vec![b'a'; 1_000_000]),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn labels_name_the_commit_and_a_dirty_tree() {
        let clean = Source {
            commit: Some("a1b2c3d4e5f6".into()),
            dirty: false,
        };
        assert_eq!(clean.label(), "a1b2c3d");
        assert_eq!(Source { dirty: true, ..clean }.label(), "a1b2c3d+dirty");
        assert_eq!(Source::default().label(), "no commit");
    }
}
