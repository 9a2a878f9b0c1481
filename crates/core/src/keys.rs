//! Handles of the stacks and environments of an application tree: indexes (a stack's with
//! its tree's number), so that values (which reference resources by stack) need nothing
//! else from the tree.

/// Identifies a stack inside one [`App`](crate::App): the tree it belongs to (every tree
/// gets its own number) and its place there. A value kept from another tree (another
/// synthesis) is recognized as such instead of naming this tree's stack at that place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackKey {
    pub(crate) tree: u32,
    pub(crate) index: u32,
}

/// A number for a new tree, different from the last 4 billion trees' of this process.
pub(crate) fn next_tree() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Identifies an environment inside one [`App`](crate::App).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvKey(pub(crate) u32);
