//! Security-relevant changes, compared as sets: IAM statements (identity policies,
//! role trust and inline policies, bucket / queue / topic / key policies), managed
//! policies attached to roles, users and groups, and security-group rules (inline
//! on `AWS::EC2::SecurityGroup` or as separate ingress / egress resources).
//!
//! A statement or rule that changed is one removed and one added. Added Allow
//! statements, attached managed policies and added rules broaden access, as does
//! a removed Deny.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

use crate::canonical::{canon_string, canonical, is_intrinsic, Ctx};
use crate::compare::keys_union;
use crate::render::fmt::token;
use crate::{construct_path, Action, SecurityChange, SecurityDetail};

/// One IAM policy statement, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Where in the resource: `PolicyDocument`, `AssumeRolePolicyDocument`, `Policies[Name]`, `KeyPolicy`.
    pub document: String,
    /// The statement's `Sid`, if any.
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: String,
    /// Actions, or the excluded actions when `not_actions`.
    pub actions: Vec<String>,
    /// Whether the statement uses `NotAction`.
    pub not_actions: bool,
    /// Resources, or the excluded resources when `not_resources`.
    pub resources: Vec<String>,
    /// Whether the statement uses `NotResource`.
    pub not_resources: bool,
    /// `Service:ecs-tasks.amazonaws.com`, `AWS:arn:...`, `*`; for identity policies the
    /// roles, users or groups they are attached to (`role ${TaskRole}`).
    pub principals: Vec<String>,
    /// Whether the statement uses `NotPrincipal`.
    pub not_principal: bool,
    /// Compact JSON of the `Condition` block.
    pub condition: Option<String>,
    /// The statement as written.
    pub raw: Json,
}

/// A managed policy attached to a role, user or group.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedPolicy {
    /// The policy's ARN, as shown.
    pub arn: String,
    /// The attachment as written in the template.
    pub raw: Json,
}

/// The direction of a security-group rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Inbound.
    Ingress,
    /// Outbound.
    Egress,
}

impl Direction {
    /// `ingress` or `egress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// One security-group rule, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct SgRule {
    /// The group the rule belongs to (`${WebSg.GroupId}` or the group's logical ID).
    pub group: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// `tcp`, `udp`, `icmp`, `all`, ...
    pub protocol: String,
    /// `443`, `1024-65535`, `all`.
    pub ports: String,
    /// `0.0.0.0/0`, `sg ${LbSg.GroupId}`, `pl pl-123`.
    pub peer: String,
    /// The rule's description, if any.
    pub description: Option<String>,
    /// Whether the peer is the whole internet (`0.0.0.0/0`, `::/0`).
    pub public: bool,
    /// What an added rule widens (`widens 10.0.0.0/16 → 0.0.0.0/0`).
    pub widens: Option<String>,
    /// The rule as written in the template.
    pub raw: Json,
}

/// One extracted item with its identity for set comparison.
struct Item {
    key: String,
    change: SecurityChange,
}

/// Security changes between two `Resources` maps.
pub fn diff(old: &Map<String, Json>, new: &Map<String, Json>) -> Vec<SecurityChange> {
    let order: HashMap<&str, usize> = keys_union(old, new).into_iter().enumerate().map(|(i, k)| (k, i)).collect();
    let (old_items, new_items) = (extract(old), extract(new));
    let mut out: Vec<SecurityChange> = Vec::new();
    let mut pool: HashMap<&str, usize> = HashMap::new();
    for i in &new_items {
        *pool.entry(i.key.as_str()).or_default() += 1;
    }
    for i in &old_items {
        match pool.get_mut(i.key.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(with_action(&i.change, Action::Remove)),
        }
    }
    let mut pool: HashMap<&str, usize> = HashMap::new();
    for i in &old_items {
        *pool.entry(i.key.as_str()).or_default() += 1;
    }
    for i in &new_items {
        match pool.get_mut(i.key.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(with_action(&i.change, Action::Add)),
        }
    }
    note_widening(&mut out);
    let rank = |c: &SecurityChange| match c.detail {
        SecurityDetail::Statement(_) => 0,
        SecurityDetail::ManagedPolicy(_) => 1,
        SecurityDetail::Rule(_) => 2,
    };
    out.sort_by_key(|c| {
        (
            rank(c),
            order.get(c.logical_id.as_str()).copied().unwrap_or(usize::MAX),
            c.action != Action::Remove,
        )
    });
    out
}

fn with_action(c: &SecurityChange, action: Action) -> SecurityChange {
    let mut c = c.clone();
    c.action = action;
    c.broadening = match &c.detail {
        SecurityDetail::Statement(s) => (s.effect == "Allow") == (action == Action::Add),
        SecurityDetail::ManagedPolicy(_) | SecurityDetail::Rule(_) => action == Action::Add,
    };
    c
}

fn extract(resources: &Map<String, Json>) -> Vec<Item> {
    let mut out = Vec::new();
    for (id, res) in resources {
        let rtype = res.get("Type").and_then(Json::as_str).unwrap_or_default();
        let empty = Map::new();
        let props = res.get("Properties").and_then(Json::as_object).unwrap_or(&empty);
        let mut cx = Extractor {
            id,
            rtype,
            path: construct_path(res),
            out: &mut out,
        };
        match rtype {
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                let attached = attachments(props);
                cx.document("PolicyDocument", props.get("PolicyDocument"), Some(&attached));
            }
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                if rtype == "AWS::IAM::Role" {
                    cx.document("AssumeRolePolicyDocument", props.get("AssumeRolePolicyDocument"), None);
                }
                let kind = rtype.rsplit("::").next().unwrap_or("role").to_lowercase();
                let me = vec![format!("{kind} ${{{id}}}")];
                for p in props.get("Policies").and_then(Json::as_array).into_iter().flatten() {
                    let name = p.get("PolicyName").map(token).unwrap_or_else(|| "?".into());
                    cx.document(&format!("Policies[{name}]"), p.get("PolicyDocument"), Some(&me));
                }
                match props.get("ManagedPolicyArns") {
                    Some(Json::Array(arns)) => arns.iter().for_each(|a| cx.managed(a)),
                    Some(other) => cx.managed(other),
                    None => {}
                }
            }
            "AWS::S3::BucketPolicy" | "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" => {
                cx.document("PolicyDocument", props.get("PolicyDocument"), None);
            }
            "AWS::KMS::Key" => cx.document("KeyPolicy", props.get("KeyPolicy"), None),
            "AWS::EC2::SecurityGroup" => {
                let group = format!("${{{id}}}");
                for (key, dir) in [
                    ("SecurityGroupIngress", Direction::Ingress),
                    ("SecurityGroupEgress", Direction::Egress),
                ] {
                    for rule in props.get(key).and_then(Json::as_array).into_iter().flatten() {
                        cx.rule(&group, &group, dir, rule);
                    }
                }
            }
            "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                let dir = if rtype.ends_with("Ingress") {
                    Direction::Ingress
                } else {
                    Direction::Egress
                };
                let group_value = props.get("GroupId").or_else(|| props.get("GroupName"));
                let group = group_value.map(token).unwrap_or_else(|| "?".into());
                // Match on the group's logical ID when the rule refers to one.
                let group_key = group_value
                    .and_then(|g| crate::canonical::referenced_ids(g).into_iter().next())
                    .map(|g| format!("${{{g}}}"))
                    .unwrap_or_else(|| group.clone());
                cx.rule(&group_key, &group, dir, &Json::Object(props.clone()));
            }
            _ => {}
        }
    }
    out
}

/// `role ${TaskRole}` for each role, user and group a policy is attached to.
fn attachments(props: &Map<String, Json>) -> Vec<String> {
    let mut out = Vec::new();
    for (key, kind) in [("Roles", "role"), ("Users", "user"), ("Groups", "group")] {
        for v in props.get(key).and_then(Json::as_array).into_iter().flatten() {
            out.push(format!("{kind} {}", token(v)));
        }
    }
    out.sort();
    out
}

struct Extractor<'a> {
    id: &'a str,
    rtype: &'a str,
    path: Option<String>,
    out: &'a mut Vec<Item>,
}

impl Extractor<'_> {
    fn push(&mut self, key: String, detail: SecurityDetail) {
        self.out.push(Item {
            key: format!("{}\u{1}{key}", self.id),
            change: SecurityChange {
                logical_id: self.id.to_string(),
                resource_type: self.rtype.to_string(),
                path: self.path.clone(),
                action: Action::Add,
                broadening: false,
                detail,
            },
        });
    }

    fn document(&mut self, name: &str, doc: Option<&Json>, attached: Option<&[String]>) {
        let Some(doc) = doc else { return };
        let statements: Vec<&Json> = match doc.get("Statement") {
            Some(Json::Array(a)) => a.iter().collect(),
            Some(one) => vec![one],
            // A document that is an intrinsic (`Fn::If`) is compared as a whole.
            None => vec![doc],
        };
        for s in statements {
            let st = statement(name, s, attached);
            let mut identity = canonical(s);
            if let Some(m) = identity.as_object_mut() {
                m.shift_remove("Sid");
            }
            let key = format!("{name}\u{1}{}\u{1}{}", identity, attached.map(|a| a.join(",")).unwrap_or_default());
            self.push(key, SecurityDetail::Statement(st));
        }
    }

    fn managed(&mut self, arn: &Json) {
        let key = format!("managed\u{1}{}", canon_string(arn, Ctx::Plain));
        self.push(
            key,
            SecurityDetail::ManagedPolicy(ManagedPolicy {
                arn: token(arn),
                raw: arn.clone(),
            }),
        );
    }

    fn rule(&mut self, group_key: &str, group: &str, direction: Direction, rule: &Json) {
        let Some(r) = rule.as_object().filter(|_| !is_intrinsic(rule)) else {
            return;
        };
        let field = |k: &str| r.get(k).map(|v| canon_string(v, Ctx::Plain).trim_matches('"').to_string());
        let protocol = match field("IpProtocol").as_deref() {
            Some("-1") | Some("all") | None => "all".to_string(),
            Some("6") => "tcp".to_string(),
            Some("17") => "udp".to_string(),
            Some("1") => "icmp".to_string(),
            Some("58") => "icmpv6".to_string(),
            Some(p) => r
                .get("IpProtocol")
                .filter(|v| is_intrinsic(v))
                .map(token)
                .unwrap_or_else(|| p.to_lowercase()),
        };
        let ports = match (field("FromPort"), field("ToPort")) {
            _ if protocol == "all" => "all".to_string(),
            (Some(f), Some(t)) if f == "-1" || t == "-1" => "all".to_string(),
            (Some(f), Some(t)) if f == t => f,
            (Some(f), Some(t)) => format!("{f}-{t}"),
            (Some(f), None) | (None, Some(f)) => f,
            (None, None) => "all".to_string(),
        };
        let peer_fields = [
            ("CidrIp", ""),
            ("CidrIpv6", ""),
            ("SourceSecurityGroupId", "sg "),
            ("SourceSecurityGroupName", "sg "),
            ("DestinationSecurityGroupId", "sg "),
            ("SourcePrefixListId", "pl "),
            ("DestinationPrefixListId", "pl "),
        ];
        let mut peers: Vec<String> = peer_fields
            .iter()
            .filter_map(|(k, prefix)| r.get(*k).map(|v| format!("{prefix}{}", token(v))))
            .collect();
        if let Some(owner) = r.get("SourceSecurityGroupOwnerId") {
            peers.push(format!("account {}", token(owner)));
        }
        let peer = if peers.is_empty() { "(none)".to_string() } else { peers.join(" ") };
        let public = matches!(peer.as_str(), "0.0.0.0/0" | "::/0");
        let key = format!(
            "rule\u{1}{group_key}\u{1}{}\u{1}{protocol}\u{1}{ports}\u{1}{peer}",
            direction.as_str()
        );
        self.push(
            key,
            SecurityDetail::Rule(SgRule {
                group: group.to_string(),
                direction,
                protocol,
                ports,
                peer,
                description: r.get("Description").map(token),
                public,
                widens: None,
                raw: rule.clone(),
            }),
        );
    }
}

fn statement(document: &str, s: &Json, attached: Option<&[String]>) -> Statement {
    let Some(m) = s.as_object().filter(|_| !is_intrinsic(s)) else {
        return Statement {
            document: document.to_string(),
            sid: None,
            effect: "?".to_string(),
            actions: vec![crate::render::fmt::inline(s)],
            not_actions: false,
            resources: Vec::new(),
            not_resources: false,
            principals: Vec::new(),
            not_principal: false,
            condition: None,
            raw: s.clone(),
        };
    };
    let list = |k: &str| -> Vec<String> {
        match m.get(k) {
            None => Vec::new(),
            Some(Json::Array(a)) => a.iter().map(token).collect(),
            Some(v) => vec![token(v)],
        }
    };
    let (actions, not_actions) = if m.contains_key("NotAction") {
        (list("NotAction"), true)
    } else {
        (list("Action"), false)
    };
    let (resources, not_resources) = if m.contains_key("NotResource") {
        (list("NotResource"), true)
    } else {
        (list("Resource"), false)
    };
    let not_principal = m.contains_key("NotPrincipal");
    let principal = m.get("Principal").or_else(|| m.get("NotPrincipal"));
    let principals = match (principal, attached) {
        (Some(p), _) => principal_list(p),
        (None, Some(a)) => a.to_vec(),
        (None, None) => Vec::new(),
    };
    Statement {
        document: document.to_string(),
        sid: m.get("Sid").and_then(Json::as_str).map(str::to_string),
        effect: m.get("Effect").map(token).unwrap_or_else(|| "?".into()),
        actions,
        not_actions,
        resources,
        not_resources,
        principals,
        not_principal,
        condition: m.get("Condition").map(|c| canonical(c).to_string()),
        raw: s.clone(),
    }
}

fn principal_list(p: &Json) -> Vec<String> {
    match p.as_object().filter(|_| !is_intrinsic(p)) {
        Some(m) => {
            let mut out = Vec::new();
            for (kind, v) in m {
                match v {
                    Json::Array(a) => out.extend(a.iter().map(|x| format!("{kind}:{}", token(x)))),
                    other => out.push(format!("{kind}:{}", token(other))),
                }
            }
            out
        }
        None => vec![token(p)],
    }
}

/// Marks added rules that reopen a removed narrower rule (`10.0.0.0/16` → `0.0.0.0/0`, `443` → `all`).
fn note_widening(changes: &mut [SecurityChange]) {
    let removed: Vec<SgRule> = changes
        .iter()
        .filter(|c| c.action == Action::Remove)
        .filter_map(|c| match &c.detail {
            SecurityDetail::Rule(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    for c in changes.iter_mut().filter(|c| c.action == Action::Add) {
        let SecurityDetail::Rule(added) = &mut c.detail else { continue };
        let wider = removed.iter().find(|old| {
            old.group == added.group
                && old.direction == added.direction
                && (old.protocol == added.protocol || added.protocol == "all")
                && port_within(&old.ports, &added.ports)
                && peer_within(&old.peer, &added.peer)
        });
        if let Some(old) = wider {
            let mut parts = Vec::new();
            if old.peer != added.peer {
                parts.push(format!("{} → {}", old.peer, added.peer));
            }
            if old.ports != added.ports {
                parts.push(format!("ports {} → {}", old.ports, added.ports));
            }
            if old.protocol != added.protocol {
                parts.push(format!("{} → {}", old.protocol, added.protocol));
            }
            if !parts.is_empty() {
                added.widens = Some(format!("widens {}", parts.join(", ")));
            }
        }
    }
}

fn port_range(p: &str) -> Option<(i64, i64)> {
    if p == "all" {
        return Some((-1, 65535));
    }
    match p.split_once('-') {
        Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
        None => p.parse().ok().map(|x| (x, x)),
    }
}

fn port_within(narrow: &str, wide: &str) -> bool {
    match (port_range(narrow), port_range(wide)) {
        (Some((a, b)), Some((c, d))) => c <= a && b <= d,
        _ => narrow == wide,
    }
}

fn cidr4(s: &str) -> Option<(u32, u32)> {
    let (addr, len) = s.split_once('/')?;
    let len: u32 = len.parse().ok().filter(|l| *l <= 32)?;
    let octets: Vec<u32> = addr
        .split('.')
        .map(|o| o.parse::<u8>().ok().map(u32::from))
        .collect::<Option<_>>()?;
    if octets.len() != 4 {
        return None;
    }
    let ip = octets.iter().fold(0u32, |acc, o| (acc << 8) | o);
    Some((ip, len))
}

/// Whether every address of `narrow` is in `wide`.
fn peer_within(narrow: &str, wide: &str) -> bool {
    if narrow == wide || (wide == "::/0" && narrow.contains(':')) {
        return true;
    }
    match (cidr4(narrow), cidr4(wide)) {
        (Some((n, nl)), Some((w, wl))) => {
            let mask = if wl == 0 { 0 } else { u32::MAX << (32 - wl) };
            wl <= nl && (n & mask) == (w & mask)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn res(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn cidr_containment() {
        assert!(peer_within("10.0.0.0/16", "10.0.0.0/8"));
        assert!(peer_within("10.1.2.0/24", "0.0.0.0/0"));
        assert!(!peer_within("10.0.0.0/8", "10.0.0.0/16"));
        assert!(!peer_within("192.168.0.0/16", "10.0.0.0/8"));
        assert!(port_within("443", "all") && port_within("443", "0-65535") && !port_within("0-65535", "443"));
    }

    #[test]
    fn added_allow_broadens_removed_allow_does_not_and_reordering_is_nothing() {
        let old = res(
            json!({"P": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "R"}], "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": ["a:B", "a:C"], "Resource": "*"},
                {"Effect": "Allow", "Action": "x:Y", "Resource": "arn:x"}
            ]}}}}),
        );
        let reordered = res(
            json!({"P": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "R"}], "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": "x:Y", "Resource": ["arn:x"]},
                {"Effect": "Allow", "Action": ["a:C", "a:B"], "Resource": "*"}
            ]}}}}),
        );
        assert!(diff(&old, &reordered).is_empty());
        let new = res(
            json!({"P": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "R"}], "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": ["a:B", "a:C"], "Resource": "*"},
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
            ]}}}}),
        );
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 2);
        assert_eq!((changes[0].action, changes[0].broadening), (Action::Remove, false));
        assert_eq!((changes[1].action, changes[1].broadening), (Action::Add, true));
        let SecurityDetail::Statement(s) = &changes[1].detail else {
            panic!("a statement")
        };
        assert_eq!(
            (s.actions.clone(), s.resources.clone()),
            (vec!["s3:*".to_string()], vec!["*".to_string()])
        );
        assert_eq!(s.principals, ["role ${R}"]);
    }

    #[test]
    fn widened_ingress_is_noted() {
        let sg = |cidr: &str| {
            res(
                json!({"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web", "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": cidr}
                ]}}}),
            )
        };
        let changes = diff(&sg("10.0.0.0/16"), &sg("0.0.0.0/0"));
        assert_eq!(changes.len(), 2);
        let SecurityDetail::Rule(r) = &changes[1].detail else {
            panic!("a rule")
        };
        assert!(changes[1].broadening && r.public);
        assert_eq!(r.widens.as_deref(), Some("widens 10.0.0.0/16 → 0.0.0.0/0"));
        assert_eq!(
            (r.protocol.as_str(), r.ports.as_str(), r.direction),
            ("tcp", "443", Direction::Ingress)
        );
    }
}
