//! Command failures and their exit codes: 0 ok, 1 failure, 2 bad input.

use std::fmt;

/// Exit code of a failed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// Something went wrong (synthesis error, AWS error, failed deployment).
    Failure = 1,
    /// The user's input is wrong (arguments, environment files).
    BadInput = 2,
}

/// A command failure: a readable message and its exit code.
#[derive(Debug)]
pub struct CliError {
    pub kind: ExitKind,
    /// Exit code to use instead of the kind's (e.g. diff's `--fail-on`), if any.
    pub code: Option<u8>,
    pub message: String,
}

impl CliError {
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            kind: ExitKind::Failure,
            code: None,
            message: message.into(),
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        CliError {
            kind: ExitKind::BadInput,
            code: None,
            message: message.into(),
        }
    }

    /// Exit with `code` after printing `message` (empty: print nothing).
    pub fn with_code(code: u8, message: impl Into<String>) -> Self {
        CliError {
            kind: ExitKind::Failure,
            code: Some(code),
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.code.unwrap_or(self.kind as u8)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<cairn_core::config::ConfigError> for CliError {
    fn from(e: cairn_core::config::ConfigError) -> Self {
        CliError::bad_input(format!("error: {e}"))
    }
}

impl From<cairn_core::Errors> for CliError {
    fn from(e: cairn_core::Errors) -> Self {
        CliError::failure(format!("{e}\nsynthesis failed: nothing was written"))
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;
