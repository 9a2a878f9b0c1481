//! Structural diff of two JSON values: the smallest paths that changed, each with
//! its old and new value, instead of two walls of JSON.
//!
//! Objects are compared key by key. Arrays of objects that share an identifying key
//! (`Key` for tags, `AttributeName`, `Name`, `Sid`, ...) are matched by it; other
//! arrays by their longest common subsequence, or as multisets where order does
//! not matter ([`Ctx`]). A removed and an added element that are mostly alike are
//! shown as one modified element. Intrinsic functions are compared as a whole.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

pub use crate::canonical::Ctx;
use crate::canonical::{canon_eq_in, canon_string, child_ctx, is_intrinsic, is_list_ctx, is_unordered_ctx};
use crate::compare::keys_union;
use crate::{Action, PathSegment, PropertyChange, Replacement};

/// Keys that identify an element of an array of objects, most specific first.
const IDENTITY_KEYS: &[&str] = &[
    "Key",
    "Sid",
    "AttributeName",
    "IndexName",
    "PolicyName",
    "ContainerName",
    "ParameterKey",
    "Name",
    "Id",
];

/// Above this many element pairs, arrays are matched as multisets instead of by LCS.
const LCS_LIMIT: usize = 250_000;

/// The changes from `old` to `new` (attribute left empty; see [`PropertyChange::under`]).
pub fn diff(old: &Json, new: &Json, ctx: Ctx) -> Vec<PropertyChange> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), old, new, ctx, &mut out);
    out
}

impl PropertyChange {
    /// The same change, inside `attribute` of a resource.
    pub fn under(mut self, attribute: &str) -> Self {
        self.attribute = attribute.to_string();
        self
    }
}

fn change(path: &[PathSegment], action: Action, old: Option<&Json>, new: Option<&Json>) -> PropertyChange {
    PropertyChange {
        attribute: String::new(),
        path: path.to_vec(),
        action,
        old: old.cloned(),
        new: new.cloned(),
        replacement: Replacement::None,
    }
}

fn plain_object(v: &Json) -> Option<&Map<String, Json>> {
    v.as_object().filter(|_| !is_intrinsic(v))
}

fn walk(path: &mut Vec<PathSegment>, old: &Json, new: &Json, ctx: Ctx, out: &mut Vec<PropertyChange>) {
    if canon_eq_in(old, new, ctx) {
        return;
    }
    if let (Some(om), Some(nm)) = (plain_object(old), plain_object(new)) {
        for key in keys_union(om, nm) {
            let child = if om.contains_key(key) {
                child_ctx(ctx, om, key)
            } else {
                child_ctx(ctx, nm, key)
            };
            path.push(PathSegment::Key(key.to_string()));
            match (om.get(key), nm.get(key)) {
                (Some(a), Some(b)) => walk(path, a, b, child, out),
                (None, Some(b)) => out.push(change(path, Action::Add, None, Some(b))),
                (Some(a), None) => out.push(change(path, Action::Remove, Some(a), None)),
                (None, None) => {}
            }
            path.pop();
        }
        return;
    }
    // `"x"` vs `["x", "y"]` where one value stands for a list: compare as lists.
    let as_list = |v: &Json| -> Option<Vec<Json>> {
        match v {
            Json::Array(a) => Some(a.clone()),
            other if is_list_ctx(ctx) && !is_intrinsic(other) => Some(vec![other.clone()]),
            _ => None,
        }
    };
    if let (Some(a), Some(b)) = (as_list(old), as_list(new)) {
        walk_array(path, &a, &b, ctx, out);
        return;
    }
    out.push(change(path, Action::Modify, Some(old), Some(new)));
}

/// An edit to one array element, ordered by index for output.
enum Edit<'a> {
    Same,
    Pair(usize, usize),
    Removed(usize, &'a Json),
    Added(usize, &'a Json),
}

fn walk_array(path: &mut Vec<PathSegment>, old: &[Json], new: &[Json], ctx: Ctx, out: &mut Vec<PropertyChange>) {
    // Elements are plain values; a statement's own keys get their context from its `Effect`.
    let ectx = Ctx::Plain;
    let mut edits: Vec<(usize, u8, Edit)> = Vec::new();

    if let Some(key) = identity_key(old, new) {
        let ident = |v: &Json| v.get(key).map(|k| canon_string(k, Ctx::Plain)).unwrap_or_default();
        let old_by_key: HashMap<String, usize> = old.iter().enumerate().map(|(i, v)| (ident(v), i)).collect();
        let mut matched = vec![false; old.len()];
        let mut unmatched_new = Vec::new();
        for (j, n) in new.iter().enumerate() {
            match old_by_key.get(&ident(n)) {
                Some(&i) => {
                    matched[i] = true;
                    edits.push((j, 1, Edit::Pair(i, j)));
                }
                None => unmatched_new.push(j),
            }
        }
        // A renamed element that is otherwise mostly the same (a key schema's
        // attribute name) reads best as a modification.
        let unmatched_old: Vec<usize> = (0..old.len()).filter(|i| !matched[*i]).collect();
        for j in unmatched_new {
            match best_partner(&new[j], &unmatched_old, old, &matched) {
                Some(i) => {
                    matched[i] = true;
                    edits.push((j, 1, Edit::Pair(i, j)));
                }
                None => edits.push((j, 2, Edit::Added(j, &new[j]))),
            }
        }
        for (i, o) in old.iter().enumerate() {
            if !matched[i] {
                edits.push((i, 0, Edit::Removed(i, o)));
            }
        }
    } else {
        let oc: Vec<String> = old.iter().map(|v| canon_string(v, ectx)).collect();
        let nc: Vec<String> = new.iter().map(|v| canon_string(v, ectx)).collect();
        let unordered = is_unordered_ctx(ctx) || old.len().saturating_mul(new.len()) > LCS_LIMIT;
        let pairs = if unordered { multiset_match(&oc, &nc) } else { lcs(&oc, &nc) };
        let mut old_matched = vec![false; old.len()];
        let mut new_matched = vec![false; new.len()];
        for &(i, j) in &pairs {
            old_matched[i] = true;
            new_matched[j] = true;
            edits.push((j, 1, Edit::Same));
        }
        let removed: Vec<usize> = (0..old.len()).filter(|i| !old_matched[*i]).collect();
        let added: Vec<usize> = (0..new.len()).filter(|j| !new_matched[*j]).collect();
        let mut used_old = vec![false; old.len()];
        let scalars = removed.iter().all(|&i| !old[i].is_object()) && added.iter().all(|&j| !new[j].is_object());
        for &j in &added {
            let partner = if scalars && removed.len() == added.len() && !unordered {
                // Same number of scalars removed and added in an ordered list: edits in place.
                removed.iter().copied().find(|&i| !used_old[i])
            } else {
                best_partner(&new[j], &removed, old, &used_old)
            };
            match partner {
                Some(i) => {
                    used_old[i] = true;
                    edits.push((j, 1, Edit::Pair(i, j)));
                }
                None => edits.push((j, 2, Edit::Added(j, &new[j]))),
            }
        }
        for &i in &removed {
            if !used_old[i] {
                edits.push((i, 0, Edit::Removed(i, &old[i])));
            }
        }
    }

    edits.sort_by_key(|(idx, rank, _)| (*idx, *rank));
    for (_, _, e) in edits {
        match e {
            Edit::Same => {}
            Edit::Pair(i, j) => {
                path.push(PathSegment::Index(j));
                walk(path, &old[i], &new[j], ectx, out);
                path.pop();
            }
            Edit::Removed(i, v) => {
                path.push(PathSegment::Index(i));
                out.push(change(path, Action::Remove, Some(v), None));
                path.pop();
            }
            Edit::Added(j, v) => {
                path.push(PathSegment::Index(j));
                out.push(change(path, Action::Add, None, Some(v)));
                path.pop();
            }
        }
    }
}

/// A key every element of both arrays has, with distinct scalar values on each side.
fn identity_key(old: &[Json], new: &[Json]) -> Option<&'static str> {
    if old.is_empty() && new.is_empty() {
        return None;
    }
    IDENTITY_KEYS.iter().copied().find(|key| {
        [old, new].iter().all(|side| {
            let mut seen = std::collections::HashSet::new();
            side.iter().all(|v| {
                plain_object(v)
                    .and_then(|m| m.get(*key))
                    .filter(|k| k.is_string() || k.is_number())
                    .is_some_and(|k| seen.insert(k.to_string()))
            })
        })
    })
}

/// The unused removed object most like `new` (at least half its keys equal).
fn best_partner(new: &Json, removed: &[usize], old: &[Json], used: &[bool]) -> Option<usize> {
    let nm = plain_object(new)?;
    let mut best: Option<(usize, f64)> = None;
    for &i in removed {
        if used[i] {
            continue;
        }
        let Some(om) = plain_object(&old[i]) else { continue };
        let keys = keys_union(om, nm);
        let same = keys
            .iter()
            .filter(|k| match (om.get(**k), nm.get(**k)) {
                (Some(a), Some(b)) => canon_eq_in(a, b, child_ctx(Ctx::Plain, om, k)),
                _ => false,
            })
            .count();
        let score = same as f64 / keys.len().max(1) as f64;
        if score >= 0.5 && best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

/// Equal elements matched regardless of position.
fn multiset_match(old: &[String], new: &[String]) -> Vec<(usize, usize)> {
    let mut pool: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in old.iter().enumerate().rev() {
        pool.entry(s.as_str()).or_default().push(i);
    }
    new.iter()
        .enumerate()
        .filter_map(|(j, s)| pool.get_mut(s.as_str()).and_then(Vec::pop).map(|i| (i, j)))
        .collect()
}

/// Longest common subsequence: matched (old, new) index pairs in order.
fn lcs(old: &[String], new: &[String]) -> Vec<(usize, usize)> {
    let (n, m) = (old.len(), new.len());
    let mut table = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if old[i] == new[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n && j < m {
        if old[i] == new[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::path_string;
    use serde_json::json;

    fn paths(old: Json, new: Json) -> Vec<(String, Action)> {
        diff(&old, &new, Ctx::Plain)
            .into_iter()
            .map(|c| (path_string(&c.path), c.action))
            .collect()
    }

    #[test]
    fn nested_changes_are_reported_at_their_own_path() {
        let old = json!({"A": {"B": 1, "C": "x"}, "D": [1, 2, 3]});
        let new = json!({"D": [1, 5, 3], "A": {"B": 2, "C": "x", "E": true}});
        assert_eq!(
            paths(old, new),
            [
                ("D[1]".to_string(), Action::Modify),
                ("A.B".to_string(), Action::Modify),
                ("A.E".to_string(), Action::Add)
            ]
        );
    }

    #[test]
    fn tags_match_by_key_and_reordering_is_no_change() {
        let old = json!([{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}]);
        let new = json!([{"Key": "c", "Value": "3"}, {"Key": "a", "Value": "9"}, {"Key": "d", "Value": "4"}]);
        assert_eq!(
            paths(old.clone(), new),
            [
                ("[1]".to_string(), Action::Remove),
                ("[1].Value".to_string(), Action::Modify),
                ("[2]".to_string(), Action::Add)
            ]
        );
        let reordered = json!([{"Key": "c", "Value": "3"}, {"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}]);
        assert!(paths(old, reordered).is_empty());
    }

    #[test]
    fn inserted_elements_are_insertions_not_a_cascade_of_modifications() {
        let old = json!(["a", "b", "c"]);
        let new = json!(["a", "x", "b", "c"]);
        assert_eq!(paths(old, new), [("[1]".to_string(), Action::Add)]);
    }

    #[test]
    fn a_changed_statement_is_one_modification_inside_it() {
        let old = json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:a"},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:q"}
        ]});
        let new = json!({"Statement": [
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "arn:q"},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:a"}
        ]});
        assert_eq!(paths(old, new), [("Statement[1].Action[1]".to_string(), Action::Add)]);
    }
}
