//! Whether an update replaces a resource, from CloudFormation's own resource
//! schemas (`createOnlyProperties`, and the conditionally create-only ones, in
//! [`cairn_core::schema`]), and which replacements or removals put data at risk.

use serde_json::{Map, Value as Json};

use crate::canonical::{canon_eq_in, child_ctx, referenced_ids, Ctx};
use crate::{Action, DataRisk, PathSegment, PropertyChange, Replacement, ResourceChange, RiskCause, SecurityImpact};
use cairn_core::schema;

/// Types that hold data which is gone when the resource is deleted.
pub const STATEFUL_TYPES: &[&str] = &[
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::EFS::FileSystem",
    "AWS::Logs::LogGroup",
    "AWS::KMS::Key",
    "AWS::SecretsManager::Secret",
    "AWS::Kinesis::Stream",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::CacheCluster",
    "AWS::OpenSearchService::Domain",
    "AWS::DocDB::DBCluster",
    "AWS::Neptune::DBCluster",
    "AWS::Redshift::Cluster",
    "AWS::Cognito::UserPool",
    "AWS::Backup::BackupVault",
    "AWS::EC2::Volume",
];

/// Types known to hold no data that a deletion loses (network, permissions,
/// compute definitions, alarms, ...). Every type in neither list may hold data:
/// cairn counts its removal or replacement as a data risk (fail closed).
pub const STATELESS_TYPES: &[&str] = &[
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::CertificateManager::Certificate",
    "AWS::CloudFront::Distribution",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::CompositeAlarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::EC2::EIP",
    "AWS::EC2::FlowLog",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::Route",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::Subnet",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::ECS::Cluster",
    "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::Events::Rule",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::KMS::Alias",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::RDS::DBParameterGroup",
    "AWS::RDS::DBSubnetGroup",
    "AWS::Route53::RecordSet",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
];

/// Known to hold data that is gone when the resource is deleted.
pub fn is_stateful(resource_type: &str) -> bool {
    STATEFUL_TYPES.contains(&resource_type)
}

/// Neither known stateful nor known stateless: it may hold data.
pub fn is_unknown_statefulness(resource_type: &str) -> bool {
    !is_stateful(resource_type) && !STATELESS_TYPES.contains(&resource_type)
}

/// Whether removing or replacing the type may lose data: known stateful, or unknown (fail closed).
pub fn may_hold_data(resource_type: &str) -> bool {
    !STATELESS_TYPES.contains(&resource_type)
}

/// The types CloudFormation's `Snapshot` deletion policy applies to (the DeletionPolicy
/// attribute's documentation); on any other type a `Snapshot` policy keeps no data.
pub const SNAPSHOT_TYPES: &[&str] = &[
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::EC2::Volume",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::Neptune::DBCluster",
    "AWS::Redshift::Cluster",
    "AWS::DocDB::DBCluster",
];

/// Sets each property change's and the resource's replacement.
pub fn assess(change: &mut ResourceChange) {
    let empty = Map::new();
    let props = |r: &Option<Json>| -> Map<String, Json> {
        r.as_ref()
            .and_then(|r| r.get("Properties"))
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (op, np) = (props(&change.old), props(&change.new));
    let info = schema::resource_type(&change.resource_type);

    // Create-only paths whose value differs, with what that does.
    let mut forcing: Vec<(Vec<&str>, Replacement)> = Vec::new();
    if let Some(info) = info {
        for (paths, kind) in [
            (info.create_only(), Replacement::Always),
            (info.conditional_create_only(), Replacement::Conditional),
        ] {
            for p in paths {
                let segs: Vec<&str> = p.split('/').collect();
                if !same_at(&op, &np, &segs) {
                    forcing.push((segs, kind));
                }
            }
        }
    }

    for c in &mut change.property_changes {
        c.replacement = match c.attribute.as_str() {
            // CloudFormation cannot update a resource into another type.
            "Type" => Replacement::Always,
            "Properties" if info.is_none() => Replacement::Unknown,
            "Properties" => forcing
                .iter()
                .filter(|(segs, _)| overlaps(&c.path, segs))
                .map(|(_, k)| *k)
                .max()
                .unwrap_or(Replacement::None),
            _ => Replacement::None,
        };
        if change.resource_type == DYNAMODB_TABLE && changes_key_attribute(c, &op, &np) {
            c.replacement = Replacement::Always;
        }
    }
    change.replacement = change.property_changes.iter().map(|c| c.replacement).max().unwrap_or_default();
}

const DYNAMODB_TABLE: &str = "AWS::DynamoDB::Table";

/// A DynamoDB table's key attributes cannot change type in place: CloudFormation
/// documents a key schema change as a replacement, and the `AttributeDefinitions`
/// entry of a key attribute is part of that key (its type). The registry schema
/// cannot say this (`AttributeDefinitions` also lists index keys, which update in place).
fn changes_key_attribute(c: &PropertyChange, old: &Map<String, Json>, new: &Map<String, Json>) -> bool {
    let [PathSegment::Key(k), PathSegment::Index(i), ..] = c.path.as_slice() else {
        return false;
    };
    if c.attribute != "Properties" || k != "AttributeDefinitions" {
        return false;
    }
    // Indexes point into `new` for added and modified elements, into `old` for removed ones.
    let side = if c.action == Action::Remove { old } else { new };
    let name = side
        .get("AttributeDefinitions")
        .and_then(|d| d.get(*i))
        .and_then(|d| d.get("AttributeName"))
        .and_then(Json::as_str);
    let Some(name) = name else { return false };
    [old, new].iter().any(|props| {
        props
            .get("KeySchema")
            .and_then(Json::as_array)
            .is_some_and(|keys| keys.iter().any(|k| k.get("AttributeName").and_then(Json::as_str) == Some(name)))
    })
}

/// Whether a change at `path` touches the create-only property at `segs` (one
/// contains the other).
fn overlaps(path: &[PathSegment], segs: &[&str]) -> bool {
    path.iter().zip(segs).all(|(p, s)| matches!(p, PathSegment::Key(k) if k == s))
}

/// The value at `segs` inside `props`, with the comparison context of its place.
fn value_at<'a>(props: &'a Map<String, Json>, segs: &[&str]) -> (Option<&'a Json>, Ctx) {
    let mut ctx = Ctx::Plain;
    let mut obj = props;
    for (i, s) in segs.iter().enumerate() {
        ctx = child_ctx(ctx, obj, s);
        let Some(v) = obj.get(*s) else { return (None, ctx) };
        if i + 1 == segs.len() {
            return (Some(v), ctx);
        }
        match v.as_object() {
            Some(m) => obj = m,
            None => return (Some(v), ctx),
        }
    }
    (None, ctx)
}

fn same_at(old: &Map<String, Json>, new: &Map<String, Json>, segs: &[&str]) -> bool {
    let ((a, ctx), (b, _)) = (value_at(old, segs), value_at(new, segs));
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => canon_eq_in(a, b, ctx),
        _ => false,
    }
}

/// A create-only property that refers to a replaced resource gets a new value
/// once that resource is replaced, so its own resource may be replaced too. Marks
/// such resources (adding unchanged ones to the diff) until nothing changes.
pub fn propagate(changes: &mut Vec<ResourceChange>, new_resources: &Map<String, Json>) {
    for _ in 0..=new_resources.len() {
        let replaced: Vec<String> = changes
            .iter()
            .filter(|c| c.action == Action::Modify && c.replacement.replaces())
            .map(|c| c.logical_id.clone())
            .collect();
        if replaced.is_empty() {
            return;
        }
        let mut progressed = false;
        for (id, resource) in new_resources {
            let Some(rtype) = resource.get("Type").and_then(Json::as_str) else {
                continue;
            };
            let props = resource.get("Properties").and_then(Json::as_object);
            let Some(props) = props else { continue };
            // Without facts about the type, any property may be create-only (fail closed).
            let (paths, kind): (Vec<&str>, Replacement) = match schema::resource_type(rtype) {
                Some(info) => (
                    info.create_only().chain(info.conditional_create_only()).collect(),
                    Replacement::Conditional,
                ),
                None => (props.keys().map(String::as_str).collect(), Replacement::Unknown),
            };
            let existing = changes.iter().position(|c| &c.logical_id == id);
            if let Some(i) = existing {
                if changes[i].action == Action::Add || changes[i].replacement.replaces() {
                    continue;
                }
            }
            let mut reasons = Vec::new();
            for p in paths {
                let segs: Vec<&str> = p.split('/').collect();
                if let (Some(v), _) = value_at(props, &segs) {
                    for target in referenced_ids(v) {
                        if target != *id && replaced.contains(&target) {
                            reasons.push(format!("{p} refers to {target}, which is replaced"));
                        }
                    }
                }
            }
            if reasons.is_empty() {
                continue;
            }
            progressed = true;
            match existing {
                Some(i) => {
                    changes[i].replacement = kind;
                    changes[i].replacement_reasons = reasons;
                }
                None => {
                    let body = without_path(resource);
                    changes.push(ResourceChange {
                        logical_id: id.clone(),
                        resource_type: rtype.to_string(),
                        path: crate::construct_path(resource),
                        action: Action::Modify,
                        property_changes: Vec::new(),
                        replacement: kind,
                        replacement_reasons: reasons,
                        security_impact: SecurityImpact::None,
                        risk: None,
                        old: Some(body.clone()),
                        new: Some(body),
                    });
                }
            }
        }
        if !progressed {
            return;
        }
    }
}

fn without_path(resource: &Json) -> Json {
    crate::compare::without_path_metadata(resource)
}

/// Data at risk when a resource that may hold data (known stateful, or a type cairn
/// does not know) is removed or replaced.
pub fn data_risk(change: &ResourceChange) -> Option<DataRisk> {
    if !may_hold_data(&change.resource_type) {
        return None;
    }
    let (cause, policy_of, attribute) = match (change.action, change.replacement) {
        (Action::Remove, _) => (RiskCause::Remove, &change.old, "DeletionPolicy"),
        (Action::Modify, Replacement::Always) => (RiskCause::Replace, &change.new, "UpdateReplacePolicy"),
        // Unknown counts as possible: cairn cannot rule the replacement out.
        (Action::Modify, Replacement::Conditional | Replacement::Unknown) => (RiskCause::MayReplace, &change.new, "UpdateReplacePolicy"),
        _ => return None,
    };
    let policy = policy_of.as_ref().and_then(|r| r.get(attribute)).and_then(Json::as_str);
    let kept_by = match policy {
        Some(p @ ("Retain" | "RetainExceptOnCreate")) => Some(format!("{attribute}: {p}")),
        Some(p @ "Snapshot") if SNAPSHOT_TYPES.contains(&change.resource_type.as_str()) => Some(format!("{attribute}: {p}")),
        // `Snapshot` on a type that cannot be snapshotted keeps nothing: the resource is deleted.
        _ => None,
    };
    let ignored_policy = (policy == Some("Snapshot") && kept_by.is_none()).then(|| format!("{attribute}: Snapshot"));
    Some(DataRisk {
        cause,
        kept_by,
        ignored_policy,
        unknown_type: is_unknown_statefulness(&change.resource_type),
    })
}
