//! Writing a synthesis to disk: `<out>/<env>/<stack>.template.json` plus
//! `<out>/<env>/manifest.json`. Everything is written to temporary directories
//! first and renamed into place only when every environment succeeded, so a
//! failed synthesis never leaves partial output.

use std::io;
use std::path::{Path, PathBuf};

use cairn_core::EnvArtifact;

use crate::manifest::{Manifest, MANIFEST_FILE};

/// Writes environments under `out`, replacing each `<out>/<env>` only if all were written.
pub fn write_environments(out: &Path, envs: &[(&EnvArtifact, Manifest)]) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    let pid = std::process::id();
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| {
        for (env, manifest) in envs {
            let tmp = out.join(format!(".tmp-{}-{pid}", env.name()));
            if tmp.exists() {
                std::fs::remove_dir_all(&tmp)?;
            }
            std::fs::create_dir_all(&tmp)?;
            staged.push((tmp.clone(), out.join(env.name())));
            for stack in &env.stacks {
                std::fs::write(tmp.join(stack.file_name()), &stack.body)?;
            }
            let text = manifest.to_text().map_err(io::Error::other)?;
            std::fs::write(tmp.join(MANIFEST_FILE), text)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tmp, _) in &staged {
            let _ = std::fs::remove_dir_all(tmp);
        }
        return Err(e);
    }
    let mut written = Vec::new();
    for (tmp, dest) in staged {
        if dest.exists() {
            let old = out.join(format!(".old-{}-{pid}", dest.file_name().and_then(|n| n.to_str()).unwrap_or("env")));
            std::fs::rename(&dest, &old)?;
            std::fs::rename(&tmp, &dest)?;
            std::fs::remove_dir_all(&old)?;
        } else {
            std::fs::rename(&tmp, &dest)?;
        }
        written.push(dest);
    }
    Ok(written)
}
