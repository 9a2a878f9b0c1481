//! This run's change sets: named so that runs never mistake each other's, prepared,
//! waited for, discarded when not executed; and the checks that refuse a stack another
//! run is changing.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cairn_core::StackArtifact;

use super::clock::format_duration;
use super::error::{DeployError, DeployResult};
use super::record;
use super::Deployer;
use crate::aws::templates::template_key;
use crate::aws::{ChangeSetInfo, ChangeSetType, CreatedChangeSet, StackInfo, TemplateSource};

impl Deployer<'_> {
    pub(super) fn template_source(
        &mut self,
        stack: &StackArtifact,
        keep: Option<&record::SynthesisRecord>,
    ) -> DeployResult<TemplateSource> {
        // The record goes with the template (see `record`): an unchanged stack keeps its
        // own, a new one carries this deploy's with the file's digest.
        let fresh;
        let record = match (&self.opts.record, keep) {
            (Some(_), Some(kept)) => Some(kept),
            (Some(base), None) => {
                fresh = record::SynthesisRecord {
                    digest: cairn_assembly::sha256_hex(stack.body.as_bytes()),
                    ..base.clone()
                };
                Some(&fresh)
            }
            (None, _) => None,
        };
        let sent = self.quirks.as_sent(&stack.template);
        let body = match (record, &sent) {
            // Sent exactly as synthesized: the compact text synthesis already made.
            (None, std::borrow::Cow::Borrowed(_)) => stack.deploy_body(),
            (None, std::borrow::Cow::Owned(sent)) => serde_json::to_string(sent).unwrap_or_else(|_| stack.deploy_body()),
            (Some(record), _) => serde_json::to_string(&record::with_record(&sent, record)).unwrap_or_else(|_| stack.deploy_body()),
        };
        if !self.opts.upload_all && body.len() <= cairn_core::template::limits::MAX_INLINE_BODY_BYTES {
            return Ok(TemplateSource::Body(body));
        }
        let (Some(store), Some(bucket)) = (self.store, self.opts.template_bucket.clone()) else {
            return Err(DeployError::Failed(format!(
                "{} needs a template bucket: pass --template-bucket or run `cairn bootstrap {}`",
                stack.name, self.opts.env
            )));
        };
        let key = template_key(&self.opts.app, &self.opts.env, &stack.name, &body);
        let url = store.upload(&bucket, &key, &body)?;
        self.console
            .line(&format!("  template ({} bytes) uploaded to s3://{bucket}/{key}", body.len()));
        Ok(TemplateSource::Url(url))
    }

    /// Waits until CloudFormation has prepared this run's change set. After a first
    /// Ctrl-C it keeps waiting, so that the change set can be deleted rather than left
    /// half-made; a second Ctrl-C stops the wait and says whether it could be deleted.
    pub(super) fn wait_change_set(
        &mut self,
        name: &str,
        created: &CreatedChangeSet,
        kind: ChangeSetType,
        deadline: Duration,
    ) -> DeployResult<ChangeSetInfo> {
        let mut delay = Duration::from_millis(500);
        let mut said = false;
        loop {
            let cs = self.cfn.describe_change_set(&created.id)?;
            match cs.status.as_str() {
                "CREATE_COMPLETE" | "FAILED" => return Ok(cs),
                s if s.starts_with("DELETE") => {
                    return Err(DeployError::Failed(format!(
                        "the change set {} was deleted ({s}) while cairn waited for it; nothing was changed",
                        created.id
                    )))
                }
                _ => {}
            }
            let presses = self.clock.interrupts();
            if presses >= 2 {
                let gone = self.discard(created, kind);
                return Err(DeployError::Interrupted(format!(
                    "stopped waiting (Ctrl-C twice) while CloudFormation prepared {name}'s change set ({}){gone}; nothing was executed",
                    cs.status
                )));
            }
            if presses == 1 && !said {
                said = true;
                self.console.line(&format!(
                    "  Ctrl-C: {name}'s change set will not be executed; cairn waits until CloudFormation has prepared it, \
                     deletes it and stops. Press Ctrl-C again to stop waiting"
                ));
            }
            if self.clock.now() >= deadline {
                let gone = self.discard_quietly(created, kind);
                return Err(DeployError::Failed(format!(
                    "the change set was not ready after {}; nothing was changed{gone}",
                    format_duration(self.opts.timeout)
                )));
            }
            self.clock.sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// Removes what this run's unexecuted change set left: the change set, and for a new
    /// stack the REVIEW_IN_PROGRESS stack it made, unless another change set waits on it.
    /// Says how it went, as the end of a sentence about the change set.
    pub(super) fn discard(&mut self, created: &CreatedChangeSet, kind: ChangeSetType) -> String {
        let others = self
            .cfn
            .list_change_sets(&created.stack_id)
            .map(|l| l.iter().any(|c| c.id != created.id && pending(c)))
            .unwrap_or(true);
        let whole_stack = kind == ChangeSetType::Create && !others;
        let result = if whole_stack {
            self.cfn.delete_stack(&created.stack_id)
        } else {
            self.cfn.delete_change_set(&created.id)
        };
        match result {
            Ok(()) if whole_stack => ": cairn deleted it and the empty stack it had made".to_string(),
            Ok(()) => ": cairn deleted it".to_string(),
            Err(e) => format!(
                ", which is left ({e}): delete it with `aws cloudformation delete-change-set --change-set-name {}`",
                created.id
            ),
        }
    }

    /// [`Self::discard`] where only a failure is worth saying.
    pub(super) fn discard_quietly(&mut self, created: &CreatedChangeSet, kind: ChangeSetType) -> String {
        let said = self.discard(created, kind);
        if said.starts_with(": cairn deleted") {
            String::new()
        } else {
            format!("; cairn could not delete its change set{said}")
        }
    }

    /// Refuses when the stack has a change set this run did not make that may still run:
    /// another deploy may be reviewing or executing it. Nothing is executed then; this
    /// run's own change set (`ours`) is deleted. Two runs that made their change sets at
    /// the same moment must not both refuse: once this run has its own, an unexecuted
    /// change set made later by another cairn run (its name sorts after ours: names start
    /// with the time they were made) does not block it. That run made its change set after
    /// ours existed, so its own check sees ours, sorting first, and refuses: exactly one of
    /// them proceeds (given one clock: runs on machines whose clocks differ are still kept
    /// apart by the check that the stack did not move).
    pub(super) fn refuse_foreign_change_sets(
        &mut self,
        stack_id: &str,
        name: &str,
        ours: Option<(&CreatedChangeSet, ChangeSetType)>,
    ) -> DeployResult<()> {
        let ours_id = ours.map(|(o, _)| o.id.clone());
        let later_run = |c: &crate::aws::ChangeSetSummary| {
            ours.is_some()
                && c.name.starts_with(RUN_PREFIX)
                && c.name.as_str() > self.change_set.as_str()
                && c.execution_status != "EXECUTE_IN_PROGRESS"
        };
        let foreign: Vec<crate::aws::ChangeSetSummary> = self
            .cfn
            .list_change_sets(stack_id)?
            .into_iter()
            .filter(|c| pending(c) && Some(&c.id) != ours_id.as_ref() && !later_run(c))
            .collect();
        if foreign.is_empty() {
            return Ok(());
        }
        let listed: Vec<String> = foreign
            .iter()
            .map(|c| format!("{} ({}, {})", c.name, c.status, c.execution_status))
            .collect();
        let delete: Vec<String> = foreign
            .iter()
            .map(|c| {
                format!(
                    "`aws cloudformation delete-change-set --stack-name {name} --change-set-name {}`",
                    c.name
                )
            })
            .collect();
        // Checked before this run looks at the stack's changes: say that it blocks anyway.
        let before_changes = if ours.is_none() {
            format!(" (checked before looking at {name}'s changes: it blocks this deploy even if {name} has none)")
        } else {
            String::new()
        };
        let gone = ours.map(|(o, kind)| self.discard_quietly(o, kind)).unwrap_or_default();
        Err(DeployError::Failed(format!(
            "{name} has a change set this deploy did not make: {}{before_changes}. Another deploy of this environment \
             may be reviewing or executing it, and cairn never executes another run's change set: nothing was changed in \
             {name}{gone}. Wait for that deploy to finish; if the change set is a leftover, delete it ({}) and deploy again",
            listed.join(", "),
            delete.join(", ")
        )))
    }

    /// Just before executing: refuses if the stack moved since this run read it (another
    /// deploy updated it, or is updating it: its status, update time or newest event
    /// changed) or another change set appeared on it.
    pub(super) fn refuse_concurrent_change(
        &mut self,
        name: &str,
        created: &CreatedChangeSet,
        kind: ChangeSetType,
        read: Option<&StackInfo>,
        last_seen_event: Option<&str>,
    ) -> DeployResult<()> {
        let now = self.cfn.describe_stack(&created.stack_id)?;
        let moved = match (kind, &now, read) {
            (_, None, _) => Some("deleted".to_string()),
            (ChangeSetType::Create, Some(i), _) if i.status != "REVIEW_IN_PROGRESS" => Some(i.status.clone()),
            // moto gives each CREATE change set a stack of its own: the name may now
            // resolve to another run's.
            (ChangeSetType::Create, Some(_), _) => match self.cfn.describe_stack(name)? {
                Some(i) if i.id != created.stack_id => Some(format!("{}, another run's stack of that name", i.status)),
                _ => None,
            },
            (ChangeSetType::Update, Some(i), Some(before)) => {
                let operated = self.newest_event(&created.stack_id)?.as_deref() != last_seen_event;
                (i.status != before.status || i.updated != before.updated || operated).then(|| i.status.clone())
            }
            (ChangeSetType::Update, Some(_), None) => None,
        };
        if let Some(status) = moved {
            let gone = self.discard_quietly(created, kind);
            return Err(DeployError::Failed(format!(
                "{name} changed while this deploy prepared its change set (it is now {status}): another deploy of this \
                 environment is running or just ran. Nothing was executed{gone}. Wait for it to finish (`{}`), then deploy again",
                self.opts.hints.watch
            )));
        }
        self.refuse_foreign_change_sets(&created.stack_id, name, Some((created, kind)))
    }
}

/// `cairn-<milliseconds since 1970>-<8 random hex digits>`: one name per run, so that
/// a change set of another run (or a leftover) is never mistaken for this run's.
pub(super) fn run_name() -> String {
    let ms = now_ms();
    // RandomState is seeded randomly for each instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(ms);
    h.write_u32(std::process::id());
    format!("{:08x}", h.finish() as u32)
}

/// A change set's name: the time it is made (ms, zero-padded, so names sort by creation
/// on one machine's clock), then the run's random part.
pub(super) fn change_set_name(run: &str) -> String {
    format!("{RUN_PREFIX}{:013}-{run}", now_ms())
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// How every run's change-set name starts; the time in milliseconds follows, zero-padded
/// so that names sort by time.
const RUN_PREFIX: &str = "cairn-";

/// A change set that may still be executed, or is being made: it blocks other runs.
fn pending(c: &crate::aws::ChangeSetSummary) -> bool {
    matches!(c.execution_status.as_str(), "AVAILABLE" | "EXECUTE_IN_PROGRESS")
        || matches!(c.status.as_str(), "CREATE_PENDING" | "CREATE_IN_PROGRESS")
}
