//! Typed AWS constructs with secure defaults, one module per service.
//!
//! Each construct reads like its AWS resource: a `Props` struct with documented
//! fields and `Default`s, a constructor `new(scope, id, props)`, typed accessors
//! (`arn()`, `name()`, `url()`) usable as references from any stack of the same
//! environment, and `grant_*` methods that add least-privilege statements.

pub mod dynamodb;
pub mod iam;
pub mod removal;
pub mod s3;
pub mod sqs;

pub use dynamodb::{Attribute, Table, TableProps};
pub use iam::{Grantable, PolicyStatement, Role, RoleProps, ServicePrincipal};
pub use s3::{Bucket, BucketProps};
pub use sqs::{DeadLetter, Queue, QueueProps};
