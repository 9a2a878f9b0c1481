//! Terminal output: colors only on a terminal (and never with NO_COLOR); the styles
//! and the table layout themselves are `cairn_core::ui`'s, shared with the renderers.

use std::io::IsTerminal;

/// Whether stdout is a terminal that may get colors.
pub fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Whether stdin and stderr are a terminal (a person can answer a prompt).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The styles every renderer shares (see `cairn_core::ui`).
pub use cairn_core::ui::Style;
