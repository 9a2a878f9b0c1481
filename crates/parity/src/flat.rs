//! The compared form of an environment's templates: items keyed by [`PathKey`]
//! (stack, section, id), their leaves computed on demand and compared after
//! normalization ([`crate::normalize`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::leaves;
use crate::normalize::{self, Normalizer};

/// Where a leaf sits in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// The stack itself (present or not).
    Stack,
    /// Top-level template keys (`Description`, `Transform`…).
    Template,
    /// `Parameters`.
    Parameters,
    /// `Conditions`.
    Conditions,
    /// `Resources`.
    Resources,
    /// `Outputs`.
    Outputs,
}

impl Section {
    /// The name as in a template (`Resources`).
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Stack => "Stack",
            Section::Template => "Template",
            Section::Parameters => "Parameters",
            Section::Conditions => "Conditions",
            Section::Resources => "Resources",
            Section::Outputs => "Outputs",
        }
    }

    /// The section named `s` (as [`Section::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Section> {
        Some(match s {
            "Stack" => Section::Stack,
            "Template" => Section::Template,
            "Parameters" => Section::Parameters,
            "Conditions" => Section::Conditions,
            "Resources" => Section::Resources,
            "Outputs" => Section::Outputs,
            _ => return None,
        })
    }
}

/// One leaf of a stack's template, the same in every environment (stack ids and
/// logical IDs do not depend on the environment).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathKey {
    /// Stack id inside the environment (`data`).
    pub stack: String,
    /// The template section.
    pub section: Section,
    /// Logical ID, output or parameter name; empty for the stack itself.
    pub id: String,
    /// Path inside the item (`Properties.VersioningConfiguration.Status`,
    /// `Properties.Tags[Team]`, `DeletionPolicy`); empty for the item itself.
    pub property: String,
}

impl PathKey {
    /// The key of `property` of item `id` in `section` of stack `stack`.
    pub fn new(stack: &str, section: Section, id: &str, property: &str) -> Self {
        PathKey {
            stack: stack.to_string(),
            section,
            id: id.to_string(),
            property: property.to_string(),
        }
    }

    /// The key of the item (resource, output…) this leaf belongs to.
    pub fn item(&self) -> PathKey {
        PathKey::new(&self.stack, self.section, &self.id, "")
    }
}

/// A leaf value: normalized (compared) and as written (shown).
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// With environment names, account ids and regions replaced by placeholders.
    pub norm: Json,
    /// As in the template.
    pub raw: Json,
}

/// An environment's templates, item by item (resource, output…); an item's leaves
/// are computed when needed: most items are equal in every environment.
#[derive(Debug, Clone, Default)]
pub struct Flat {
    /// Item key (property empty) → the item as written (a stack's own key: its name).
    pub items: BTreeMap<PathKey, Json>,
    /// The environment's identity, replaced inside strings.
    pub normalizer: Normalizer,
    /// Stack ids in deploy order.
    pub stacks: Vec<String>,
    /// Stack id → CloudFormation stack name.
    pub stack_names: BTreeMap<String, String>,
    /// (stack id, logical ID) → construct path (`data/Orders/Resource`).
    pub paths: BTreeMap<(String, String), String>,
    /// Items a re-synthesis did not render because they are built exactly as in the
    /// synthesis it is compared with (see [`cairn_core::ModelForms`]): equal to
    /// that synthesis's items, whatever `items` holds for them.
    pub same_as_baseline: BTreeSet<PathKey>,
}

impl Flat {
    /// The leaves of one item (normalized and as written).
    pub fn leaves_of(&self, item: &PathKey) -> BTreeMap<PathKey, Leaf> {
        self.leaves_where(item, |_| true)
    }

    /// The leaves of one item that are among `keys` (normalized and as written).
    pub fn leaves_among(&self, item: &PathKey, keys: &BTreeSet<PathKey>) -> BTreeMap<PathKey, Leaf> {
        self.leaves_where(item, |k| keys.contains(k))
    }

    /// The leaves of one item whose key `keep` accepts: only those are normalized and copied.
    fn leaves_where(&self, item: &PathKey, keep: impl Fn(&PathKey) -> bool) -> BTreeMap<PathKey, Leaf> {
        let mut out = BTreeMap::new();
        if let Some(value) = self.items.get(item) {
            leaves::item_leaves(&self.normalizer, item, value, &mut |k, raw| {
                if keep(&k) {
                    let leaf = Leaf {
                        norm: self.normalizer.json(raw),
                        raw: raw.clone(),
                    };
                    out.insert(k, leaf);
                }
            });
        }
        out
    }

    /// One leaf.
    pub fn get(&self, key: &PathKey) -> Option<Leaf> {
        self.leaves_of(&key.item()).remove(key)
    }

    /// Leaves of one item as written (compare them with [`normalize::normalized_eq`]).
    fn raw_leaves(&self, key: &PathKey) -> BTreeMap<PathKey, &Json> {
        let mut out = BTreeMap::new();
        if let Some(item) = self.items.get(key) {
            leaves::item_leaves(&self.normalizer, key, item, &mut |k, raw| {
                out.insert(k, raw);
            });
        }
        out
    }

    /// Whether an item is equal in both, once normalized (absent in both counts as equal).
    pub fn same_item(&self, other: &Flat, key: &PathKey) -> bool {
        match (self.items.get(key), other.items.get(key)) {
            (None, None) => true,
            (Some(a), Some(b)) if self.normalizer == other.normalizer => normalize::json_eq(a, b),
            (Some(a), Some(b)) => normalize::normalized_eq(a, &self.normalizer, b, &other.normalizer),
            _ => false,
        }
    }

    /// Keys whose normalized values differ between `self` and `other` (or exist in one only).
    pub fn diff_keys(&self, other: &Flat) -> BTreeSet<PathKey> {
        self.diff_keys_in(other, None)
    }

    /// [`Flat::diff_keys`], looking only at the items in `only` (item keys) when given.
    pub fn diff_keys_in(&self, other: &Flat, only: Option<&BTreeSet<PathKey>>) -> BTreeSet<PathKey> {
        let mut out = BTreeSet::new();
        let keys: BTreeSet<&PathKey> = match only {
            Some(only) => only.iter().collect(),
            None => self.items.keys().chain(other.items.keys()).collect(),
        };
        for key in keys {
            if self.same_as_baseline.contains(key) || other.same_as_baseline.contains(key) {
                continue;
            }
            leaves::differing_leaves(
                key,
                self.items.get(key),
                &self.normalizer,
                other.items.get(key),
                &other.normalizer,
                &mut out,
            );
        }
        out
    }

    /// [`Flat::diff_keys_in`] the slow, obvious way: every leaf of both sides, compared
    /// one by one. The reference the tree walk is tested against.
    pub fn diff_keys_by_leaves(&self, other: &Flat, only: Option<&BTreeSet<PathKey>>) -> BTreeSet<PathKey> {
        let mut out = BTreeSet::new();
        let keys: BTreeSet<&PathKey> = match only {
            Some(only) => only.iter().collect(),
            None => self.items.keys().chain(other.items.keys()).collect(),
        };
        for key in keys {
            let a = self.raw_leaves(key);
            let b = other.raw_leaves(key);
            for (k, v) in &a {
                let same = b
                    .get(k)
                    .is_some_and(|w| normalize::normalized_eq(v, &self.normalizer, w, &other.normalizer));
                if !same {
                    out.insert(k.clone());
                }
            }
            for k in b.keys() {
                if !a.contains_key(k) {
                    out.insert(k.clone());
                }
            }
        }
        out
    }
}
