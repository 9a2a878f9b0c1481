//! Environment files: `stacks/environments/<env>.toml`, read into the application's
//! typed config struct (`deny_unknown_fields`), then validated. Every problem names
//! the file, the key and what is allowed.
//!
//! Files go through a [`toml::Table`] first, so parity can re-synthesize an
//! environment with another environment's value for a key ([`with_value`]).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

mod common;
mod delivery;
mod values;
pub use common::{check_tags, check_template_bucket};
pub use delivery::{delivery_from_table, Delivery, Trigger, DELIVERY_TABLE};
pub use values::{AccountId, Ipv4Cidr, LogRetentionDays, Region};

/// A problem with an environment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment file.
    pub file: PathBuf,
    /// Dotted key (`database.backup_retention_days`), when the problem is one key.
    pub key: Option<String>,
    /// What is wrong, and the fix.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "{}: key `{k}`: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A problem with one field, found by [`Validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted key of the field (`database.backup_retention_days`).
    pub key: String,
    /// What is wrong, and the fix.
    pub message: String,
}

impl FieldError {
    /// A problem with the field `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Checks that span several fields or need ranges; types check the rest.
pub trait Validate {
    /// Every problem found; empty when the file is valid.
    fn validate(&self) -> Vec<FieldError>;
}

/// `value` must lie in `min..=max`.
pub fn check_range<T: PartialOrd + fmt::Display>(errors: &mut Vec<FieldError>, key: &str, value: T, min: T, max: T) {
    if value < min || value > max {
        errors.push(FieldError::new(key, out_of_range(value, min, max)));
    }
}

fn out_of_range(value: impl fmt::Display, min: impl fmt::Display, max: impl fmt::Display) -> String {
    format!("{value} is out of range; allowed: {min} to {max}")
}

/// A whole number in `MIN..=MAX`, for `#[serde(deserialize_with = "in_range::<_, _, 1, 100>")]`:
/// a negative or huge number is refused with the real range, not with "0 or more"
/// (what a plain `u32` would say).
pub fn in_range<'de, D, T, const MIN: i64, const MAX: i64>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    struct Visitor<const MIN: i64, const MAX: i64>;
    impl<const MIN: i64, const MAX: i64> serde::de::Visitor<'_> for Visitor<MIN, MAX> {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a whole number from {MIN} to {MAX}")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            if (MIN..=MAX).contains(&v) {
                Ok(v)
            } else {
                Err(E::custom(out_of_range(shown_integer(v), MIN, MAX)))
            }
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            match i64::try_from(v) {
                Ok(v) => self.visit_i64(v),
                Err(_) => Err(E::custom(out_of_range(v, MIN, MAX))),
            }
        }
    }
    let n = d.deserialize_i64(Visitor::<MIN, MAX>)?;
    T::try_from(n).map_err(|_| serde::de::Error::custom(out_of_range(n, MIN, MAX)))
}

/// A whole number from a fixed list (Fargate CPU units, CloudWatch Logs retentions): any
/// other number, a float or a string is refused with the whole list, not with its bounds.
/// `what` completes "… is not": e.g. "a Fargate CPU value".
pub fn one_of<'de, D: Deserializer<'de>>(d: D, allowed: &[u32], what: &str) -> Result<u32, D::Error> {
    struct Visitor<'a> {
        allowed: &'a [u32],
        what: &'a str,
    }
    impl Visitor<'_> {
        fn list(&self) -> String {
            self.allowed.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        }
    }
    impl serde::de::Visitor<'_> for Visitor<'_> {
        type Value = u32;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "one of {}", self.list())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u32, E> {
            match u32::try_from(v) {
                Ok(n) if self.allowed.contains(&n) => Ok(n),
                _ => Err(E::custom(format!(
                    "{} is not {}; allowed: {}",
                    shown_integer(v),
                    self.what,
                    self.list()
                ))),
            }
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u32, E> {
            self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
        }
    }
    d.deserialize_i64(Visitor { allowed, what })
}

/// A whole number as echoed in a message. The 64-bit limits stand for the numbers
/// beyond them too (see [`read_table`]), so they are not echoed as if typed.
fn shown_integer(v: i64) -> String {
    match v {
        i64::MAX => format!("a number of {} or more", i64::MAX),
        i64::MIN => format!("a number of {} or less", i64::MIN),
        _ => v.to_string(),
    }
}

/// Longest value echoed whole in a message; longer ones are cut (a 10,000-character
/// image name or a 309-digit number would bury the message).
const SHOWN_CHARS: usize = 60;

/// A user's value as echoed in a message: cut to its start when long.
pub fn shown(value: &str) -> String {
    let count = value.chars().count();
    if count <= SHOWN_CHARS {
        return value.to_string();
    }
    let start: String = value.chars().take(SHOWN_CHARS - 20).collect();
    format!("{start}… ({count} characters)")
}

/// A number as echoed in a message: in scientific notation when its digits would be long.
pub fn shown_number(value: f64) -> String {
    let plain = value.to_string();
    if plain.len() <= 20 {
        plain
    } else {
        format!("{value:.3e}")
    }
}

/// Reads and parses one environment file into a TOML table.
pub fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    let problem = |message: String| ConfigError {
        file: path.to_path_buf(),
        key: None,
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| problem(unreadable(path, &e)))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        problem(format!(
            "cannot read the file: it is not UTF-8 text (invalid byte at line {line}, byte {at}); save it as UTF-8"
        ))
    })?;
    parse_clamping_oversized_integers(&text).map_err(|e| problem(format!("not valid TOML: {}", shorten_lines(e.to_string().trim()))))
}

/// Parses TOML text. An integer beyond 64 bits fails the TOML parse itself, with Rust
/// type names and no key ("invalid type: integer … as i128", "u64 value was too large");
/// it is read as the nearest 64-bit limit instead, so the key's own check refuses it
/// with the key's name and its real range.
fn parse_clamping_oversized_integers(text: &str) -> Result<toml::Table, toml::de::Error> {
    let mut current = text.to_string();
    loop {
        let error = match current.parse::<toml::Table>() {
            Ok(table) => return Ok(table),
            Err(e) => e,
        };
        // Each round replaces one literal by one that parses: this ends.
        let Some(span) = error.span().filter(|s| current.get(s.clone()).is_some_and(is_integer_literal)) else {
            return text.parse::<toml::Table>();
        };
        let limit = if current[span.clone()].starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        };
        current.replace_range(span, &limit.to_string());
    }
}

/// A TOML integer literal: decimal with an optional sign, or 0x / 0o / 0b.
fn is_integer_literal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (digits, radix) = match unsigned.get(..2) {
        Some("0x") => (&unsigned[2..], 16),
        Some("0o") => (&unsigned[2..], 8),
        Some("0b") => (&unsigned[2..], 2),
        _ => (unsigned, 10),
    };
    digits.starts_with(|c: char| c.is_digit(radix)) && digits.chars().all(|c| c == '_' || c.is_digit(radix))
}

/// Why a file cannot be read, in words, with the fix.
fn unreadable(path: &Path, e: &std::io::Error) -> String {
    let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match e.kind() {
        std::io::ErrorKind::NotFound if link => {
            let target = std::fs::read_link(path).map(|t| t.display().to_string()).unwrap_or_default();
            format!(
                "cannot read the file: broken link (it points to `{}`, which does not exist); fix or remove the link",
                shown(&target)
            )
        }
        std::io::ErrorKind::NotFound => "file not found".to_string(),
        std::io::ErrorKind::PermissionDenied => "cannot read the file: permission denied; make it readable (e.g. `chmod u+r`)".to_string(),
        _ if link && link_loop(path) => {
            "cannot read the file: symbolic link loop (the link leads back to itself); point it at a real file or remove it".to_string()
        }
        _ if path.is_dir() => {
            "cannot read the file: it is a folder, not a file; remove or rename it (every `*.toml` here is an environment)".to_string()
        }
        _ => format!("cannot read the file: {e}"),
    }
}

/// Whether following the link `path` comes back to a link already passed. (The
/// operating system only says "too many levels of symbolic links".)
fn link_loop(path: &Path) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut current = path.to_path_buf();
    while let Ok(target) = std::fs::read_link(&current) {
        if !seen.insert(current.clone()) {
            return true;
        }
        current = match current.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
    }
    false
}

/// Cuts each line of a (parser's) message that quotes a long line of the file.
fn shorten_lines(message: &str) -> String {
    message.lines().map(shown_line).collect::<Vec<_>>().join("\n")
}

/// A line of the file as the parser quotes it, cut after its first 120 characters.
fn shown_line(line: &str) -> String {
    if line.chars().count() <= 2 * SHOWN_CHARS {
        line.to_string()
    } else {
        line.chars().take(2 * SHOWN_CHARS).chain(['…']).collect()
    }
}

/// Turns a TOML table into the typed, validated config (without the `[delivery]` table,
/// which [`delivery_from_table`] reads).
pub fn from_table<T: DeserializeOwned + Validate>(path: &Path, mut table: toml::Table) -> Result<T, ConfigError> {
    // cairn's own table: read by `delivery_from_table`, never part of the application's type.
    table.remove(DELIVERY_TABLE);
    let config: T = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let key = e.path().to_string();
        let inner = readable(&e.into_inner().to_string());
        ConfigError {
            file: path.to_path_buf(),
            key: (key != ".").then_some(key),
            message: inner,
        }
    })?;
    if let Some(first) = config.validate().into_iter().next() {
        return Err(ConfigError {
            file: path.to_path_buf(),
            key: Some(first.key),
            message: first.message,
        });
    }
    Ok(config)
}

/// serde's wording, for people: no Rust type names, no repeated key, no long value echoed whole.
fn readable(message: &str) -> String {
    let first: Vec<&str> = message.lines().filter(|l| !l.starts_with("in `") && !l.trim().is_empty()).collect();
    shorten_quoted(&first.join(" "))
        .replace("expected u32", "allowed: a whole number, 0 or more")
        .replace("expected u64", "allowed: a whole number, 0 or more")
        .replace("expected i64", "allowed: a whole number")
        .replace("expected a whole number", "allowed: a whole number")
        .replace("expected one of ", "allowed: ")
        .replace("expected a boolean", "allowed: true or false")
}

/// Shortens the values serde quotes (`string "…"`, `` floating point `…` ``).
fn shorten_quoted(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        let after = &rest[start + 1..];
        let Some(len) = after.find(quote) else { break };
        out.push_str(&rest[..=start]);
        out.push_str(&shown(&after[..len]));
        out.push(quote);
        rest = &after[len + 1..];
    }
    out.push_str(rest);
    out
}

/// Reads, parses and validates one environment file.
pub fn load<T: DeserializeOwned + Validate>(path: &Path) -> Result<T, ConfigError> {
    from_table(path, read_table(path)?)
}

/// Gets a dotted key (`database.instance_class`) from a table.
pub fn get_value<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let mut current = table.get(parts.next()?)?;
    for part in parts {
        current = current.as_table()?.get(part)?;
    }
    Some(current)
}

/// Sets (or, with `None`, removes) a dotted key in a table.
pub fn with_value(table: &toml::Table, key: &str, value: Option<&toml::Value>) -> toml::Table {
    let mut out = table.clone();
    set_value(&mut out, key, value);
    out
}

/// [`with_value`] in place. A key below a value that is not a table is left alone.
pub fn set_value(table: &mut toml::Table, key: &str, value: Option<&toml::Value>) {
    let parts: Vec<&str> = key.split('.').collect();
    let mut current = table;
    for part in &parts[..parts.len() - 1] {
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        match entry.as_table_mut() {
            Some(t) => current = t,
            None => return,
        }
    }
    let last = parts[parts.len() - 1];
    match value {
        Some(v) => {
            current.insert(last.to_string(), v.clone());
        }
        None => {
            current.remove(last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parsing_and_arithmetic() {
        let vpc = Ipv4Cidr::parse("10.0.0.0/16").unwrap();
        assert_eq!(vpc.to_string(), "10.0.0.0/16");
        assert_eq!(vpc.subnet(24, 1).unwrap().to_string(), "10.0.1.0/24");
        assert_eq!(vpc.subnet(18, 3).unwrap().to_string(), "10.0.192.0/18");
        assert!(vpc.subnet(18, 4).is_none());
        assert!(vpc.subnet(8, 0).is_none());
        assert!(vpc.overlaps(&Ipv4Cidr::parse("10.0.255.0/24").unwrap()));
        assert!(!vpc.overlaps(&Ipv4Cidr::parse("10.1.0.0/24").unwrap()));
        assert!(Ipv4Cidr::parse("10.0.0.1/16").unwrap_err().contains("host bits"));
        assert!(Ipv4Cidr::parse("10.0.0/16").is_err());
        assert!(Ipv4Cidr::parse("10.0.0.0/33").is_err());
        assert!(Ipv4Cidr::parse("300.0.0.0/8").is_err());
    }

    #[test]
    fn account_region_retention() {
        assert!(AccountId::parse("123456789012").is_ok());
        assert!(AccountId::parse("12345").is_err());
        assert!(AccountId::parse("12345678901a").is_err());
        assert!(Region::parse("us-east-1").is_ok());
        assert!(Region::parse("us-gov-west-1").is_ok());
        assert!(Region::parse("ap-southeast-2").is_ok());
        assert!(Region::parse("mars-north-1").is_err());
        assert!(Region::parse("us-east").is_err());
        assert!(Region::parse("cn-northwest-1").is_ok());
        // Well formed but not a region: the list is the check, not the shape.
        let unknown = Region::parse("eu-central-3").unwrap_err();
        assert!(
            unknown.contains("allowed: af-south-1, ") && unknown.contains("us-gov-west-1"),
            "{unknown}"
        );
        assert!(LogRetentionDays::new(30).is_ok());
        assert!(LogRetentionDays::new(31).unwrap_err().contains("allowed: 1, 3, 5"));
    }

    #[test]
    fn a_vpc_block_outside_its_prefixes_says_the_allowed_ones() {
        for (cidr, expected) in [
            ("10.20.0.0/33", "`10.20.0.0/33`: prefix /33 is larger than 32; allowed: /16 to /24"),
            ("10.0.0.0/8", "10.0.0.0/8 is a /8 block; allowed: /16 to /24"),
            ("10.20.0.0", "is not an IPv4 CIDR block; allowed: a.b.c.d/n with n from 16 to 24"),
        ] {
            let message = Ipv4Cidr::parse_with_prefix(cidr, 16..=24).unwrap_err();
            assert!(message.contains(expected), "{cidr}: {message}");
            assert_eq!(message.matches("allowed:").count(), 1, "{cidr}: {message}");
        }
        assert_eq!(Ipv4Cidr::parse_with_prefix("10.20.0.0/20", 16..=24).unwrap().prefix(), 20);
    }

    #[derive(Debug, Deserialize)]
    struct Listed {
        #[serde(deserialize_with = "cpu")]
        cpu: u32,
    }

    fn cpu<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        one_of(d, &[256, 512, 1024], "a CPU value")
    }

    #[test]
    fn a_value_from_a_list_is_refused_with_the_list() {
        let parse = |text: &str| {
            let table = parse_clamping_oversized_integers(text).unwrap();
            from_table::<Listed>(Path::new("e.toml"), table)
        };
        assert_eq!(parse("cpu = 512").unwrap().cpu, 512);
        for text in ["cpu = 300", "cpu = 100000", "cpu = 2.5", "cpu = \"512\"", "cpu = -1"] {
            let message = parse(text).unwrap_err().message;
            assert!(message.contains("allowed: 256, 512, 1024"), "{text}: {message}");
            assert!(!message.contains(" to "), "{text}: a range, not the list: {message}");
        }
    }

    impl Validate for Listed {
        fn validate(&self) -> Vec<FieldError> {
            Vec::new()
        }
    }

    #[test]
    fn integers_beyond_64_bits_reach_the_key_check() {
        for (literal, limit) in [
            ("99999999999999999999", i64::MAX),
            ("18446744073709551615", i64::MAX),
            ("999999999999999999999999999999999999999999", i64::MAX),
            ("-99999999999999999999", i64::MIN),
            ("0xFFFFFFFFFFFFFFFFFFFF", i64::MAX),
        ] {
            let table = parse_clamping_oversized_integers(&format!("[network]\nmax_azs = {literal}\nname = \"x\"\n"))
                .unwrap_or_else(|e| panic!("{literal}: {e}"));
            assert_eq!(get_value(&table, "network.max_azs").and_then(|v| v.as_integer()), Some(limit));
            assert_eq!(get_value(&table, "network.name").and_then(|v| v.as_str()), Some("x"));
        }
        // Other parse errors are the parser's, about the text as written.
        let error = parse_clamping_oversized_integers("a = 99999999999999999999\nb = [").unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        assert!(is_integer_literal("+1_000") && is_integer_literal("0b101") && !is_integer_literal("1.5"));
        assert!(!is_integer_literal("\"12\"") && !is_integer_literal("0x") && !is_integer_literal("inf"));
        assert_eq!(shown_integer(i64::MAX), "a number of 9223372036854775807 or more");
    }

    #[test]
    fn a_symbolic_link_loop_is_named() {
        let dir = std::env::temp_dir().join(format!("cairn-link-loop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink("qa2.toml", dir.join("qa.toml")).unwrap();
        std::os::unix::fs::symlink("qa.toml", dir.join("qa2.toml")).unwrap();
        let message = read_table(&dir.join("qa.toml")).unwrap_err().message;
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(message.contains("symbolic link loop"), "{message}");
        assert!(!message.contains("os error"), "{message}");
    }

    #[test]
    fn unreadable_files_say_why_and_how_to_fix_it() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let message = unreadable(Path::new("/nonexistent/prod.toml"), &denied);
        assert!(message.contains("permission denied") && message.contains("chmod"), "{message}");
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(unreadable(Path::new("/nonexistent/prod.toml"), &missing), "file not found");
    }

    #[test]
    fn long_values_are_shortened() {
        assert_eq!(shown("db.t3.micro"), "db.t3.micro");
        let long = "x".repeat(500);
        let cut = shown(&long);
        assert!(cut.len() < 80 && cut.ends_with("(500 characters)"), "{cut}");
        assert_eq!(shown_number(2.5), "2.5");
        assert_eq!(shown_number(1e308), "1.000e308");
        let quoted = readable(&format!("invalid type: string \"{long}\", expected a whole number from 1 to 100"));
        assert!(
            quoted.len() < 150 && quoted.contains("allowed: a whole number from 1 to 100"),
            "{quoted}"
        );
    }

    #[test]
    fn dotted_keys() {
        let t: toml::Table = "a = 1\n[db]\nclass = \"x\"\n".parse().unwrap();
        assert_eq!(get_value(&t, "db.class").and_then(|v| v.as_str()), Some("x"));
        let u = with_value(&t, "db.class", Some(&toml::Value::String("y".into())));
        assert_eq!(get_value(&u, "db.class").and_then(|v| v.as_str()), Some("y"));
        let v = with_value(&t, "db.class", None);
        assert!(get_value(&v, "db.class").is_none());
    }
}
