//! Writing a synthesis to disk: `<out>/<env>/<stack>.template.json` plus
//! `<out>/<env>/manifest.json`. Everything is written to temporary directories
//! first and renamed into place only when every environment succeeded, so a
//! failed synthesis never leaves partial output.

use std::io;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value as Json};

use crate::synth::EnvArtifact;

/// File name of the per-environment manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Version of the manifest's layout.
pub const MANIFEST_VERSION: u32 = 1;

impl EnvArtifact {
    /// The manifest: stacks in deploy order, dependencies, sizes, counts. `extra`
    /// holds sections other parts of cairn add (policy findings, parity sources).
    pub fn manifest(&self, extra: Map<String, Json>) -> Json {
        let stacks: Vec<Json> = self
            .stacks
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "name": s.name,
                    "template": s.file_name(),
                    "dependsOn": s.depends_on,
                    "resourceCount": s.resource_count(),
                    "outputCount": s.output_count(),
                    // The file as written (pretty) and as deploy sends it (compact JSON):
                    // CloudFormation's 51,200-byte inline limit applies to the latter.
                    "templateBytes": s.body.len(),
                    "deployBytes": s.deploy_body().len(),
                    "needsUpload": s.needs_upload(),
                    "terminationProtection": self.settings.retain_data,
                    "constructPaths": s.paths,
                    "suppressions": s.suppressions.iter().map(|x| json!({"rule": x.rule, "path": format!("{}/{}", s.id, x.path), "reason": x.reason})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut m = Map::new();
        m.insert("version".into(), json!(MANIFEST_VERSION));
        m.insert("app".into(), json!(self.app));
        m.insert("environment".into(), json!(self.settings.name));
        m.insert("account".into(), json!(self.settings.account));
        m.insert("region".into(), json!(self.settings.region));
        m.insert("retainData".into(), json!(self.settings.retain_data));
        m.insert("requireApproval".into(), json!(self.settings.require_approval));
        m.insert(
            "deployOrder".into(),
            json!(self.stacks.iter().map(|s| s.name.clone()).collect::<Vec<_>>()),
        );
        m.insert("stacks".into(), Json::Array(stacks));
        m.insert(
            "criticalAlarms".into(),
            Json::Array(self.critical_alarms().into_iter().map(|a| json!(a)).collect()),
        );
        m.extend(extra);
        Json::Object(m)
    }
}

/// A critical alarm of an environment: deploy passes these as rollback triggers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CriticalAlarm {
    pub stack: String,
    pub logical_id: String,
    pub path: String,
    /// The alarm's name once deployed (`AlarmName` with the stack name filled in).
    pub alarm_name: String,
}

impl EnvArtifact {
    /// Alarms marked `cairn:alarm-severity = critical`, in deploy order.
    pub fn critical_alarms(&self) -> Vec<CriticalAlarm> {
        let mut alarms = Vec::new();
        for stack in &self.stacks {
            let Some(resources) = stack.template.get("Resources").and_then(Json::as_object) else {
                continue;
            };
            for (id, r) in resources {
                if r["Type"] != "AWS::CloudWatch::Alarm" || r["Metadata"]["cairn:alarm-severity"] != "critical" {
                    continue;
                }
                let name = match &r["Properties"]["AlarmName"] {
                    Json::String(s) => s.clone(),
                    Json::Object(o) => o
                        .get("Fn::Sub")
                        .and_then(Json::as_str)
                        .map(|s| s.replace("${AWS::StackName}", &stack.name))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                if name.is_empty() {
                    continue;
                }
                let path = r["Metadata"]["cairn:path"].as_str().unwrap_or_default().to_string();
                alarms.push(CriticalAlarm {
                    stack: stack.name.clone(),
                    logical_id: id.clone(),
                    path,
                    alarm_name: name,
                });
            }
        }
        alarms
    }
}

/// Writes environments under `out`, replacing each `<out>/<env>` only if all were written.
pub fn write_environments(out: &Path, envs: &[(&EnvArtifact, Json)]) -> io::Result<Vec<PathBuf>> {
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
            let text = serde_json::to_string_pretty(manifest).map_err(io::Error::other)? + "\n";
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
