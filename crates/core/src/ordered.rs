//! Insertion-ordered maps and sets for the construct tree and template values.
//!
//! Order, not hashing, decides what a template looks like, so the hasher only has to be
//! fast: foldhash with a fixed seed instead of the standard library's SipHash (which
//! guards against attacker-chosen keys; property names and construct ids are written by
//! the application's own code). Synthesis hashes a key for every property it sets.

/// An [`indexmap::IndexMap`] with a fast, fixed hasher.
pub type OrderedMap<K, V> = indexmap::IndexMap<K, V, foldhash::fast::FixedState>;

/// An [`indexmap::IndexSet`] with a fast, fixed hasher.
pub(crate) type OrderedSet<T> = indexmap::IndexSet<T, foldhash::fast::FixedState>;
