//! Command failures and their exit codes: 0 ok, 1 failure, 2 bad input, 3 drift detection unavailable, 130 Ctrl-C.

use std::fmt;

/// Exit code of a failed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// Something went wrong (AWS error, failed deployment, policy checks that fail).
    Failure = 1,
    /// The user's input is wrong (arguments, environment files, construct props or
    /// references that synthesis refuses).
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

/// Synthesis refuses what the application's code and environment files describe (a
/// construct's props, a reference, a limit): bad input, like an environment file's error.
impl From<cairn_core::Errors> for CliError {
    fn from(e: cairn_core::Errors) -> Self {
        CliError::bad_input(format!("{e}\nsynthesis failed: nothing was written"))
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_construct_refusing_its_props_is_bad_input() {
        let refused = cairn_core::Error::new("`db.t3.mega` is not an instance class RDS for PostgreSQL offers")
            .at("dev/data/Database")
            .property("instance_class");
        let e = CliError::from(cairn_core::Errors::from(refused));
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.message.contains("dev/data/Database: instance_class"), "{e}");
    }
}
