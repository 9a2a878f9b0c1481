//! The order stacks deploy in (dependencies first), and the error that names a cycle.

use indexmap::IndexMap;

use crate::error::Error;
use crate::tree::{AppData, StackKey};

/// Why one stack depends on another (for cycle messages).
pub(super) type EdgeReasons = IndexMap<(StackKey, StackKey), String>;

/// Stacks in dependency order; a cycle is an error that names it.
pub(super) fn deploy_order(data: &AppData, stacks: &[StackKey], edges: &EdgeReasons) -> Result<Vec<StackKey>, Error> {
    let mut remaining: Vec<StackKey> = stacks.to_vec();
    let mut order = Vec::new();
    while !remaining.is_empty() {
        let ready = remaining
            .iter()
            .position(|s| !edges.keys().any(|(from, to)| from == s && remaining.contains(to) && to != s));
        match ready {
            Some(i) => order.push(remaining.remove(i)),
            None => return Err(cycle_error(data, &remaining, edges)),
        }
    }
    Ok(order)
}

fn cycle_error(data: &AppData, remaining: &[StackKey], edges: &EdgeReasons) -> Error {
    // Walk dependencies from the first remaining stack until one repeats.
    let mut walk = vec![remaining[0]];
    loop {
        let current = *walk.last().expect("walk is never empty");
        let next = edges
            .keys()
            .find(|(from, to)| *from == current && remaining.contains(to))
            .map(|(_, to)| *to);
        let Some(next) = next else { break };
        if let Some(start) = walk.iter().position(|s| *s == next) {
            let cycle = &walk[start..];
            let mut names: Vec<String> = cycle.iter().map(|s| data.stack(*s).name.clone()).collect();
            names.push(data.stack(next).name.clone());
            let reasons: Vec<String> = cycle
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let to = if i + 1 < cycle.len() { cycle[i + 1] } else { next };
                    format!(
                        "{} → {}: {}",
                        data.stack(*s).name,
                        data.stack(to).name,
                        edges.get(&(*s, to)).cloned().unwrap_or_default()
                    )
                })
                .collect();
            return Error::new(format!(
                "stacks depend on each other in a cycle: {} ({})",
                names.join(" → "),
                reasons.join("; ")
            ))
            .at(data.full_path(cycle[0], ""))
            .fix("move one of the referenced constructs so references go one way only (e.g. network → data → service)");
        }
        walk.push(next);
    }
    Error::new("stacks depend on each other in a cycle").at(data.full_path(remaining[0], ""))
}
