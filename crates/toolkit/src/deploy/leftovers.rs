//! What a local emulator (moto) kept of stacks `cairn destroy` deleted, so that `status`
//! can say so after the stack's record is gone. Kept in `.local-cloud/leftovers.json`
//! (next to `make local-cloud`'s state; never in out/), per endpoint and stack.
//!
//! An entry is dropped when the stack is deployed again, or when the emulator shows it was
//! restarted (its leftovers go with the restart): it no longer knows the deleted stack by
//! its id (moto answers DescribeStacks of a deleted stack's id with DELETE_COMPLETE until
//! restarted) nor holds any of the exports the stack had (moto keeps those of a stack whose
//! deletion failed half-way, and forgets that stack's id).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{DeployError, DeployResult};
use crate::aws::CloudFormation;

/// Where the entries are kept, relative to the directory cairn runs in (the project's).
pub const LEFTOVERS_FILE: &str = ".local-cloud/leftovers.json";

/// Names another folder for the ledger (tests keep their own, so a test run leaves nothing
/// in the project's `.local-cloud/`).
pub const LOCAL_CLOUD_DIR_VAR: &str = "CAIRN_LOCAL_CLOUD_DIR";

/// The ledger file: `$CAIRN_LOCAL_CLOUD_DIR/leftovers.json`, or [`LEFTOVERS_FILE`].
fn ledger_path() -> PathBuf {
    match std::env::var_os(LOCAL_CLOUD_DIR_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("leftovers.json"),
        _ => PathBuf::from(LEFTOVERS_FILE),
    }
}

/// The ledger of the endpoint cairn talks to, when it is moto (the one emulator whose
/// leftovers cairn knows); `None` for AWS and other endpoints.
pub fn for_endpoint(clients: &crate::aws::AwsClients) -> Option<Ledger> {
    match (clients.target.emulator(), clients.endpoint()) {
        (Some(crate::aws::Emulator::Moto), Some(endpoint)) => Some(Ledger::new(ledger_path(), endpoint)),
        _ => None,
    }
}

/// One deleted stack's leftovers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Leftover {
    pub endpoint: String,
    pub stack: String,
    /// The deleted stack's id (ARN), to tell whether the emulator was restarted.
    pub stack_id: String,
    /// `AWS::EC2::VPC vpc-1`, one per resource kept.
    pub resources: Vec<String>,
    /// The stack's exports (name, value) when it was deleted.
    #[serde(default)]
    pub exports: Vec<(String, String)>,
}

/// The leftovers file of one endpoint.
pub struct Ledger {
    path: PathBuf,
    endpoint: String,
}

impl Ledger {
    pub fn new(path: impl Into<PathBuf>, endpoint: &str) -> Self {
        Ledger {
            path: path.into(),
            endpoint: endpoint.to_string(),
        }
    }

    /// Records what `stack` left (replacing an earlier entry).
    pub fn record(&self, stack: &str, stack_id: &str, resources: Vec<String>, exports: Vec<(String, String)>) -> DeployResult<()> {
        let mut all = self.load()?;
        all.retain(|l| !(l.endpoint == self.endpoint && l.stack == stack));
        all.push(Leftover {
            endpoint: self.endpoint.clone(),
            stack: stack.to_string(),
            stack_id: stack_id.to_string(),
            resources,
            exports,
        });
        self.save(&all)
    }

    /// Forgets `stack`'s entry (it was deployed again, or the emulator restarted).
    pub fn clear(&self, stack: &str) -> DeployResult<()> {
        let mut all = self.load()?;
        let before = all.len();
        all.retain(|l| !(l.endpoint == self.endpoint && l.stack == stack));
        if all.len() == before {
            return Ok(());
        }
        self.save(&all)
    }

    /// `stack`'s entry if the emulator still holds what it names; a stale entry is removed.
    pub fn current(&self, cfn: &dyn CloudFormation, stack: &str) -> DeployResult<Option<Leftover>> {
        let Some(entry) = self.load()?.into_iter().find(|l| l.endpoint == self.endpoint && l.stack == stack) else {
            return Ok(None);
        };
        let id_known = matches!(cfn.describe_stack(&entry.stack_id), Ok(Some(_)));
        let exports_held = !entry.exports.is_empty()
            && cfn
                .list_exports()
                .map(|held| held.iter().any(|h| entry.exports.contains(h)))
                .unwrap_or(false);
        if id_known || exports_held {
            return Ok(Some(entry));
        }
        self.clear(stack)?;
        Ok(None)
    }

    fn load(&self) -> DeployResult<Vec<Leftover>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(file_error(&self.path, &e.to_string())),
        };
        serde_json::from_str(&text).map_err(|e| file_error(&self.path, &format!("not a leftovers list ({e})")))
    }

    fn save(&self, all: &[Leftover]) -> DeployResult<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| file_error(&self.path, &e.to_string()))?;
        }
        let text = serde_json::to_string_pretty(all).map_err(|e| file_error(&self.path, &e.to_string()))? + "\n";
        std::fs::write(&self.path, text).map_err(|e| file_error(&self.path, &e.to_string()))
    }
}

fn file_error(path: &Path, why: &str) -> DeployError {
    DeployError::Failed(format!(
        "{}: {why}; it only records what a local emulator kept after `cairn destroy`: delete it to start over",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::FakeCloudFormation;

    #[test]
    fn an_entry_lasts_while_the_emulator_knows_the_deleted_stack_and_is_cleared_on_redeploy() {
        let dir = std::env::temp_dir().join(format!("cairn-leftovers-{}", std::process::id()));
        let ledger = Ledger::new(dir.join("leftovers.json"), "http://127.0.0.1:5000");
        let cfn = FakeCloudFormation::new();
        // moto answers for a deleted stack's id until restarted; the fake for a live one.
        cfn.add_stack("shop-dev-network", "CREATE_COMPLETE", &serde_json::json!({}));
        let id = cfn.describe_stack("shop-dev-network").unwrap().unwrap().id;
        ledger
            .record("shop-dev-network", &id, vec!["AWS::EC2::VPC vpc-1".into()], vec![])
            .unwrap();
        let other = Ledger::new(dir.join("leftovers.json"), "http://127.0.0.1:5001");
        assert_eq!(other.current(&cfn, "shop-dev-network").unwrap(), None, "another endpoint's");
        assert_eq!(
            ledger.current(&cfn, "shop-dev-network").unwrap().map(|l| l.resources),
            Some(vec!["AWS::EC2::VPC vpc-1".to_string()])
        );
        // A stack whose id is forgotten but whose exports are still held: kept.
        let exports = vec![("shop-dev-network:Vpc".to_string(), "vpc-1".to_string())];
        ledger
            .record("shop-dev-data", "arn:gone", vec!["AWS::EC2::VPC vpc-1".into()], exports)
            .unwrap();
        let held = FakeCloudFormation::new();
        held.state
            .borrow_mut()
            .registry
            .insert("shop-dev-network:Vpc".into(), "vpc-1".into());
        assert!(ledger.current(&held, "shop-dev-data").unwrap().is_some());
        // A restarted emulator knows neither: the entries go.
        let restarted = FakeCloudFormation::new();
        assert_eq!(ledger.current(&restarted, "shop-dev-data").unwrap(), None);
        assert_eq!(ledger.current(&restarted, "shop-dev-network").unwrap(), None);
        assert_eq!(ledger.current(&cfn, "shop-dev-network").unwrap(), None, "removed for good");
        ledger.record("shop-dev-network", &id, vec![], vec![]).unwrap();
        ledger.clear("shop-dev-network").unwrap();
        assert_eq!(ledger.current(&cfn, "shop-dev-network").unwrap(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
