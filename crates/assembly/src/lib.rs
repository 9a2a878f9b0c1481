//! The cloud assembly: what `cairn synth` writes to disk and what later commands
//! read back. Per environment a folder `<out>/<env>/` with one
//! `<stack>.template.json` per stack and a `manifest.json` describing them.
//!
//! In: the synthesized environments ([`cairn_core::EnvArtifact`]) plus the sections
//! other crates record (policy-check results, the parity record). Out: the typed
//! [`Manifest`], written atomically with the templates
//! ([`write_environments`]: every environment or none), and read back with its
//! templates ([`read_synthesis`], [`Manifest::read`]); every problem reading is an
//! [`AssemblyError`] naming the file and the fix.
//!
//! ```
//! use cairn_assembly::{Manifest, MANIFEST_FILE};
//!
//! let dir = std::env::temp_dir().join(format!("cairn-assembly-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let file = dir.join(MANIFEST_FILE);
//! std::fs::write(&file, r#"{"version": 1, "environment": "dev", "stacks": [
//!     {"id": "data", "name": "shop-dev-data", "template": "shop-dev-data.template.json"}]}"#).unwrap();
//! let manifest = Manifest::read(&file).unwrap();
//! assert_eq!(manifest.stack("data").map(|s| s.name.as_str()), Some("shop-dev-data"));
//! // Written before cairn recorded parity: the section is absent, not an error.
//! assert!(manifest.parity.is_none());
//!
//! std::fs::write(&file, r#"{"version": 1, "environment": "dev"}"#).unwrap();
//! let error = Manifest::read(&file).unwrap_err();
//! assert!(error.to_string().contains("no \"stacks\" list"));
//! assert!(error.fix.contains("cairn synth"));
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

#![deny(missing_docs)]

mod error;
mod manifest;
mod read;
mod synthesis;
mod write;

pub use error::AssemblyError;
pub use manifest::{
    CheckFinding, CheckSuppression, ChecksSection, DrivenLeaf, Manifest, ManifestStack, ParityField, ParityRecord, StackSuppression,
    MANIFEST_FILE, MANIFEST_VERSION, PARITY_SECTION,
};
pub use read::{malformed_env_folders, read_synthesis, SynthesizedEnv, SynthesizedStack};
pub use synthesis::{sha256_hex, short_commit, short_digest, template_digests, Source, SynthesisSection};
pub use write::write_environments;
