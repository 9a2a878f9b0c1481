//! What a deploy or destroy says when Ctrl-C stops it: what it was doing, which stacks
//! were done, which one CloudFormation is still changing, which were not touched, and
//! the command that picks up where it stopped (none when every stack was finished).

use super::error::DeployError;
use super::plan::Hints;

/// The state of an environment's stacks when Ctrl-C stopped a run.
pub struct Stopped<'a> {
    /// What happened, one sentence.
    pub what: String,
    /// The word for a finished stack: `deployed`, `deleted`.
    pub done_word: &'a str,
    /// The command that carries on with the stacks not finished (see [`super::resume`]).
    pub resume: String,
    /// The stacks done, each with a note if it needs one (`shop-dev-network (no changes)`).
    pub done: Vec<String>,
    /// The stack CloudFormation is still changing (cairn stopped waiting for it).
    pub running: Option<&'a str>,
    pub not_done: Vec<&'a str>,
}

impl Stopped<'_> {
    /// The error that ends the command: exit code 130, one line per group.
    pub fn into_error(self, hints: &Hints) -> DeployError {
        let list = |v: &[&str]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        let done: Vec<&str> = self.done.iter().map(String::as_str).collect();
        if self.running.is_none() && self.not_done.is_empty() {
            // Ctrl-C came during the last stack, which was finished: nothing to resume.
            return DeployError::Interrupted(format!(
                "Ctrl-C noticed after the last stack had finished: the run completed, nothing to resume\n{}: {}",
                self.done_word,
                list(&done)
            ));
        }
        let mut m = format!("{}\n{}: {}", self.what, self.done_word, list(&done));
        if let Some(r) = self.running {
            m.push_str(&format!(
                "\nstill in progress: {r} (CloudFormation carries on without cairn; follow it with `{}`)",
                hints.watch
            ));
        }
        m.push_str(&format!("\nnot {}: {}", self.done_word, list(&self.not_done)));
        let when = if self.running.is_some() { " once it has finished" } else { "" };
        m.push_str(&format!("\nresume with `{}`{when}", self.resume));
        DeployError::Interrupted(m)
    }
}
