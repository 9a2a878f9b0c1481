//! An environment's identity (name, account id, region) replaced inside strings by
//! `{env}`, `{account}` and `{region}`, so that `shop-prod-data:Export` and
//! `shop-dev-data:Export` compare equal.

use std::borrow::Cow;

use memchr::memmem::Finder;
use serde_json::{Map, Value as Json};

/// Replaces an environment's identity inside strings.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    /// (needle, placeholder), longest needle first.
    needles: Vec<(String, &'static str)>,
    /// A searcher per needle, same order: built once, used on every compared string.
    finders: Vec<Finder<'static>>,
}

impl PartialEq for Normalizer {
    fn eq(&self, other: &Self) -> bool {
        self.needles == other.needles
    }
}

impl Eq for Normalizer {}

fn finders(needles: &[(String, &'static str)]) -> Vec<Finder<'static>> {
    needles.iter().map(|(n, _)| Finder::new(n.as_bytes()).into_owned()).collect()
}

impl Normalizer {
    /// Replaces the environment's name, account id and region by `{env}`, `{account}`, `{region}`.
    pub fn new(env: &str, account: &str, region: &str) -> Self {
        let mut needles: Vec<(String, &'static str)> = [(account, "{account}"), (region, "{region}"), (env, "{env}")]
            .into_iter()
            .filter(|(n, _)| !n.is_empty())
            .map(|(n, p)| (n.to_string(), p))
            .collect();
        needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        let finders = finders(&needles);
        Normalizer { needles, finders }
    }

    /// Also replaces `other` (another environment's name) by `{env}`: for a synthesis
    /// under one name with another environment's values (`shop-prod` tags under dev).
    pub fn with_alias(mut self, other: &str) -> Self {
        if !other.is_empty() && !self.needles.iter().any(|(n, _)| n == other) {
            self.needles.push((other.to_string(), "{env}"));
            self.needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
            self.finders = finders(&self.needles);
        }
        self
    }

    /// `s` with every whole-token occurrence of the name, account and region replaced.
    /// A token ends at a character that is not a letter or digit (`-`, `:`, `/`, `.`…),
    /// so `prod` in `shop-prod-data` is replaced and in `production` it is not.
    pub fn string(&self, s: &str) -> String {
        let mut out = s.to_string();
        for ((needle, placeholder), finder) in self.needles.iter().zip(&self.finders) {
            if finder.find(out.as_bytes()).is_some() {
                out = replace_tokens(&out, needle, finder, placeholder);
            }
        }
        out
    }

    /// Like [`Normalizer::string`], without allocating when nothing is replaced.
    pub fn cow<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if self.finders.iter().any(|f| f.find(s.as_bytes()).is_some()) {
            Cow::Owned(self.string(s))
        } else {
            Cow::Borrowed(s)
        }
    }

    /// `v` with every string normalized as [`Normalizer::string`] does.
    pub fn json(&self, v: &Json) -> Json {
        match v {
            Json::String(s) => Json::String(self.string(s)),
            Json::Array(items) => Json::Array(items.iter().map(|i| self.json(i)).collect()),
            Json::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), self.json(v))).collect()),
            other => other.clone(),
        }
    }
}

/// Whether `a` (of the environment `na` normalizes) equals `b` (of `nb`) once normalized.
pub fn normalized_eq(a: &Json, na: &Normalizer, b: &Json, nb: &Normalizer) -> bool {
    match (a, b) {
        // Most compared strings are equal as written: no need to normalize those when
        // both sides are normalized alike (a variant against its own environment).
        (Json::String(x), Json::String(y)) => (x == y && na == nb) || na.cow(x) == nb.cow(y),
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| normalized_eq(v, na, w, nb)),
        (Json::Object(x), Json::Object(y)) => objects_eq(x, y, |v, w| normalized_eq(v, na, w, nb)),
        _ => a == b,
    }
}

/// `a == b` (object keys in any order), comparing objects key by key in their order
/// first: two renderings of one item list their keys alike, and a positional
/// comparison needs no hashing (`serde_json`'s maps hash every key looked up).
pub fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| json_eq(v, w)),
        (Json::Object(x), Json::Object(y)) => objects_eq(x, y, json_eq),
        _ => a == b,
    }
}

/// Whether two objects have the same keys with values equal by `eq`: pairwise while
/// the keys come in the same order, by lookup otherwise.
fn objects_eq(x: &Map<String, Json>, y: &Map<String, Json>, eq: impl Fn(&Json, &Json) -> bool) -> bool {
    if x.len() != y.len() {
        return false;
    }
    for ((kx, vx), (ky, vy)) in x.iter().zip(y) {
        if kx != ky {
            return x.iter().all(|(k, v)| y.get(k).is_some_and(|w| eq(v, w)));
        }
        if !eq(vx, vy) {
            return false;
        }
    }
    true
}

/// `s` with each whole-token `needle` (found by `finder`, built for it) replaced.
fn replace_tokens(s: &str, needle: &str, finder: &Finder<'_>, placeholder: &str) -> String {
    let bytes = s.as_bytes();
    let boundary = |i: Option<usize>| i.is_none_or(|i| !bytes[i].is_ascii_alphanumeric());
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(pos) = finder.find(&bytes[from..]) {
        let start = from + pos;
        let end = start + needle.len();
        let before = start.checked_sub(1);
        let after = (end < bytes.len()).then_some(end);
        if boundary(before) && boundary(after) {
            out.push_str(&s[last..start]);
            out.push_str(placeholder);
            last = end;
            from = end;
        } else {
            // Step one character, staying on a char boundary.
            from = start + s[start..].chars().next().map_or(1, char::len_utf8);
        }
        if from >= s.len() {
            break;
        }
    }
    out.push_str(&s[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_equal_whatever_the_order_of_their_keys() {
        let a = serde_json::json!({"a": 1, "b": {"c": [1, {"d": "x", "e": "y"}]}});
        let b = serde_json::json!({"b": {"c": [1, {"e": "y", "d": "x"}]}, "a": 1});
        let c = serde_json::json!({"a": 1, "b": {"c": [1, {"d": "x", "e": "z"}]}});
        let d = serde_json::json!({"a": 1, "b": {"c": [1, {"d": "x", "f": "y"}]}});
        assert!(json_eq(&a, &b) && json_eq(&b, &a) && json_eq(&a, &a));
        assert!(!json_eq(&a, &c) && !json_eq(&b, &c) && !json_eq(&a, &d));
        let n = Normalizer::new("prod", "1", "r");
        assert!(normalized_eq(&a, &n, &b, &n));
        assert!(!normalized_eq(&a, &n, &d, &n));
    }

    #[test]
    fn normalizes_whole_tokens_only() {
        let n = Normalizer::new("prod", "123456789012", "us-east-1");
        assert_eq!(n.string("shop-prod-data:ExportsOutputRefX"), "shop-{env}-data:ExportsOutputRefX");
        assert_eq!(n.string("prod"), "{env}");
        assert_eq!(n.string("production"), "production");
        assert_eq!(n.string("reprod/prod.x"), "reprod/{env}.x");
        assert_eq!(
            n.string("arn:aws:sqs:us-east-1:123456789012:shop-prod-jobs"),
            "arn:aws:sqs:{region}:{account}:shop-{env}-jobs"
        );
        assert_eq!(n.string("us-east-1a"), "us-east-1a");
        assert_eq!(n.string("prodprod-prod"), "prodprod-{env}");
    }
}
