//! Command failures and their exit codes: 0 ok, 1 failure, 2 bad input, 3 drift detection unavailable, 130 Ctrl-C.
//!
//! Each variant says what went wrong; its `Display` is the message alone. Whether the
//! printed line starts with `error: ` and which exit code ends the process are decided
//! here, by the variant ([`CliError::report`], [`CliError::exit_code`]), and printed once,
//! by the toolkit's `main`.

use std::fmt;

use crate::aws::AwsError;

/// Exit code of a command stopped by Ctrl-C (128 + SIGINT, like a shell).
pub const INTERRUPTED_EXIT: u8 = 130;
/// Exit code when the endpoint cannot detect drift (a local emulator).
pub const DRIFT_UNSUPPORTED_EXIT: u8 = 3;

/// What ends a command unsuccessfully.
#[derive(Debug)]
pub enum CliError {
    /// The user's input is wrong (arguments, environment names, Guard rules, a synthesis
    /// directory): exit 2.
    BadInput(String),
    /// An environment file cannot be read or is wrong: exit 2.
    Config(cairn_core::config::ConfigError),
    /// Synthesis refuses what the application's code and environment files describe (a
    /// construct's props, a reference, a limit): exit 2, like an environment file's error.
    Synthesis(cairn_core::Errors),
    /// The policy checks could not look at a synthesized template: exit 1. `then` is the
    /// line that says what it means for the command.
    ChecksBroken {
        /// Why the checks could not run.
        errors: cairn_core::Errors,
        /// What it means for the command.
        then: &'static str,
    },
    /// Policy checks found errors (their findings were printed with their severity): exit 1,
    /// the summary printed as is.
    ChecksFailed(String),
    /// An AWS call failed: exit 1.
    Aws(AwsError),
    /// The endpoint cannot detect drift (local emulators lack it): exit 3.
    DriftUnsupported(AwsError),
    /// A step of the command failed, or a gate refuses to go on (a failed deployment, a
    /// parity or blocking-change gate, drift found, a file that cannot be written): exit 1.
    Failed(String),
    /// The user did not approve or confirm at a prompt: exit 1, printed as is.
    Declined(String),
    /// Ctrl-C stopped the command: exit 130, printed as is (it says what was done and what not).
    Interrupted(String),
    /// `diff --fail-on` gates that tripped, one line each: exit 1, printed as is.
    FailOn(Vec<String>),
    /// JSON output could not be written: exit 1, printed as is.
    Json(serde_json::Error),
    /// Another error with what it means for the rest of the run appended (`note` starts
    /// with its own line break): printed and ended like `error`.
    Noted {
        /// The error.
        error: Box<CliError>,
        /// What it means for the rest of the run.
        note: String,
    },
}

impl CliError {
    /// This error with `note` appended to its message (e.g. which stacks were not deployed).
    pub fn noted(self, note: impl Into<String>) -> Self {
        CliError::Noted {
            error: Box::new(self),
            note: note.into(),
        }
    }

    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Noted { error, .. } => error.exit_code(),
            CliError::BadInput(_) | CliError::Config(_) | CliError::Synthesis(_) => 2,
            CliError::DriftUnsupported(_) => DRIFT_UNSUPPORTED_EXIT,
            CliError::Interrupted(_) => INTERRUPTED_EXIT,
            CliError::ChecksBroken { .. }
            | CliError::ChecksFailed(_)
            | CliError::Aws(_)
            | CliError::Failed(_)
            | CliError::Declined(_)
            | CliError::FailOn(_)
            | CliError::Json(_) => 1,
        }
    }

    /// What goes to stderr: the message, with `error: ` in front for the variants that are
    /// errors (the others print their own first words: a summary, `not approved`, `stopped`).
    pub fn report(&self) -> String {
        let prefixed = match self {
            CliError::Noted { error, note } => return format!("{}{note}", error.report()),
            // Each synthesis error is on its own `error: ` line; none, none.
            CliError::Synthesis(errors) | CliError::ChecksBroken { errors, .. } => !errors.0.is_empty(),
            CliError::BadInput(_) | CliError::Config(_) | CliError::Aws(_) | CliError::DriftUnsupported(_) | CliError::Failed(_) => true,
            CliError::ChecksFailed(_) | CliError::Declined(_) | CliError::Interrupted(_) | CliError::FailOn(_) | CliError::Json(_) => false,
        };
        if prefixed {
            format!("error: {self}")
        } else {
            self.to_string()
        }
    }
}

/// Errors after the first, each on its own `error: ` line (the first one's prefix is the report's).
fn write_errors(f: &mut fmt::Formatter<'_>, errors: &cairn_core::Errors) -> fmt::Result {
    for (i, e) in errors.0.iter().enumerate() {
        if i > 0 {
            f.write_str("\nerror: ")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::BadInput(m) | CliError::ChecksFailed(m) | CliError::Failed(m) | CliError::Declined(m) | CliError::Interrupted(m) => {
                f.write_str(m)
            }
            CliError::Config(e) => write!(f, "{e}"),
            CliError::Synthesis(errors) => {
                write_errors(f, errors)?;
                f.write_str("\nsynthesis failed: nothing was written")
            }
            CliError::ChecksBroken { errors, then } => {
                write_errors(f, errors)?;
                write!(f, "\n{then}")
            }
            CliError::Aws(e) => write!(f, "{e}"),
            CliError::DriftUnsupported(e) => write!(
                f,
                "{e}: drift detection needs AWS CloudFormation itself, local emulators such as moto \
                 lack it; run `cairn drift` against AWS"
            ),
            CliError::FailOn(tripped) => f.write_str(&tripped.join("\n")),
            CliError::Json(e) => write!(f, "{e}"),
            CliError::Noted { error, note } => write!(f, "{error}{note}"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<cairn_core::config::ConfigError> for CliError {
    fn from(e: cairn_core::config::ConfigError) -> Self {
        CliError::Config(e)
    }
}

impl From<cairn_core::Errors> for CliError {
    fn from(e: cairn_core::Errors) -> Self {
        CliError::Synthesis(e)
    }
}

impl From<AwsError> for CliError {
    fn from(e: AwsError) -> Self {
        CliError::Aws(e)
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::Json(e)
    }
}

/// The toolkit's result type.
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
        assert!(e.report().contains("dev/data/Database: instance_class"), "{e}");
    }

    /// Every synthesis error keeps its own `error: ` line, the prefix is not doubled, and
    /// the last line says nothing was written (what `Errors` printed before this type).
    #[test]
    fn synthesis_errors_print_one_error_line_each() {
        let errors = cairn_core::Errors(vec![
            cairn_core::Error::new("first").at("dev/a"),
            cairn_core::Error::new("second").at("dev/b").fix("do this"),
        ]);
        let expected = format!("{errors}\nsynthesis failed: nothing was written");
        assert_eq!(CliError::Synthesis(errors).report(), expected);
    }

    #[test]
    fn only_errors_get_the_prefix_and_each_variant_its_exit_code() {
        let cases = [
            (
                CliError::BadInput("unknown environment `qa`".into()),
                "error: unknown environment `qa`",
                2,
            ),
            (CliError::Failed("deploying x failed".into()), "error: deploying x failed", 1),
            (
                CliError::ChecksFailed("policy checks failed: 1 error(s) in dev".into()),
                "policy checks failed: 1 error(s) in dev",
                1,
            ),
            (
                CliError::Declined("not approved: nothing was changed".into()),
                "not approved: nothing was changed",
                1,
            ),
            (
                CliError::Interrupted("stopped (Ctrl-C)\nresume with `x`".into()),
                "stopped (Ctrl-C)\nresume with `x`",
                130,
            ),
            (CliError::FailOn(vec!["diff: a".into(), "diff: b".into()]), "diff: a\ndiff: b", 1),
            (
                CliError::Aws(AwsError::new(crate::aws::AwsErrorKind::Other, "boom")),
                "error: boom",
                1,
            ),
        ];
        for (e, printed, code) in cases {
            assert_eq!(e.report(), printed);
            assert_eq!(e.exit_code(), code, "{printed}");
        }
    }
}
