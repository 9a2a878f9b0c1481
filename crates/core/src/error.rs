//! Synthesis errors: each names the construct path, the property and the fix.

use std::fmt;

/// One problem found while building or synthesizing the construct tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Full construct path (`<env>/<stack>/<construct path>`), when one applies.
    pub path: Option<String>,
    /// The property (or prop/field) at fault, when one applies.
    pub property: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: Option<String>,
}

impl Error {
    /// An error with this message; add where and how to fix it with the builders below.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            path: None,
            property: None,
            message: message.into(),
            fix: None,
        }
    }

    /// The construct path at fault.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The property at fault.
    pub fn property(mut self, property: impl Into<String>) -> Self {
        self.property = Some(property.into());
        self
    }

    /// How to fix it.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, &self.property) {
            (Some(p), Some(prop)) => write!(f, "{p}: {prop}: {}", self.message)?,
            (Some(p), None) => write!(f, "{p}: {}", self.message)?,
            (None, Some(prop)) => write!(f, "{prop}: {}", self.message)?,
            (None, None) => write!(f, "{}", self.message)?,
        }
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Every problem synthesis found, in the order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

impl From<Error> for Errors {
    fn from(e: Error) -> Self {
        Errors(vec![e])
    }
}

/// cairn's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
