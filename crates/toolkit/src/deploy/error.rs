//! How a deploy or destroy run ends when it does not succeed: the engine's own error,
//! turned into the command's [`CliError`] at the command's edge.

use std::fmt;

use crate::aws::AwsError;
use crate::error::CliError;

/// A failed, refused or interrupted run. `Display` is the message alone (no `error: `).
#[derive(Debug)]
pub enum DeployError {
    /// A stack operation failed, or cairn refuses to go on (a stack in the way, a change
    /// set another run made, a change the service would refuse): exit 1.
    Failed(String),
    /// The run cannot do what it was asked with this environment (`--verify` without a
    /// load balancer URL): exit 2.
    BadInput(String),
    /// The change set was not approved at the prompt: nothing was changed, exit 1.
    Declined(String),
    /// Ctrl-C stopped the run: exit 130; the message says what was done and how to resume.
    Interrupted(String),
    /// An AWS call failed: exit 1.
    Aws(AwsError),
    /// A step the engine shares with other commands failed (the diff against the deployed
    /// templates, the async runtime).
    Step(Box<CliError>),
    /// Another error with what it means for the rest of the run appended (`note` starts
    /// with its own line break).
    Noted {
        /// The error.
        error: Box<DeployError>,
        /// What it means for the rest of the run.
        note: String,
    },
}

/// The deploy engine's result type.
pub type DeployResult<T = ()> = Result<T, DeployError>;

impl DeployError {
    /// This error with `note` appended to its message (e.g. which stacks were not deployed).
    pub fn noted(self, note: impl Into<String>) -> Self {
        DeployError::Noted {
            error: Box::new(self),
            note: note.into(),
        }
    }
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::Failed(m) | DeployError::BadInput(m) | DeployError::Declined(m) | DeployError::Interrupted(m) => f.write_str(m),
            DeployError::Aws(e) => write!(f, "{e}"),
            DeployError::Step(e) => write!(f, "{e}"),
            DeployError::Noted { error, note } => write!(f, "{error}{note}"),
        }
    }
}

impl std::error::Error for DeployError {}

impl From<AwsError> for DeployError {
    fn from(e: AwsError) -> Self {
        DeployError::Aws(e)
    }
}

impl From<CliError> for DeployError {
    fn from(e: CliError) -> Self {
        DeployError::Step(Box::new(e))
    }
}

impl From<DeployError> for CliError {
    fn from(e: DeployError) -> Self {
        match e {
            DeployError::Failed(m) => CliError::Failed(m),
            DeployError::BadInput(m) => CliError::BadInput(m),
            DeployError::Declined(m) => CliError::Declined(m),
            DeployError::Interrupted(m) => CliError::Interrupted(m),
            DeployError::Aws(e) => CliError::Aws(e),
            DeployError::Step(e) => *e,
            DeployError::Noted { error, note } => CliError::from(*error).noted(note),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsErrorKind;

    /// Each engine error becomes the CLI error that prints it as before, with its exit code.
    #[test]
    fn the_cli_error_a_deploy_error_becomes_prints_and_exits_the_same() {
        let cases = vec![
            DeployError::Failed("creating x failed".into()),
            DeployError::BadInput("--verify needs a URL".into()),
            DeployError::Declined("not approved: nothing was changed in x".into()),
            DeployError::Interrupted("stopped (Ctrl-C)\nresume with `cairn deploy dev`".into()),
            DeployError::Aws(AwsError::new(AwsErrorKind::Throttled, "Rate exceeded")),
            DeployError::from(CliError::BadInput("unknown stack".into())),
            DeployError::Failed("updating x failed".into()).noted("\nnot deployed: y"),
        ];
        let expected = [
            ("error: creating x failed", 1),
            ("error: --verify needs a URL", 2),
            ("not approved: nothing was changed in x", 1),
            ("stopped (Ctrl-C)\nresume with `cairn deploy dev`", 130),
            ("error: Rate exceeded", 1),
            ("error: unknown stack", 2),
            ("error: updating x failed\nnot deployed: y", 1),
        ];
        for (e, (printed, code)) in cases.into_iter().map(CliError::from).zip(expected) {
            assert_eq!((e.report(), e.exit_code()), (printed.to_string(), code));
        }
    }
}
