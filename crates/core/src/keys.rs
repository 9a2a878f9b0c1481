//! Handles of the stacks and environments of an application tree: plain indexes, so that
//! values (which reference resources by stack) need nothing else from the tree.

/// Identifies a stack inside one [`App`](crate::App).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackKey(pub(crate) u32);

/// Identifies an environment inside one [`App`](crate::App).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvKey(pub(crate) u32);
