//! What can go wrong reading a synthesis output back: each error names the file
//! (or folder), the key when one is at fault, and the fix.

use std::fmt;
use std::path::{Path, PathBuf};

/// The fix for an output that is not what `cairn synth` writes.
pub(crate) const FIX_WRITE: &str = "point at a folder written by `cairn synth` (e.g. `cairn synth --all --out DIR`)";

/// A synthesis output (manifest, template or folder) that cannot be read or is not
/// what `cairn synth` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssemblyError {
    /// The file or folder at fault.
    pub path: PathBuf,
    /// The key inside the file, when one is at fault (`Resources.Queue.Type`).
    pub property: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl AssemblyError {
    pub(crate) fn new(path: &Path, message: impl Into<String>, fix: impl Into<String>) -> Self {
        AssemblyError {
            path: path.to_path_buf(),
            property: None,
            message: message.into(),
            fix: fix.into(),
        }
    }

    /// An output that is not what `cairn synth` writes: the fix is to point at one.
    pub(crate) fn not_written_by_synth(path: &Path, message: impl Into<String>) -> Self {
        Self::new(path, message, FIX_WRITE)
    }

    pub(crate) fn property(mut self, property: impl Into<String>) -> Self {
        self.property = Some(property.into());
        self
    }
}

impl fmt::Display for AssemblyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path.display())?;
        if let Some(property) = &self.property {
            write!(f, "{property}: ")?;
        }
        write!(f, "{}\n  fix: {}", self.message, self.fix)
    }
}

impl std::error::Error for AssemblyError {}
