//! Networking: the [`Vpc`] (subnets, routes, NAT gateways, flow logs, gateway
//! endpoints) and [`SecurityGroup`]s with their connection rules.
//!
//! Subnet CIDRs are computed at synthesis (no `Fn::Cidr`): each subnet group gets
//! one block per availability zone, allocated in order, aligned to its size, never
//! overlapping, all inside the VPC block. Anything that does not fit is a synthesis
//! error naming the VPC's construct path.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use cairn_core::config::Ipv4Cidr;
use cairn_core::{Resource, ResourceRef, Result, Scope, Value};

use crate::iam::{PolicyStatement, Role, RoleProps, ServicePrincipal};
use crate::logs::{LogGroup, LogGroupProps};

/// Smallest subnet AWS allows (16 addresses).
const MAX_SUBNET_PREFIX: u8 = 28;
/// Largest VPC block AWS allows.
const MIN_VPC_PREFIX: u8 = 16;

/// What a subnet can reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubnetType {
    /// Routes to the internet gateway (load balancers, NAT gateways).
    Public,
    /// Reaches the internet through a NAT gateway; not reachable from it (services).
    PrivateWithEgress,
    /// No route out of the VPC except the gateway endpoints (databases).
    Isolated,
}

impl SubnetType {
    fn describe(self) -> &'static str {
        match self {
            SubnetType::Public => "public",
            SubnetType::PrivateWithEgress => "private-with-egress",
            SubnetType::Isolated => "isolated",
        }
    }
}

/// One group of subnets: one subnet of this type in each availability zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetConfiguration {
    /// Group name; subnets are named `<name>Subnet1`, `<name>Subnet2`, … (letters and digits).
    pub name: String,
    pub subnet_type: SubnetType,
    /// Prefix length of each subnet (16 to 28, and not larger than the VPC block).
    pub cidr_mask: u8,
    /// Explicit blocks, one per availability zone, instead of automatic allocation.
    /// Empty (the default): allocated automatically from `cidr_mask`.
    pub cidrs: Vec<Ipv4Cidr>,
}

impl SubnetConfiguration {
    pub fn new(name: &str, subnet_type: SubnetType, cidr_mask: u8) -> Self {
        SubnetConfiguration {
            name: name.to_string(),
            subnet_type,
            cidr_mask,
            cidrs: Vec::new(),
        }
    }
    pub fn public(name: &str, cidr_mask: u8) -> Self {
        Self::new(name, SubnetType::Public, cidr_mask)
    }
    pub fn private_with_egress(name: &str, cidr_mask: u8) -> Self {
        Self::new(name, SubnetType::PrivateWithEgress, cidr_mask)
    }
    pub fn isolated(name: &str, cidr_mask: u8) -> Self {
        Self::new(name, SubnetType::Isolated, cidr_mask)
    }
    /// Uses these blocks (one per availability zone) instead of automatic allocation.
    pub fn with_cidrs(mut self, cidrs: Vec<Ipv4Cidr>) -> Self {
        self.cidrs = cidrs;
        self
    }
}

/// VPC flow logs to a CloudWatch log group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowLogProps {
    /// Retention of the flow-log group, in days (a value CloudWatch Logs accepts).
    pub retention_days: u32,
}

impl Default for FlowLogProps {
    fn default() -> Self {
        FlowLogProps { retention_days: 30 }
    }
}

/// Props of a [`Vpc`].
#[derive(Debug, Clone)]
pub struct VpcProps {
    /// The VPC's IPv4 block, /16 to /28. Default `10.0.0.0/16`.
    pub cidr: Ipv4Cidr,
    /// Availability zones to use: 2 or 3 (`Fn::Select` over `Fn::GetAZs ""`). Default 2.
    pub max_azs: u32,
    /// NAT gateways, in the first public group's subnets: 0 (only without
    /// private-with-egress subnets) up to one per availability zone. Private subnets
    /// route to the NAT gateway of their own zone when there is one. Default 1.
    pub nat_gateways: u32,
    /// Subnet groups. Default: `Public` /24, `Private` (with egress) /20, `Isolated` /24.
    pub subnet_configuration: Vec<SubnetConfiguration>,
    /// Flow logs of all traffic. Default on, 30 days; `None` turns them off.
    pub flow_logs: Option<FlowLogProps>,
    /// Gateway endpoints for S3 and DynamoDB on every route table (free, and keeps
    /// that traffic off the NAT gateways). Default on.
    pub gateway_endpoints: bool,
}

impl Default for VpcProps {
    fn default() -> Self {
        VpcProps {
            cidr: Ipv4Cidr::parse("10.0.0.0/16").expect("a valid constant block"),
            max_azs: 2,
            nat_gateways: 1,
            subnet_configuration: vec![
                SubnetConfiguration::public("Public", 24),
                SubnetConfiguration::private_with_egress("Private", 20),
                SubnetConfiguration::isolated("Isolated", 24),
            ],
            flow_logs: Some(FlowLogProps::default()),
            gateway_endpoints: true,
        }
    }
}

/// One subnet of a [`Vpc`].
#[derive(Debug, Clone)]
pub struct Subnet {
    pub subnet_type: SubnetType,
    /// Group name (`Public`).
    pub group: String,
    /// Index of the availability zone (0-based, into `Fn::GetAZs ""`).
    pub az_index: u32,
    pub cidr: Ipv4Cidr,
    pub resource: ResourceRef,
    pub route_table: ResourceRef,
}

impl Subnet {
    /// The subnet's id (`Ref`).
    pub fn id(&self) -> Value {
        self.resource.as_ref()
    }

    /// The subnet's availability zone (`Fn::Select [i, Fn::GetAZs ""]`).
    pub fn availability_zone(&self) -> Value {
        Value::az(self.az_index)
    }
}

/// A VPC with public, private-with-egress and isolated subnets in 2 or 3 zones, or an
/// existing VPC another team owns ([`Vpc::from_attributes`]).
#[derive(Clone)]
pub struct Vpc {
    scope: Scope,
    origin: Origin,
    max_azs: u32,
}

/// Where a [`Vpc`] comes from.
#[derive(Clone)]
enum Origin {
    /// Created by this app.
    Owned {
        vpc: ResourceRef,
        subnets: Vec<Subnet>,
        nat_gateways: Vec<ResourceRef>,
    },
    /// An existing VPC known by its ids: nothing in the template.
    Imported(VpcAttributes),
}

/// The ids of an existing VPC ([`Vpc::from_attributes`]). Each subnet list is either
/// empty (the VPC has no subnets of that kind, or they are not used) or has one subnet
/// per availability zone, in the order of `availability_zones`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VpcAttributes {
    /// `vpc-…`
    pub vpc_id: String,
    /// The zones the subnets are in, e.g. `["eu-west-1a", "eu-west-1b"]`.
    pub availability_zones: Vec<String>,
    /// Subnets that route to an internet gateway (load balancers).
    pub public_subnet_ids: Vec<String>,
    /// Subnets that reach the internet through NAT (services).
    pub private_subnet_ids: Vec<String>,
    /// Subnets without a route out of the VPC (databases).
    pub isolated_subnet_ids: Vec<String>,
    /// The VPC's IPv4 block, if constructs should know it ([`Vpc::cidr_block`]).
    pub cidr: Option<Ipv4Cidr>,
}

impl VpcAttributes {
    fn subnet_ids(&self, subnet_type: SubnetType) -> &[String] {
        match subnet_type {
            SubnetType::Public => &self.public_subnet_ids,
            SubnetType::PrivateWithEgress => &self.private_subnet_ids,
            SubnetType::Isolated => &self.isolated_subnet_ids,
        }
    }

    /// The first thing wrong with the ids, as (field, message, fix).
    fn problem(&self) -> Option<(&'static str, String, &'static str)> {
        if !is_aws_id(&self.vpc_id, "vpc-") {
            return Some((
                "vpc_id",
                format!("`{}` is not a VPC id", self.vpc_id),
                "use the VPC's id: `vpc-` and 8 or 17 hexadecimal digits, e.g. `vpc-0a1b2c3d4e5f67890`",
            ));
        }
        let zones = &self.availability_zones;
        let zone_ok = |z: &String| !z.is_empty() && z.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let unique_zones: BTreeSet<&String> = zones.iter().collect();
        if zones.is_empty() || !zones.iter().all(zone_ok) || unique_zones.len() != zones.len() {
            return Some((
                "availability_zones",
                format!("{zones:?} is not a list of distinct availability zones"),
                "list the zones the subnets are in, once each, e.g. [\"eu-west-1a\", \"eu-west-1b\"]",
            ));
        }
        let mut seen = BTreeSet::new();
        for (field, subnet_type) in [
            ("public_subnet_ids", SubnetType::Public),
            ("private_subnet_ids", SubnetType::PrivateWithEgress),
            ("isolated_subnet_ids", SubnetType::Isolated),
        ] {
            let ids = self.subnet_ids(subnet_type);
            if !ids.is_empty() && ids.len() != zones.len() {
                return Some((
                    field,
                    format!("{} subnet ids for {} availability zones", ids.len(), zones.len()),
                    "give one subnet per availability zone, in the order of availability_zones, or none",
                ));
            }
            if let Some(bad) = ids.iter().find(|id| !is_aws_id(id, "subnet-") || !seen.insert(id.as_str())) {
                return Some((
                    field,
                    format!("`{bad}` is not a subnet id, or is listed twice"),
                    "use each subnet's id once: `subnet-` and 8 or 17 hexadecimal digits",
                ));
            }
        }
        if seen.is_empty() {
            return Some((
                "public_subnet_ids",
                "the VPC has no subnet ids".to_string(),
                "give the ids of the subnets constructs should use (public, private or isolated)",
            ));
        }
        None
    }
}

/// `<prefix>` followed by 8 or 17 lowercase hexadecimal digits (EC2's id format).
fn is_aws_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|hex| matches!(hex.len(), 8 | 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)))
}

/// A planned subnet before its resources exist.
struct Planned {
    group: usize,
    az: u32,
    cidr: Ipv4Cidr,
}

impl Vpc {
    pub fn new(scope: impl Into<Scope>, id: &str, props: VpcProps) -> Result<Vpc> {
        let scope = scope.into().child(id)?;
        let plan = plan_subnets(&scope, &props)?;
        check_nat_gateways(&scope, &props)?;

        let vpc = scope.add_resource(
            "Resource",
            Resource::new("AWS::EC2::VPC")
                .prop("CidrBlock", props.cidr.to_string())
                .prop("EnableDnsHostnames", true)
                .prop("EnableDnsSupport", true)
                .prop("InstanceTenancy", "default")
                .prop("Tags", name_tag(&scope.name_path())),
        )?;
        let igw = if props.subnet_configuration.iter().any(|g| g.subnet_type == SubnetType::Public) {
            let igw = scope.add_resource(
                "IGW",
                Resource::new("AWS::EC2::InternetGateway").prop("Tags", name_tag(&scope.name_path())),
            )?;
            let attachment = scope.add_resource(
                "VPCGW",
                Resource::new("AWS::EC2::VPCGatewayAttachment")
                    .prop("VpcId", vpc.as_ref())
                    .prop("InternetGatewayId", igw.as_ref()),
            )?;
            Some((igw, attachment))
        } else {
            None
        };

        // Subnets, route tables, and the public subnets' internet routes and NAT gateways.
        let first_public = props.subnet_configuration.iter().position(|g| g.subnet_type == SubnetType::Public);
        let mut subnets = Vec::new();
        let mut nat_gateways = Vec::new();
        for p in &plan {
            let group = &props.subnet_configuration[p.group];
            let sub_scope = scope.child(&format!("{}Subnet{}", group.name, p.az + 1))?;
            let subnet = sub_scope.add_resource(
                "Subnet",
                Resource::new("AWS::EC2::Subnet")
                    .prop("VpcId", vpc.as_ref())
                    .prop("AvailabilityZone", Value::az(p.az))
                    .prop("CidrBlock", p.cidr.to_string())
                    // Public addresses only where explicitly given (NAT EIPs, load balancers).
                    .prop("MapPublicIpOnLaunch", false)
                    .prop(
                        "Tags",
                        Value::list([
                            tag("Name", Value::sub(format!("${{AWS::StackName}}/{}", sub_scope.name_path()))),
                            tag("cairn:subnet-type", Value::str(group.subnet_type.describe())),
                        ]),
                    ),
            )?;
            let route_table = sub_scope.add_resource(
                "RouteTable",
                Resource::new("AWS::EC2::RouteTable")
                    .prop("VpcId", vpc.as_ref())
                    .prop("Tags", name_tag(&sub_scope.name_path())),
            )?;
            let association = sub_scope.add_resource(
                "RouteTableAssociation",
                Resource::new("AWS::EC2::SubnetRouteTableAssociation")
                    .prop("RouteTableId", route_table.as_ref())
                    .prop("SubnetId", subnet.as_ref()),
            )?;
            if let (SubnetType::Public, Some((igw, attachment))) = (group.subnet_type, &igw) {
                let route = sub_scope.add_resource(
                    "DefaultRoute",
                    Resource::new("AWS::EC2::Route")
                        .prop("RouteTableId", route_table.as_ref())
                        .prop("DestinationCidrBlock", "0.0.0.0/0")
                        .prop("GatewayId", igw.as_ref())
                        .depends_on(attachment),
                )?;
                if Some(p.group) == first_public && p.az < props.nat_gateways {
                    let eip = sub_scope.add_resource(
                        "EIP",
                        Resource::new("AWS::EC2::EIP")
                            .prop("Domain", "vpc")
                            .prop("Tags", name_tag(&sub_scope.name_path())),
                    )?;
                    let nat = sub_scope.add_resource(
                        "NATGateway",
                        Resource::new("AWS::EC2::NatGateway")
                            .prop("SubnetId", subnet.as_ref())
                            .prop("AllocationId", eip.get_att("AllocationId"))
                            .prop("Tags", name_tag(&sub_scope.name_path()))
                            .depends_on(&route)
                            .depends_on(&association),
                    )?;
                    nat_gateways.push(nat);
                }
            }
            subnets.push((
                sub_scope,
                Subnet {
                    subnet_type: group.subnet_type,
                    group: group.name.clone(),
                    az_index: p.az,
                    cidr: p.cidr,
                    resource: subnet,
                    route_table,
                },
            ));
        }
        // Private subnets route to the NAT gateway of their zone, or share one.
        for (sub_scope, subnet) in &subnets {
            if subnet.subnet_type != SubnetType::PrivateWithEgress {
                continue;
            }
            let nat = &nat_gateways[subnet.az_index as usize % nat_gateways.len()];
            sub_scope.add_resource(
                "DefaultRoute",
                Resource::new("AWS::EC2::Route")
                    .prop("RouteTableId", subnet.route_table.as_ref())
                    .prop("DestinationCidrBlock", "0.0.0.0/0")
                    .prop("NatGatewayId", nat.as_ref()),
            )?;
        }
        let subnets: Vec<Subnet> = subnets.into_iter().map(|(_, s)| s).collect();

        if props.gateway_endpoints {
            let route_tables: Vec<Value> = subnets.iter().map(|s| s.route_table.as_ref()).collect();
            for (id, service) in [("S3Endpoint", "s3"), ("DynamoDbEndpoint", "dynamodb")] {
                scope.add_resource(
                    id,
                    Resource::new("AWS::EC2::VPCEndpoint")
                        .prop("ServiceName", Value::sub(format!("com.amazonaws.${{AWS::Region}}.{service}")))
                        .prop("VpcEndpointType", "Gateway")
                        .prop("VpcId", vpc.as_ref())
                        .prop("RouteTableIds", Value::List(route_tables.clone())),
                )?;
            }
        }

        if let Some(flow) = props.flow_logs {
            let fl_scope = scope.child("FlowLogs")?;
            let group = LogGroup::new(
                &fl_scope,
                "LogGroup",
                LogGroupProps {
                    retention_days: flow.retention_days,
                    ..Default::default()
                },
            )?;
            let role = Role::new(
                &fl_scope,
                "Role",
                RoleProps {
                    assumed_by: ServicePrincipal::VpcFlowLogs,
                    description: Some("Lets VPC flow logs write to their log group".into()),
                },
            )?;
            role.add_to_policy(PolicyStatement::allow(
                &["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                vec![group.arn()],
            ))?;
            let mut flow_log = Resource::new("AWS::EC2::FlowLog")
                .prop("ResourceId", vpc.as_ref())
                .prop("ResourceType", "VPC")
                .prop("TrafficType", "ALL")
                .prop("LogDestinationType", "cloud-watch-logs")
                .prop("LogGroupName", group.name())
                .prop("DeliverLogsPermissionArn", role.arn())
                .prop("Tags", name_tag(&fl_scope.name_path()));
            if let Some(policy) = role.default_policy() {
                // The service checks the role's permissions when the flow log is created.
                flow_log = flow_log.depends_on(&policy);
            }
            fl_scope.add_resource("FlowLog", flow_log)?;
        }

        Ok(Vpc {
            scope,
            origin: Origin::Owned {
                vpc,
                subnets,
                nat_gateways,
            },
            max_azs: props.max_azs,
        })
    }

    /// An existing VPC another team owns, by its ids: nothing is added to the template,
    /// and constructs placed in it (security groups, clusters and services, load
    /// balancers, databases) use the ids given.
    pub fn from_attributes(scope: impl Into<Scope>, id: &str, attributes: VpcAttributes) -> Result<Vpc> {
        let scope = scope.into().child(id)?;
        if let Some((field, message, fix)) = attributes.problem() {
            return Err(scope.error(message).property(field).fix(fix));
        }
        Ok(Vpc {
            scope,
            max_azs: attributes.availability_zones.len() as u32,
            origin: Origin::Imported(attributes),
        })
    }

    /// Whether the VPC is an existing one from [`Vpc::from_attributes`].
    pub fn is_imported(&self) -> bool {
        matches!(self.origin, Origin::Imported(_))
    }

    /// The VPC's id (`Ref`; for an existing VPC the id given).
    pub fn vpc_id(&self) -> Value {
        match &self.origin {
            Origin::Owned { vpc, .. } => vpc.as_ref(),
            Origin::Imported(a) => Value::str(a.vpc_id.as_str()),
        }
    }

    /// The VPC's IPv4 block (`GetAtt CidrBlock`; for an existing VPC the `cidr` given,
    /// an error without it).
    pub fn cidr_block(&self) -> Result<Value> {
        match &self.origin {
            Origin::Owned { vpc, .. } => Ok(vpc.get_att("CidrBlock")),
            Origin::Imported(VpcAttributes { cidr: Some(cidr), .. }) => Ok(Value::str(cidr.to_string())),
            Origin::Imported(_) => Err(self
                .scope
                .error("the block of this existing VPC is not known")
                .property("cidr")
                .fix("set VpcAttributes::cidr to the VPC's IPv4 block")),
        }
    }

    /// The `AWS::EC2::VPC` resource, for escape hatches ([`cairn_core::Stack::add_override`]).
    /// An existing VPC ([`Vpc::from_attributes`]) has none: that is an error.
    pub fn resource(&self) -> Result<&ResourceRef> {
        match &self.origin {
            Origin::Owned { vpc, .. } => Ok(vpc),
            Origin::Imported(a) => Err(crate::imported::no_resource(&self.scope, "VPC", &a.vpc_id)),
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Number of availability zones used.
    pub fn max_azs(&self) -> u32 {
        self.max_azs
    }

    /// Every subnet this app created, group by group, zone by zone (none for an existing
    /// VPC: use [`Vpc::subnet_ids`]).
    pub fn subnets(&self) -> &[Subnet] {
        match &self.origin {
            Origin::Owned { subnets, .. } => subnets,
            Origin::Imported(_) => &[],
        }
    }

    /// The NAT gateways this app created (none for an existing VPC).
    pub fn nat_gateways(&self) -> &[ResourceRef] {
        match &self.origin {
            Origin::Owned { nat_gateways, .. } => nat_gateways,
            Origin::Imported(_) => &[],
        }
    }

    /// The subnets of one type (all groups of that type) that this app created. None is
    /// an error naming the VPC; for an existing VPC use [`Vpc::subnet_ids`].
    pub fn select_subnets(&self, subnet_type: SubnetType) -> Result<Vec<Subnet>> {
        if let Origin::Imported(_) = self.origin {
            return Err(self
                .scope
                .error("the subnets of an existing VPC are known by id only")
                .property("subnets")
                .fix("use Vpc::subnet_ids and Vpc::zone_count with an existing VPC"));
        }
        let selected: Vec<Subnet> = self.subnets().iter().filter(|s| s.subnet_type == subnet_type).cloned().collect();
        if selected.is_empty() {
            return Err(self
                .scope
                .error(format!("the VPC has no {} subnets", subnet_type.describe()))
                .property("subnet_configuration")
                .fix(format!("add a {} subnet group to the VPC", subnet_type.describe())));
        }
        Ok(selected)
    }

    /// Ids of the subnets of one type. None is an error naming the VPC.
    pub fn subnet_ids(&self, subnet_type: SubnetType) -> Result<Vec<Value>> {
        match &self.origin {
            Origin::Owned { .. } => Ok(self.select_subnets(subnet_type)?.iter().map(Subnet::id).collect()),
            Origin::Imported(a) => Ok(self.imported_subnet_ids(a, subnet_type)?.iter().map(Value::str).collect()),
        }
    }

    /// Number of availability zones the subnets of one type are in.
    pub fn zone_count(&self, subnet_type: SubnetType) -> Result<usize> {
        match &self.origin {
            Origin::Owned { .. } => {
                let zones: BTreeSet<u32> = self.select_subnets(subnet_type)?.iter().map(|s| s.az_index).collect();
                Ok(zones.len())
            }
            // One subnet per zone (checked by from_attributes).
            Origin::Imported(a) => Ok(self.imported_subnet_ids(a, subnet_type)?.len()),
        }
    }

    fn imported_subnet_ids<'a>(&self, attributes: &'a VpcAttributes, subnet_type: SubnetType) -> Result<&'a [String]> {
        let ids = attributes.subnet_ids(subnet_type);
        if ids.is_empty() {
            let field = match subnet_type {
                SubnetType::Public => "public_subnet_ids",
                SubnetType::PrivateWithEgress => "private_subnet_ids",
                SubnetType::Isolated => "isolated_subnet_ids",
            };
            return Err(self
                .scope
                .error(format!("the existing VPC was given no {} subnet ids", subnet_type.describe()))
                .property(field)
                .fix(format!(
                    "list the VPC's {} subnets in VpcAttributes::{field}",
                    subnet_type.describe()
                )));
        }
        Ok(ids)
    }
}

fn tag(key: &str, value: Value) -> Value {
    Value::map([("Key", Value::str(key)), ("Value", value)])
}

/// `Name` tag `<stack name>/<construct path>`, the same text in every environment's template.
fn name_tag(path: &str) -> Value {
    Value::list([tag("Name", Value::sub(format!("${{AWS::StackName}}/{path}")))])
}

/// Validates the props and computes every subnet's block.
fn plan_subnets(scope: &Scope, props: &VpcProps) -> Result<Vec<Planned>> {
    let vpc = props.cidr;
    if !(MIN_VPC_PREFIX..=MAX_SUBNET_PREFIX).contains(&vpc.prefix()) {
        return Err(scope
            .error(format!("{vpc} is a /{} block; a VPC must be /16 to /28", vpc.prefix()))
            .property("cidr")
            .fix("use a block from /16 (65,536 addresses) to /28, e.g. 10.0.0.0/16"));
    }
    if !(2..=3).contains(&props.max_azs) {
        return Err(scope
            .error(format!("max_azs is {}; a VPC uses 2 or 3 availability zones", props.max_azs))
            .property("max_azs")
            .fix("use 2 or 3 (load balancers and Multi-AZ databases need at least 2; every region has 3)"));
    }
    if props.subnet_configuration.is_empty() {
        return Err(scope
            .error("the VPC has no subnet groups")
            .property("subnet_configuration")
            .fix("add at least one subnet group, e.g. SubnetConfiguration::public(\"Public\", 24)"));
    }
    let mut names = BTreeSet::new();
    for (i, g) in props.subnet_configuration.iter().enumerate() {
        let prop = format!("subnet_configuration[{i}]");
        if g.name.is_empty() || !g.name.chars().all(|c| c.is_ascii_alphanumeric()) || !names.insert(g.name.as_str()) {
            return Err(scope
                .error(format!("subnet group name `{}` is empty, not alphanumeric or used twice", g.name))
                .property(format!("{prop}.name"))
                .fix("give each subnet group its own name of letters and digits, e.g. `Private`"));
        }
        if g.cidrs.is_empty() {
            if g.cidr_mask < vpc.prefix() {
                return Err(scope
                    .error(format!(
                        "the VPC block {vpc} is too small for a /{} subnet of group `{}`",
                        g.cidr_mask, g.name
                    ))
                    .property(format!("{prop}.cidr_mask"))
                    .fix(format!(
                        "use a cidr_mask of at least /{} (smaller subnets), or a larger VPC block",
                        vpc.prefix() + 1
                    )));
            }
            if g.cidr_mask > MAX_SUBNET_PREFIX {
                return Err(scope
                    .error(format!("/{} is too small for a subnet; AWS allows at most /28", g.cidr_mask))
                    .property(format!("{prop}.cidr_mask"))
                    .fix("use a cidr_mask from 16 to 28"));
            }
        } else {
            if g.cidrs.len() != props.max_azs as usize {
                return Err(scope
                    .error(format!(
                        "subnet group `{}` lists {} blocks for {} availability zones",
                        g.name,
                        g.cidrs.len(),
                        props.max_azs
                    ))
                    .property(format!("{prop}.cidrs"))
                    .fix("give exactly one block per availability zone, or none for automatic allocation"));
            }
            for c in &g.cidrs {
                if !vpc.contains(c) {
                    return Err(scope
                        .error(format!("subnet block {c} of group `{}` is outside the VPC block {vpc}", g.name))
                        .property(format!("{prop}.cidrs"))
                        .fix("use blocks inside the VPC's cidr"));
                }
                if c.prefix() > MAX_SUBNET_PREFIX {
                    return Err(scope
                        .error(format!("{c} is too small for a subnet; AWS allows at most /28"))
                        .property(format!("{prop}.cidrs"))
                        .fix("use blocks from /16 to /28"));
                }
            }
        }
    }

    // Explicit blocks first: they must not overlap each other.
    let mut taken: Vec<(Ipv4Cidr, String)> = Vec::new();
    for g in &props.subnet_configuration {
        for (az, c) in g.cidrs.iter().enumerate() {
            let label = format!("{}Subnet{}", g.name, az + 1);
            if let Some((other, other_label)) = taken.iter().find(|(t, _)| t.overlaps(c)) {
                return Err(scope
                    .error(format!("subnet {label} ({c}) overlaps subnet {other_label} ({other})"))
                    .property("subnet_configuration")
                    .fix("give every subnet its own, non-overlapping block"));
            }
            taken.push((*c, label));
        }
    }

    // Then automatic blocks, group by group, each aligned to its size, skipping taken ones.
    let total: usize = props.subnet_configuration.len() * props.max_azs as usize;
    let mut plan = Vec::new();
    let mut cursor: u64 = u64::from(vpc.address());
    let end: u64 = u64::from(vpc.last()) + 1;
    for (gi, g) in props.subnet_configuration.iter().enumerate() {
        for az in 0..props.max_azs {
            if let Some(c) = g.cidrs.get(az as usize) {
                plan.push(Planned { group: gi, az, cidr: *c });
                continue;
            }
            let size = 1u64 << (32 - u32::from(g.cidr_mask));
            let mut start = cursor.div_ceil(size) * size;
            let cidr = loop {
                let candidate = (start + size <= end)
                    .then(|| Ipv4Cidr::new(start as u32, g.cidr_mask).ok())
                    .flatten();
                let Some(candidate) = candidate else {
                    return Err(scope
                        .error(format!(
                            "the VPC block {vpc} is too small for {} availability zones: subnet {}Subnet{} (/{}) does not fit \
                             ({total} subnets in {} groups)",
                            props.max_azs,
                            g.name,
                            az + 1,
                            g.cidr_mask,
                            props.subnet_configuration.len()
                        ))
                        .property("max_azs")
                        .fix("use fewer availability zones (max_azs), a larger VPC block (cidr) or smaller subnets (a larger cidr_mask)"));
                };
                match taken.iter().find(|(t, _)| t.overlaps(&candidate)) {
                    Some((t, _)) => start = (u64::from(t.last()) + 1).div_ceil(size) * size,
                    None => break candidate,
                }
            };
            cursor = u64::from(cidr.last()) + 1;
            taken.push((cidr, format!("{}Subnet{}", g.name, az + 1)));
            plan.push(Planned { group: gi, az, cidr });
        }
    }
    Ok(plan)
}

fn check_nat_gateways(scope: &Scope, props: &VpcProps) -> Result<()> {
    let has = |t: SubnetType| props.subnet_configuration.iter().any(|g| g.subnet_type == t);
    if props.nat_gateways > props.max_azs {
        return Err(scope
            .error(format!(
                "{} NAT gateways for {} availability zones",
                props.nat_gateways, props.max_azs
            ))
            .property("nat_gateways")
            .fix("use at most one NAT gateway per availability zone"));
    }
    if props.nat_gateways > 0 && !has(SubnetType::Public) {
        return Err(scope
            .error("NAT gateways need a public subnet group")
            .property("nat_gateways")
            .fix("add a public subnet group or set nat_gateways to 0"));
    }
    if props.nat_gateways == 0 && has(SubnetType::PrivateWithEgress) {
        return Err(scope
            .error("private-with-egress subnets need at least one NAT gateway")
            .property("nat_gateways")
            .fix("set nat_gateways to 1 or more, or make the group isolated"));
    }
    Ok(())
}

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

    fn fields(&self) -> Vec<(&'static str, Value)> {
        match self.protocol {
            Protocol::All => vec![("IpProtocol", Value::str("-1"))],
            Protocol::Tcp | Protocol::Udp => vec![
                ("IpProtocol", Value::str(if self.protocol == Protocol::Tcp { "tcp" } else { "udp" })),
                ("FromPort", Value::from(self.from)),
                ("ToPort", Value::from(self.to)),
            ],
        }
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
    fn security_group(&self) -> &SecurityGroup;
}

/// A security group. Rules to and from other groups are separate
/// `SecurityGroupIngress`/`SecurityGroupEgress` resources; rules with CIDR peers are
/// inline. No egress by default.
#[derive(Clone)]
pub struct SecurityGroup {
    scope: Scope,
    group: ResourceRef,
    allow_all_outbound: bool,
    /// Rule ids already added (adding the same rule twice is a no-op).
    rules: Rc<RefCell<BTreeSet<String>>>,
}

impl Connectable for SecurityGroup {
    fn security_group(&self) -> &SecurityGroup {
        self
    }
}

/// The placeholder egress rule that replaces CloudFormation's default allow-all
/// egress (same as the AWS CDK's): ICMP type 252 code 86 to 255.255.255.255/32.
fn disallow_all_egress() -> Value {
    Value::map([
        ("CidrIp", Value::str("255.255.255.255/32")),
        ("Description", Value::str("Disallow all traffic")),
        ("FromPort", Value::from(252)),
        ("IpProtocol", Value::str("icmp")),
        ("ToPort", Value::from(86)),
    ])
}

impl SecurityGroup {
    pub fn new(scope: impl Into<Scope>, id: &str, vpc: &Vpc, props: SecurityGroupProps) -> Result<SecurityGroup> {
        let scope = scope.into().child(id)?;
        let description = props
            .description
            .clone()
            .unwrap_or_else(|| format!("{} security group", scope.name_path()));
        check_description(&scope, "description", &description)?;
        let egress = if props.allow_all_outbound {
            Value::map([
                ("CidrIp", Value::str("0.0.0.0/0")),
                ("Description", Value::str("Allow all outbound traffic")),
                ("IpProtocol", Value::str("-1")),
            ])
        } else {
            disallow_all_egress()
        };
        let group = scope.add_resource(
            "Resource",
            Resource::new("AWS::EC2::SecurityGroup")
                .prop("GroupDescription", description)
                .prop("SecurityGroupEgress", Value::list([egress]))
                .prop("VpcId", vpc.vpc_id()),
        )?;
        Ok(SecurityGroup {
            scope,
            group,
            allow_all_outbound: props.allow_all_outbound,
            rules: Rc::new(RefCell::new(BTreeSet::new())),
        })
    }

    /// The group's id (`GetAtt GroupId`).
    pub fn group_id(&self) -> Value {
        self.group.get_att("GroupId")
    }

    pub fn resource(&self) -> &ResourceRef {
        &self.group
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    fn first_time(&self, key: String) -> bool {
        self.rules.borrow_mut().insert(key)
    }

    /// Allows inbound traffic from any IPv4 address on `port`.
    pub fn allow_from_any_ipv4(&self, port: Port, description: &str) -> Result<()> {
        self.add_cidr_rule("SecurityGroupIngress", "CidrIp", "0.0.0.0/0", port, description)
    }

    /// Allows outbound traffic to any IPv4 address on `port`.
    pub fn allow_to_any_ipv4(&self, port: Port, description: &str) -> Result<()> {
        self.add_cidr_rule("SecurityGroupEgress", "CidrIp", "0.0.0.0/0", port, description)
    }

    /// Allows outbound traffic to `cidr` on `port`.
    pub fn allow_to_cidr(&self, cidr: Ipv4Cidr, port: Port, description: &str) -> Result<()> {
        self.add_cidr_rule("SecurityGroupEgress", "CidrIp", &cidr.to_string(), port, description)
    }

    /// Allows inbound traffic from `cidr` on `port`.
    pub fn allow_from_cidr(&self, cidr: Ipv4Cidr, port: Port, description: &str) -> Result<()> {
        self.add_cidr_rule("SecurityGroupIngress", "CidrIp", &cidr.to_string(), port, description)
    }

    fn add_cidr_rule(&self, property: &str, peer_key: &str, peer: &str, port: Port, description: &str) -> Result<()> {
        check_description(&self.scope, "description", description)?;
        if !self.first_time(format!("{property} {peer} {}", port.label())) {
            return Ok(());
        }
        if property == "SecurityGroupEgress" && self.allow_all_outbound {
            return Ok(());
        }
        let mut rule = Value::map([(peer_key, Value::str(peer)), ("Description", Value::str(description))]);
        for (k, v) in port.fields() {
            rule = rule.with(k, v);
        }
        let stack = self.scope.stack().clone();
        stack.update_resource(&self.group, |r| {
            let list = r.properties.entry(property.to_string()).or_insert_with(|| Value::List(Vec::new()));
            if let Value::List(items) = list {
                // A real egress rule replaces the disallow-all placeholder.
                items.retain(|i| *i != disallow_all_egress());
                items.push(rule);
            }
        })
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
        let (mine, theirs) = (&self.group.logical_id, &peer.group.logical_id);
        if self.first_time(format!("ingress {theirs} {}", port.label())) {
            let mut ingress = Resource::new("AWS::EC2::SecurityGroupIngress")
                .prop("GroupId", self.group_id())
                .prop("SourceSecurityGroupId", peer.group_id())
                .prop("Description", description);
            for (k, v) in port.fields() {
                ingress = ingress.prop(k, v);
            }
            if same_stack {
                self.scope.add_resource(&format!("from {theirs}:{}", port.label()), ingress)?;
            } else {
                peer.scope.add_resource(&format!("ingress to {mine}:{}", port.label()), ingress)?;
            }
        }
        if !peer.allow_all_outbound && peer.first_time(format!("egress {mine} {}", port.label())) {
            let mut egress = Resource::new("AWS::EC2::SecurityGroupEgress")
                .prop("GroupId", peer.group_id())
                .prop("DestinationSecurityGroupId", self.group_id())
                .prop("Description", description);
            for (k, v) in port.fields() {
                egress = egress.prop(k, v);
            }
            peer.scope.add_resource(&format!("to {mine}:{}", port.label()), egress)?;
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
