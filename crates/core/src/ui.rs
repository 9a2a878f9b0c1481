//! Terminal text the renderers share: ANSI styles that are a no-op without color, and
//! the column layout of cairn's text tables.
//!
//! Pure formatting: whether to use color is the caller's decision (the toolkit asks
//! only on a terminal, never with `NO_COLOR`).

/// ANSI styling that is a no-op when `enabled` is false.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether styles are applied (the caller decides: a terminal, no `NO_COLOR`).
    pub enabled: bool,
}

impl Style {
    /// Styles that apply only when `enabled`.
    pub fn new(enabled: bool) -> Self {
        Style { enabled }
    }

    fn wrap(&self, code: &str, s: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// Red (errors).
    pub fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    /// Bold red (blocking problems).
    pub fn bold_red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    /// Green (success, additions).
    pub fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    /// Yellow (warnings).
    pub fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    /// Dim (details).
    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

/// Columns two spaces apart after an indent, each as wide as its widest cell (in
/// characters); the last column is not padded.
#[derive(Debug, Clone)]
pub struct Columns {
    indent: String,
    widths: Vec<usize>,
}

impl Columns {
    /// Columns wide enough for every row of `rows` (the header included).
    pub fn fit<'a>(indent: &str, rows: impl IntoIterator<Item = &'a [String]>) -> Self {
        let mut widths: Vec<usize> = Vec::new();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                let w = cell.chars().count();
                match widths.get_mut(i) {
                    Some(max) => *max = (*max).max(w),
                    None => widths.push(w),
                }
            }
        }
        Columns {
            indent: indent.to_string(),
            widths,
        }
    }

    /// One row without its line break; `paint(column, padded cell)` styles each cell
    /// after padding (so color codes do not count towards widths).
    pub fn line(&self, cells: &[String], paint: &dyn Fn(usize, &str) -> String) -> String {
        let last = cells.len().saturating_sub(1);
        let mut out = self.indent.clone();
        for (i, c) in cells.iter().enumerate() {
            let padded = if i == last {
                c.clone()
            } else {
                let width = self.widths.get(i).copied().unwrap_or(0);
                format!("{c}{}", " ".repeat(width.saturating_sub(c.chars().count()) + 2))
            };
            out.push_str(&paint(i, &padded));
        }
        out
    }

    /// Where column `column` (from 0) starts, counted from the start of the line (for
    /// text under a row that lines up with one of its cells).
    pub fn offset_of_column(&self, column: usize) -> usize {
        self.indent.chars().count() + self.widths.iter().take(column).map(|w| w + 2).sum::<usize>()
    }
}

/// `header` and `rows` laid out as [`Columns`], one line each, trailing spaces trimmed;
/// `paint(row, column, padded cell)` styles the rows' cells (not the header's).
pub fn table(header: &[String], rows: &[Vec<String>], indent: &str, paint: &dyn Fn(usize, usize, &str) -> String) -> String {
    let columns = Columns::fit(indent, std::iter::once(header).chain(rows.iter().map(Vec::as_slice)));
    let mut out = columns.line(header, &|_, c| c.to_string()).trim_end().to_string() + "\n";
    for (r, row) in rows.iter().enumerate() {
        out.push_str(columns.line(row, &|i, c| paint(r, i, c)).trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn columns_are_as_wide_as_their_widest_cell_and_the_last_is_not_padded() {
        let t = table(
            &cells(&["ENV", "STATE"]),
            &[cells(&["production", "ok"]), cells(&["qa", ""])],
            "  ",
            &|_, _, c| c.to_string(),
        );
        assert_eq!(t, "  ENV         STATE\n  production  ok\n  qa\n");
    }

    #[test]
    fn paint_applies_after_padding() {
        let t = table(&cells(&["A", "B"]), &[cells(&["x", "y"])], "", &|_, col, c| {
            if col == 0 {
                Style::new(true).red(c)
            } else {
                c.to_string()
            }
        });
        assert_eq!(t, "A  B\n\x1b[31mx  \x1b[0my\n");
    }

    #[test]
    fn the_offset_of_a_column_counts_the_indent_and_the_gaps() {
        let c = Columns::fit("  ", [cells(&["abc", "de", "f"]).as_slice()]);
        assert_eq!(c.offset_of_column(2), 2 + 3 + 2 + 2 + 2);
        assert_eq!(c.line(&cells(&["a", "b", "c"]), &|_, s| s.to_string()), "  a    b   c");
    }

    #[test]
    fn styles_are_plain_text_without_color() {
        let s = Style::new(false);
        assert_eq!(s.bold_red("x") + &s.dim("y"), "xy");
        assert_eq!(Style::new(true).bold_red("x"), "\x1b[1;31mx\x1b[0m");
    }
}
