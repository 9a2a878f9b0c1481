//! [`SecurityGroup`]s, their [`Port`]s and connection rules.

use super::*;

/// A network protocol and port range of a security-group rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Port {
    protocol: Protocol,
    from: u16,
    to: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Protocol {
    Tcp,
    Udp,
    All,
}

impl Port {
    /// One TCP port.
    pub fn tcp(port: u16) -> Port {
        Port {
            protocol: Protocol::Tcp,
            from: port,
            to: port,
        }
    }
    /// `from..=to` (`from` must not be larger than `to`; swapped if it is).
    pub fn tcp_range(from: u16, to: u16) -> Port {
        Port {
            protocol: Protocol::Tcp,
            from: from.min(to),
            to: from.max(to),
        }
    }
    /// One UDP port.
    pub fn udp(port: u16) -> Port {
        Port {
            protocol: Protocol::Udp,
            from: port,
            to: port,
        }
    }
    /// Every protocol and port.
    pub fn all_traffic() -> Port {
        Port {
            protocol: Protocol::All,
            from: 0,
            to: 65535,
        }
    }

    /// `tcp 5432`, `tcp 1024-2048`, `all`: used in rule ids.
    pub fn label(&self) -> String {
        let proto = match self.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::All => return "all".to_string(),
        };
        if self.from == self.to {
            format!("{proto} {}", self.from)
        } else {
            format!("{proto} {}-{}", self.from, self.to)
        }
    }

    /// The rule's `IpProtocol`: `tcp`, `udp`, or `-1` for every protocol.
    fn ip_protocol(&self) -> &'static str {
        match self.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::All => "-1",
        }
    }

    /// The rule's `FromPort`; none for every protocol (`-1` takes no ports).
    fn first_port(&self) -> Option<Val<i64>> {
        (self.protocol != Protocol::All).then(|| self.from.into())
    }

    /// The rule's `ToPort`; none for every protocol.
    fn last_port(&self) -> Option<Val<i64>> {
        (self.protocol != Protocol::All).then(|| self.to.into())
    }
}

/// Props of a [`SecurityGroup`].
#[derive(Debug, Clone, Default)]
pub struct SecurityGroupProps {
    /// Group description (create-only). `None`: derived from the construct path, so it
    /// is the same in every environment.
    pub description: Option<String>,
    /// Allow all outbound traffic. Default `false`: no egress until a rule allows it.
    pub allow_all_outbound: bool,
}

/// Something that has a security group (services, databases).
pub trait Connectable {
    /// The security group of the construct.
    fn security_group(&self) -> &SecurityGroup;
}

/// A security group. Rules to and from other groups are separate
/// `SecurityGroupIngress`/`SecurityGroupEgress` resources; rules with CIDR peers are
/// inline, read at synthesis from the lists below (the group is built once). No egress by
/// default.
#[derive(Clone)]
pub struct SecurityGroup {
    scope: Scope,
    group: CfnSecurityGroup,
    allow_all_outbound: bool,
    /// Rule ids already added (adding the same rule twice is a no-op).
    rules: Rc<RefCell<BTreeSet<String>>>,
    /// The inline rules with CIDR peers, in the order added.
    inline: Rc<RefCell<InlineRules>>,
}

/// The inline rules of a group, read by its lazy `SecurityGroupIngress`/`SecurityGroupEgress`.
#[derive(Default)]
struct InlineRules {
    ingress: Vec<security_group::Ingress>,
    egress: Vec<security_group::Egress>,
}

impl Connectable for SecurityGroup {
    fn security_group(&self) -> &SecurityGroup {
        self
    }
}

/// The placeholder egress rule that replaces CloudFormation's default allow-all
/// egress (same as the AWS CDK's): ICMP type 252 code 86 to 255.255.255.255/32.
fn disallow_all_egress() -> security_group::Egress {
    security_group::Egress {
        cidr_ip: Some("255.255.255.255/32".into()),
        description: Some("Disallow all traffic".into()),
        from_port: Some(252.into()),
        to_port: Some(86.into()),
        ..security_group::Egress::new("icmp")
    }
}

/// Which inline rule list of a security group a CIDR rule goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

impl SecurityGroup {
    /// Adds the group `id` in `vpc` under `scope`.
    pub fn new(scope: impl Into<Scope>, id: &str, vpc: &Vpc, props: SecurityGroupProps) -> Result<SecurityGroup> {
        let scope = scope.into().child(id)?;
        let description = props
            .description
            .clone()
            .unwrap_or_else(|| format!("{} security group", scope.name_path()));
        check_description(&scope, "description", &description)?;
        let inline: Rc<RefCell<InlineRules>> = Rc::default();
        let rules = inline.clone();
        let allow_all_outbound = props.allow_all_outbound;
        // Computed at synthesis: allow-all, the rules added, or (none added) the rule that
        // replaces CloudFormation's default allow-all egress.
        let egress = Lazy::new(move || {
            let egress = if allow_all_outbound {
                vec![security_group::Egress {
                    cidr_ip: Some("0.0.0.0/0".into()),
                    description: Some("Allow all outbound traffic".into()),
                    ..security_group::Egress::new("-1")
                }]
            } else {
                match &rules.borrow().egress {
                    none if none.is_empty() => vec![disallow_all_egress()],
                    some => some.clone(),
                }
            };
            Ok(Val::from(egress).into_value())
        });
        let group = CfnSecurityGroup::new(
            &scope,
            "Resource",
            CfnSecurityGroupProps {
                security_group_egress: Some(Val::from_value(egress.into())),
                vpc_id: Some(vpc.vpc_id().into()),
                ..CfnSecurityGroupProps::new(description)
            },
        )?;
        Ok(SecurityGroup {
            scope,
            group,
            allow_all_outbound,
            rules: Rc::new(RefCell::new(BTreeSet::new())),
            inline,
        })
    }

    /// The group's id (`GetAtt GroupId`).
    pub fn group_id(&self) -> Value {
        self.group.group_id()
    }

    /// The `AWS::EC2::SecurityGroup` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.group.resource_ref()
    }

    /// The `AWS::EC2::SecurityGroup`, for edits the props do not cover. Its
    /// `SecurityGroupIngress`/`SecurityGroupEgress` are computed at synthesis from the
    /// inline rules of `allow_*_cidr`/`allow_*_any_ipv4`.
    pub fn cfn_security_group(&self) -> &CfnSecurityGroup {
        &self.group
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    fn first_time(&self, key: String) -> bool {
        self.rules.borrow_mut().insert(key)
    }

    /// Allows inbound traffic from any IPv4 address on `port`.
    pub fn allow_from_any_ipv4(&self, port: Port, description: &str) -> Result<()> {
        self.add_cidr_rule(Direction::Ingress, "0.0.0.0/0", port, description)
    }

    /// Allows outbound traffic to any IPv4 address on `port`.
    pub fn allow_to_any_ipv4(&self, port: Port, description: &str) -> Result<()> {
        self.add_cidr_rule(Direction::Egress, "0.0.0.0/0", port, description)
    }

    /// Allows outbound traffic to `cidr` on `port`.
    pub fn allow_to_cidr(&self, cidr: Ipv4Cidr, port: Port, description: &str) -> Result<()> {
        self.add_cidr_rule(Direction::Egress, &cidr.to_string(), port, description)
    }

    /// Allows inbound traffic from `cidr` on `port`.
    pub fn allow_from_cidr(&self, cidr: Ipv4Cidr, port: Port, description: &str) -> Result<()> {
        self.add_cidr_rule(Direction::Ingress, &cidr.to_string(), port, description)
    }

    fn add_cidr_rule(&self, direction: Direction, cidr: &str, port: Port, description: &str) -> Result<()> {
        check_description(&self.scope, "description", description)?;
        let property = match direction {
            Direction::Ingress => CfnSecurityGroup::SECURITY_GROUP_INGRESS.name(),
            Direction::Egress => CfnSecurityGroup::SECURITY_GROUP_EGRESS.name(),
        };
        if !self.first_time(format!("{property} {cidr} {}", port.label())) {
            return Ok(());
        }
        if direction == Direction::Egress && self.allow_all_outbound {
            return Ok(());
        }
        match direction {
            Direction::Ingress => {
                let first = self.inline.borrow().ingress.is_empty();
                self.inline.borrow_mut().ingress.push(security_group::Ingress {
                    cidr_ip: Some(cidr.into()),
                    description: Some(description.into()),
                    from_port: port.first_port(),
                    to_port: port.last_port(),
                    ..security_group::Ingress::new(port.ip_protocol())
                });
                if first {
                    // Added with the first rule (after the props, where templates have it),
                    // then read at synthesis.
                    let rules = self.inline.clone();
                    let ingress = Lazy::new(move || Ok(Val::from(rules.borrow().ingress.clone()).into_value()));
                    self.group.edit(|r| {
                        r.properties.insert(property.to_string(), Value::Lazy(ingress));
                    })?;
                }
            }
            Direction::Egress => self.inline.borrow_mut().egress.push(security_group::Egress {
                cidr_ip: Some(cidr.into()),
                description: Some(description.into()),
                from_port: port.first_port(),
                to_port: port.last_port(),
                ..security_group::Egress::new(port.ip_protocol())
            }),
        }
        Ok(())
    }

    /// Allows `other` to connect to this group on `port`: an ingress rule on this group
    /// and, unless `other` allows all outbound traffic, an egress rule on `other`.
    ///
    /// When the two groups are in different stacks, both rules are created in
    /// `other`'s stack (the consumer, e.g. the service that connects to a database), so
    /// the producer never refers to the consumer and no stack cycle appears.
    pub fn allow_from(&self, other: &dyn Connectable, port: Port, description: &str) -> Result<()> {
        let peer = other.security_group();
        check_description(&self.scope, "description", description)?;
        if self.scope.stack().env_key() != peer.scope.stack().env_key() {
            return Err(self
                .scope
                .error(format!(
                    "cannot allow traffic from {}, which is in environment `{}`, not `{}`",
                    peer.scope.full_path(),
                    peer.scope.env_settings().name,
                    self.scope.env_settings().name
                ))
                .property("allow_from")
                .fix("connect constructs of the same environment"));
        }
        let same_stack = self.scope.stack().key() == peer.scope.stack().key();
        let (mine, theirs) = (self.group.logical_id(), peer.group.logical_id());
        if self.first_time(format!("ingress {theirs} {}", port.label())) {
            let ingress = CfnSecurityGroupIngressProps {
                description: Some(description.into()),
                from_port: port.first_port(),
                group_id: Some(self.group_id().into()),
                source_security_group_id: Some(peer.group_id().into()),
                to_port: port.last_port(),
                ..CfnSecurityGroupIngressProps::new(port.ip_protocol())
            };
            if same_stack {
                CfnSecurityGroupIngress::new(&self.scope, &format!("from {theirs}:{}", port.label()), ingress)?;
            } else {
                CfnSecurityGroupIngress::new(&peer.scope, &format!("ingress to {mine}:{}", port.label()), ingress)?;
            }
        }
        if !peer.allow_all_outbound && peer.first_time(format!("egress {mine} {}", port.label())) {
            let egress = CfnSecurityGroupEgressProps {
                description: Some(description.into()),
                destination_security_group_id: Some(self.group_id().into()),
                from_port: port.first_port(),
                to_port: port.last_port(),
                ..CfnSecurityGroupEgressProps::new(peer.group_id(), port.ip_protocol())
            };
            CfnSecurityGroupEgress::new(&peer.scope, &format!("to {mine}:{}", port.label()), egress)?;
        }
        Ok(())
    }
}

/// Security-group descriptions: 1-255 characters of the set EC2 accepts.
fn check_description(scope: &Scope, property: &str, d: &str) -> Result<()> {
    let ok = !d.is_empty() && d.len() <= 255 && d.chars().all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c));
    if ok {
        Ok(())
    } else {
        Err(scope
            .error(format!("`{d}` is not a valid security-group description"))
            .property(property.to_string())
            .fix("use 1-255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*"))
    }
}
