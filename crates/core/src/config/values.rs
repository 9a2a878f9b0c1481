//! Typed values of environment files: account ids, regions, CIDR blocks, log retention.

use super::*;

/// A 12-digit AWS account id (written as a string, since leading zeros matter).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccountId(String);

impl AccountId {
    /// Parses an account id; the error says what is allowed.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 12 && s.chars().all(|c| c.is_ascii_digit()) {
            Ok(AccountId(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not an AWS account id; allowed: exactly 12 digits, as a string, e.g. \"123456789012\""
            ))
        }
    }
    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AccountId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An AWS region name such as `eu-west-1` or `us-gov-west-1`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Region(String);

impl Region {
    /// Parses a region name; the error says what is allowed.
    pub fn parse(s: &str) -> Result<Self, String> {
        if crate::regions::AWS_REGIONS.contains(&s) {
            Ok(Region(s.to_string()))
        } else {
            Err(format!(
                "`{}` is not an AWS region; allowed: {}",
                shown(s),
                crate::regions::AWS_REGIONS.join(", ")
            ))
        }
    }
    /// The region name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Region::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An IPv4 CIDR block whose address is the network address (`10.0.0.0/16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Cidr {
    address: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    /// A block from its address and prefix length; host bits must be zero.
    pub fn new(address: u32, prefix: u8) -> Result<Self, String> {
        if prefix > 32 {
            return Err(format!("prefix /{prefix} is larger than 32"));
        }
        let cidr = Ipv4Cidr { address, prefix };
        if address & !cidr.mask() != 0 {
            return Err(format!(
                "{} has host bits set; the network address is {}",
                Self::fmt_parts(address, prefix),
                Self::fmt_parts(address & cidr.mask(), prefix)
            ));
        }
        Ok(cidr)
    }

    /// Parses a block whose prefix must lie in `prefixes` (a VPC's: /16 to /24); every
    /// refusal says the allowed prefixes.
    pub fn parse_with_prefix(s: &str, prefixes: std::ops::RangeInclusive<u8>) -> Result<Self, String> {
        let allowed = format!("allowed: /{} to /{}", prefixes.start(), prefixes.end());
        let s = shown(s);
        // Text that is no block at all gets one "allowed:", with the prefixes in it.
        let (address, prefix) = Self::split(&s).ok_or_else(|| {
            format!(
                "`{s}` is not an IPv4 CIDR block; allowed: a.b.c.d/n with n from {} to {}, e.g. \"10.0.0.0/16\"",
                prefixes.start(),
                prefixes.end()
            )
        })?;
        let cidr = Ipv4Cidr::new(address, prefix).map_err(|e| format!("`{s}`: {e}; {allowed}"))?;
        if prefixes.contains(&cidr.prefix) {
            Ok(cidr)
        } else {
            Err(format!("{cidr} is a /{} block; {allowed}", cidr.prefix))
        }
    }

    /// Parses `a.b.c.d/n`; the error says what is allowed.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (address, prefix) =
            Self::split(s).ok_or_else(|| format!("`{s}` is not an IPv4 CIDR block; allowed: a.b.c.d/n, e.g. \"10.0.0.0/16\""))?;
        Ipv4Cidr::new(address, prefix).map_err(|e| format!("`{s}`: {e}"))
    }

    /// The address and prefix of `a.b.c.d/n`, or None when the text has another shape.
    fn split(s: &str) -> Option<(u32, u8)> {
        let (addr, prefix) = s.split_once('/')?;
        let octets: Vec<&str> = addr.split('.').collect();
        if octets.len() != 4 {
            return None;
        }
        let mut address: u32 = 0;
        for o in octets {
            let n: u8 = o.parse().ok()?;
            address = (address << 8) | u32::from(n);
        }
        Some((address, prefix.parse().ok()?))
    }

    fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    /// The prefix length (`16` in `10.0.0.0/16`).
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The network address as a number.
    pub fn address(&self) -> u32 {
        self.address
    }

    /// Number of addresses in the block.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// The last address of the block.
    pub fn last(&self) -> u32 {
        self.address | !self.mask()
    }

    /// Whether the two blocks share an address.
    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        self.address <= other.last() && other.address <= self.last()
    }

    /// Whether `other` lies inside this block.
    pub fn contains(&self, other: &Ipv4Cidr) -> bool {
        self.address <= other.address && other.last() <= self.last()
    }

    /// The `index`-th block of prefix `prefix` inside this one.
    pub fn subnet(&self, prefix: u8, index: u32) -> Option<Ipv4Cidr> {
        if prefix < self.prefix || prefix > 32 {
            return None;
        }
        let count = 1u64 << (prefix - self.prefix);
        if u64::from(index) >= count {
            return None;
        }
        let step = 1u64 << (32 - u32::from(prefix));
        let address = u64::from(self.address) + u64::from(index) * step;
        Ipv4Cidr::new(address as u32, prefix).ok()
    }

    fn fmt_parts(address: u32, prefix: u8) -> String {
        let o = address.to_be_bytes();
        format!("{}.{}.{}.{}/{prefix}", o[0], o[1], o[2], o[3])
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Self::fmt_parts(self.address, self.prefix))
    }
}

impl<'de> Deserialize<'de> for Ipv4Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ipv4Cidr::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A CloudWatch Logs retention period: one of the values CloudWatch accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LogRetentionDays(u32);

impl LogRetentionDays {
    /// The retention periods CloudWatch Logs accepts, in days.
    pub const ALLOWED: [u32; 22] = [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ];

    /// A retention period; the error lists the allowed values.
    pub fn new(days: u32) -> Result<Self, String> {
        if Self::ALLOWED.contains(&days) {
            Ok(LogRetentionDays(days))
        } else {
            let allowed: Vec<String> = Self::ALLOWED.iter().map(u32::to_string).collect();
            Err(format!(
                "{days} days is not a retention CloudWatch Logs accepts; allowed: {}",
                allowed.join(", ")
            ))
        }
    }

    /// The period in days.
    pub fn days(&self) -> u32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for LogRetentionDays {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_of(d, &Self::ALLOWED, "a retention CloudWatch Logs accepts (days)").map(LogRetentionDays)
    }
}
