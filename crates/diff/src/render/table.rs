//! Box-drawn text tables with multi-line cells.

/// Renders `header` and `rows` (each cell one or more lines) as a box-drawn table.
pub(crate) fn boxed(header: &[&str], rows: &[Vec<Vec<String>>]) -> Vec<String> {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            for line in cell {
                widths[i] = widths[i].max(line.chars().count());
            }
        }
    }
    let rule = |l: &str, m: &str, r: &str| {
        let parts: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
        format!("{l}{}{r}", parts.join(m))
    };
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!(" {c}{} ", " ".repeat(w - c.chars().count())))
            .collect();
        format!("│{}│", parts.join("│"))
    };
    let mut out = vec![rule("┌", "┬", "┐"), line(header.to_vec())];
    for row in rows {
        out.push(rule("├", "┼", "┤"));
        let height = row.iter().map(Vec::len).max().unwrap_or(0).max(1);
        for k in 0..height {
            let cells: Vec<&str> = (0..cols)
                .map(|i| row.get(i).and_then(|c| c.get(k)).map(String::as_str).unwrap_or(""))
                .collect();
            out.push(line(cells));
        }
    }
    out.push(rule("└", "┴", "┘"));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn multi_line_cells_align() {
        let t = super::boxed(&["A", "Bee"], &[vec![vec!["x".into(), "yy".into()], vec!["z".into()]]]);
        assert_eq!(
            t,
            [
                "┌────┬─────┐",
                "│ A  │ Bee │",
                "├────┼─────┤",
                "│ x  │ z   │",
                "│ yy │     │",
                "└────┴─────┘"
            ]
        );
    }
}
