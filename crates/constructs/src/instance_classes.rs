//! Memory of the RDS instance classes that run PostgreSQL, for the database
//! alarms (`max_connections` follows from it).
//!
//! Source: AWS documentation, "Hardware specifications for DB instance classes"
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html>)
//! and "Supported DB engines for DB instance classes", current generation, as of
//! 2026-11. Within a family every size has the same memory per vCPU (`large` is
//! 2 vCPUs, `xlarge` 4, `Nxlarge` 4×N), so a family is one row: its memory per vCPU
//! and the sizes RDS offers. The burstable classes (`t3`, `t4g`) are the exception,
//! with their own memory per size.

/// One family of instance classes (`db.m7g`).
struct Family {
    name: &'static str,
    /// GiB of memory per vCPU; 0 for the burstable families ([`BURSTABLE_GIB`]).
    gib_per_vcpu: u32,
    sizes: &'static [&'static str],
}

/// Memory of the burstable sizes (db.t3 and db.t4g), GiB.
const BURSTABLE_GIB: &[(&str, u32)] = &[
    ("micro", 1),
    ("small", 2),
    ("medium", 4),
    ("large", 8),
    ("xlarge", 16),
    ("2xlarge", 32),
];

const BURSTABLE: &[&str] = &["micro", "small", "medium", "large", "xlarge", "2xlarge"];
const UP_TO_16X: &[&str] = &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
const UP_TO_24X: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
];
const UP_TO_32X: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge",
];
const UP_TO_48X: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge",
];

const fn family(name: &'static str, gib_per_vcpu: u32, sizes: &'static [&'static str]) -> Family {
    Family { name, gib_per_vcpu, sizes }
}

/// The current-generation families RDS for PostgreSQL runs on.
const FAMILIES: &[Family] = &[
    // Burstable.
    family("t3", 0, BURSTABLE),
    family("t4g", 0, BURSTABLE),
    // General purpose: 4 GiB per vCPU.
    family("m5", 4, UP_TO_24X),
    family("m5d", 4, UP_TO_24X),
    family("m6g", 4, UP_TO_16X),
    family("m6gd", 4, UP_TO_16X),
    family("m6i", 4, UP_TO_32X),
    family("m6id", 4, UP_TO_32X),
    family("m6idn", 4, UP_TO_32X),
    family("m6in", 4, UP_TO_32X),
    family("m7g", 4, UP_TO_16X),
    family("m7i", 4, UP_TO_48X),
    family("m8g", 4, UP_TO_48X),
    family("m8gd", 4, UP_TO_48X),
    // Memory optimized: 8 GiB per vCPU.
    family("r5", 8, UP_TO_24X),
    family("r5b", 8, UP_TO_24X),
    family("r5d", 8, UP_TO_24X),
    family("r6g", 8, UP_TO_16X),
    family("r6gd", 8, UP_TO_16X),
    family("r6i", 8, UP_TO_32X),
    family("r6id", 8, UP_TO_32X),
    family("r6idn", 8, UP_TO_32X),
    family("r6in", 8, UP_TO_32X),
    family("r7g", 8, UP_TO_16X),
    family("r7i", 8, UP_TO_48X),
    family("r8g", 8, UP_TO_48X),
    family("r8gd", 8, UP_TO_48X),
    // Memory optimized, 16 GiB per vCPU (x2idn and x2iedn run Oracle and SQL Server only).
    family("x2g", 16, UP_TO_16X),
];

/// vCPUs of a non-burstable size: `large` 2, `xlarge` 4, `Nxlarge` 4×N.
fn vcpus(size: &str) -> Option<u32> {
    match size {
        "large" => Some(2),
        "xlarge" => Some(4),
        _ => size.strip_suffix("xlarge")?.parse::<u32>().ok().map(|n| 4 * n),
    }
}

/// Memory (GiB) of an RDS instance class such as `db.r7g.large`; `None` for a class
/// RDS for PostgreSQL does not offer (or cairn does not know yet).
pub fn memory_gib(instance_class: &str) -> Option<u32> {
    let mut parts = instance_class.split('.');
    let (Some("db"), Some(name), Some(size), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let family = FAMILIES.iter().find(|f| f.name == name)?;
    if !family.sizes.contains(&size) {
        return None;
    }
    if family.gib_per_vcpu == 0 {
        return BURSTABLE_GIB.iter().find(|(s, _)| *s == size).map(|(_, gib)| *gib);
    }
    Some(family.gib_per_vcpu * vcpus(size)?)
}

/// How to correct an instance class [`memory_gib`] does not know: the sizes of its
/// family when the family is known, else the families.
pub fn fix(instance_class: &str) -> String {
    let name = instance_class.strip_prefix("db.").and_then(|rest| rest.split('.').next());
    match FAMILIES.iter().find(|f| Some(f.name) == name) {
        Some(f) => format!("use a size RDS offers in db.{}: {}", f.name, f.sizes.join(", ")),
        None => {
            let families: Vec<String> = FAMILIES.iter().map(|f| format!("db.{}", f.name)).collect();
            format!(
                "use `db.<family>.<size>` of a current family, e.g. \"db.m7g.large\"; families: {}",
                families.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_of_current_classes_matches_the_aws_table() {
        // Spot checks against the AWS hardware specifications table.
        for (class, gib) in [
            ("db.t3.micro", 1),
            ("db.t4g.2xlarge", 32),
            ("db.m5.large", 8),
            ("db.m6i.large", 8),
            ("db.m6id.32xlarge", 512),
            ("db.m6in.xlarge", 16),
            ("db.m7i.48xlarge", 768),
            ("db.m8g.large", 8),
            ("db.m8g.48xlarge", 768),
            ("db.r5.24xlarge", 768),
            ("db.r6gd.xlarge", 32),
            ("db.r6i.32xlarge", 1024),
            ("db.r7g.large", 16),
            ("db.r7i.2xlarge", 64),
            ("db.r8g.16xlarge", 512),
            ("db.x2g.large", 32),
            ("db.x2g.16xlarge", 1024),
            ("db.r8gd.large", 16),
        ] {
            assert_eq!(memory_gib(class), Some(gib), "{class}");
        }
    }

    #[test]
    fn sizes_and_families_rds_does_not_offer_are_unknown() {
        for class in [
            "db.m7g.24xlarge", // m7g stops at 16xlarge
            "db.m6g.32xlarge",
            "db.t3.4xlarge",
            "db.t3.nano",
            "db.m5.3xlarge",
            "db.m8g.metal",
            "db.z9.large",
            "db.x2iedn.xlarge", // Oracle and SQL Server only
            "db.m7g",
            "m7g.large",
            "db.m7g.large.extra",
            "",
        ] {
            assert_eq!(memory_gib(class), None, "{class}");
        }
        assert!(fix("db.m7g.24xlarge").contains("db.m7g: large, xlarge"));
        assert!(fix("db.z9.large").contains("db.t3, db.t4g, db.m5"));
    }
}
