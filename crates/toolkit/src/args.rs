//! Command-line arguments several commands share (each command's own are in its
//! module under `commands/`).
//!
//! - `--format text|json` of the commands that print data (`ls`, `status`, `outputs`),
//!   with the old `--json` flag kept as a hidden, deprecated spelling of `--format json`.
//! - `--format text|markdown|json` of the reports of `parity` and `drift`.

use clap::{Args, ValueEnum};

/// Text for people, JSON for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct FormatArg {
    /// Output format: text for people, json for scripts.
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextOrJson,
    /// Deprecated spelling of `--format json`.
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
}

impl FormatArg {
    /// The chosen format; warns on stderr when the deprecated `--json` chose it.
    pub fn resolve(&self) -> TextOrJson {
        if self.json {
            eprintln!("warning: --json is deprecated; use --format json");
            return TextOrJson::Json;
        }
        self.format
    }
}

/// Output format of a report (`parity`, `drift`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Markdown,
    Json,
}
