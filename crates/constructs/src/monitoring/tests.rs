use super::*;

#[test]
fn max_connections_follow_the_postgres_formula() {
    assert_eq!(max_connections("db.t3.micro"), Some(112));
    assert_eq!(max_connections("db.t3.small"), Some(225));
    assert_eq!(max_connections("db.t3.medium"), Some(450));
    assert_eq!(max_connections("db.m7g.large"), Some(901));
    // Capped at 5000 from 48 GiB up.
    assert_eq!(max_connections("db.r6g.2xlarge"), Some(5000));
    assert_eq!(max_connections("db.r7g.large"), Some(1802));
    assert_eq!(max_connections("db.x2g.2xlarge"), Some(5000));
    assert_eq!(max_connections("db.x9.large"), None);
}
