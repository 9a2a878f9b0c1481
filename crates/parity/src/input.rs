//! What the comparison knows about one environment: its flattened templates, knob
//! values and what each knob drives.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::{Flat, Note, ParityError, PathKey};

/// What the comparison knows about one environment.
#[derive(Debug, Clone, Default)]
pub struct EnvInput {
    /// The environment's name.
    pub name: String,
    /// Its templates, flattened.
    pub flat: Flat,
    /// Knob key → the environment file's value (None: the file lacks the key).
    pub knob_values: BTreeMap<String, Option<Json>>,
    /// Knob key → leaves that change when the knob takes another environment's value.
    pub drives: BTreeMap<String, BTreeSet<PathKey>>,
    /// Leaves that still differ from the reference once every knob has the reference's
    /// value; `None` when unknown (checking `out/` or deployed templates), `Err` when
    /// that synthesis failed.
    pub residual: Option<Result<BTreeSet<PathKey>, ParityError>>,
    /// Knobs whose effect could not be isolated (swapping them alone failed validation).
    pub unisolated: Vec<String>,
    /// Leaf → the undeclared environment-file field that causes it.
    pub hints: BTreeMap<PathKey, String>,
    /// Problems found while gathering the input (an edited template…).
    pub notes: Vec<Note>,
    /// The items (keys with an empty property) where this environment differs from the
    /// reference, when whoever gathered the input compared them already (the reference
    /// itself: none); `None` when unknown. [`crate::compare`] then looks only at these:
    /// an item equal to the reference in every environment is equal everywhere. Whoever
    /// replaces `flat` (deployed templates instead of synthesized ones) resets it.
    pub differing_items: Option<BTreeSet<PathKey>>,
}
