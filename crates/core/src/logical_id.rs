//! Logical IDs derived from construct paths, the way the AWS CDK derives them
//! (`makeUniqueId` in aws-cdk-lib): a human-readable part made of the path's
//! components plus the first 8 hex digits of the MD5 of the path, so IDs are
//! stable, equal across environments, and unaffected by unrelated renames.

use md5::{Digest, Md5};

/// A path component named `Default` is left out entirely (hash included).
pub const HIDDEN_ID: &str = "Default";
/// A path component named `Resource` is left out of the human part only.
pub const HIDDEN_FROM_HUMAN_ID: &str = "Resource";

const HASH_LEN: usize = 8;
const MAX_HUMAN_LEN: usize = 240;
const MAX_ID_LEN: usize = 255;
/// How many paths a thread remembers the logical ID of.
const MAX_REMEMBERED_IDS: usize = 100_000;

/// [`make_unique_id`] of the path `joined` (its `components` joined with `/`),
/// remembered per thread: parity's re-syntheses derive the same IDs again and again.
pub(crate) fn unique_id_of_path(joined: &str, components: &[&str]) -> Option<String> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static KNOWN: RefCell<HashMap<String, Option<String>, foldhash::fast::FixedState>> = RefCell::default();
    }
    KNOWN.with(|known| {
        if let Some(id) = known.borrow().get(joined) {
            return id.clone();
        }
        let id = make_unique_id(components);
        let mut known = known.borrow_mut();
        // Bounded: a long-lived process synthesizing many applications starts afresh.
        if known.len() >= MAX_REMEMBERED_IDS {
            known.clear();
        }
        known.insert(joined.to_string(), id.clone());
        id
    })
}

/// The logical ID of the construct at `components` (the path below its stack).
/// Returns `None` for an empty path.
pub fn make_unique_id(components: &[&str]) -> Option<String> {
    let components: Vec<&str> = components.iter().copied().filter(|c| *c != HIDDEN_ID).collect();
    if components.is_empty() {
        return None;
    }
    // A top-level element keeps its name as is (the CDK's backwards-compatible rule).
    if components.len() == 1 {
        let candidate = remove_non_alphanumeric(components[0]);
        if !candidate.is_empty() && candidate.len() <= MAX_ID_LEN {
            return Some(candidate);
        }
    }
    // One buffer for the whole ID: synthesis derives one for every resource.
    let mut id = String::with_capacity(components.iter().map(|c| c.len()).sum::<usize>() + HASH_LEN);
    for c in remove_dupes(&components) {
        if c == HIDDEN_FROM_HUMAN_ID {
            continue;
        }
        if c.bytes().all(|b| b.is_ascii_alphanumeric()) {
            id.push_str(c); // the usual case: construct ids are plain words
        } else {
            id.extend(c.bytes().filter(u8::is_ascii_alphanumeric).map(char::from));
        }
    }
    id.truncate(MAX_HUMAN_LEN);
    push_path_hash(&mut id, &components);
    Some(id)
}

/// Appends the first [`HASH_LEN`] hex digits of the MD5 of the joined path.
fn push_path_hash(out: &mut String, components: &[&str]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut md5 = Md5::new();
    for (i, c) in components.iter().enumerate() {
        if i > 0 {
            md5.update(b"/");
        }
        md5.update(c.as_bytes());
    }
    let digest = md5.finalize();
    for b in &digest[..HASH_LEN / 2] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
}

/// Drops a component when the previous one already ends with it (`Vpc/Vpc` reads `Vpc`).
fn remove_dupes<'a>(components: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for c in components {
        match out.last() {
            Some(prev) if prev.ends_with(c) => {}
            _ => out.push(c),
        }
    }
    out
}

fn remove_non_alphanumeric(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// Whether `id` is a valid CloudFormation logical ID (`^[A-Za-z0-9]{1,255}$`).
pub fn is_valid_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(path: &str) -> String {
        make_unique_id(&path.split('/').collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn cdk_documented_examples() {
        // From the AWS CDK documentation on logical IDs.
        assert_eq!(id("Queue/Resource"), "Queue4A7E3555");
        assert_eq!(id("MyQueue"), "MyQueue");
    }

    #[test]
    fn cdk_unit_test_examples() {
        // aws-cdk-lib/core/test/private/uniqueid.test.ts
        assert_eq!(
            id("Foo-bar/B00m/Hello_World/&&Horray Horray."),
            "FoobarB00mHelloWorldHorrayHorray640E99FB"
        );
        assert_eq!(
            id("Foobar/B00m/HelloWorld/HorrayHorray"),
            "FoobarB00mHelloWorldHorrayHorray744334FD"
        );
    }

    #[test]
    fn default_is_hidden_everywhere_and_resource_only_from_the_human_part() {
        assert_eq!(id("Table/Default"), "Table");
        assert_eq!(id("Bucket/Default/Resource"), id("Bucket/Resource"));
        assert!(id("Bucket/Resource").starts_with("Bucket"));
        assert_ne!(id("Bucket/Resource"), id("Bucket/Policy"));
    }

    #[test]
    fn repeated_components_are_not_repeated() {
        assert!(id("Vpc/Vpc").starts_with("Vpc"));
        assert!(!id("Vpc/Vpc").starts_with("VpcVpc"));
    }

    #[test]
    fn ids_are_stable_and_path_local() {
        let a = id("Data/Orders/Resource");
        assert_eq!(a, id("Data/Orders/Resource"));
        // Renaming a sibling does not change this ID.
        let _ = id("Data/Invoices/Resource");
        assert_eq!(a, id("Data/Orders/Resource"));
        assert!(is_valid_logical_id(&a));
    }

    #[test]
    fn validity() {
        assert!(is_valid_logical_id("Abc123"));
        assert!(!is_valid_logical_id("a-b"));
        assert!(!is_valid_logical_id(""));
        assert!(!is_valid_logical_id(&"a".repeat(256)));
    }
}
