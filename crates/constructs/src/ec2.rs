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

use cairn_cfn::ec2::{
    self as cfn_ec2, security_group, CfnEIP, CfnEIPProps, CfnFlowLog, CfnFlowLogProps, CfnInternetGateway, CfnInternetGatewayProps,
    CfnNatGateway, CfnNatGatewayProps, CfnRoute, CfnRouteProps, CfnRouteTable, CfnRouteTableProps, CfnSecurityGroup,
    CfnSecurityGroupEgress, CfnSecurityGroupEgressProps, CfnSecurityGroupIngress, CfnSecurityGroupIngressProps, CfnSecurityGroupProps,
    CfnSubnet, CfnSubnetProps, CfnSubnetRouteTableAssociation, CfnSubnetRouteTableAssociationProps, CfnVPC, CfnVPCEndpoint,
    CfnVPCEndpointProps, CfnVPCGatewayAttachment, CfnVPCGatewayAttachmentProps, CfnVPCProps,
};
use cairn_cfn::Val;
use cairn_core::config::Ipv4Cidr;
use cairn_core::{ResourceRef, Result, Scope, Value};

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
    /// The typed `AWS::EC2::Subnet` behind `resource`.
    cfn_subnet: CfnSubnet,
    /// The typed `AWS::EC2::RouteTable` behind `route_table`.
    cfn_route_table: CfnRouteTable,
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

    /// The `AWS::EC2::Subnet`, for edits the props do not cover
    /// (`subnet.cfn_subnet().set(CfnSubnet::ENABLE_DNS64, true)`).
    pub fn cfn_subnet(&self) -> &CfnSubnet {
        &self.cfn_subnet
    }

    /// The subnet's `AWS::EC2::RouteTable`, for edits.
    pub fn cfn_route_table(&self) -> &CfnRouteTable {
        &self.cfn_route_table
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
        /// The typed `AWS::EC2::VPC`, for edits ([`Vpc::cfn_vpc`]).
        vpc: Box<CfnVPC>,
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

        let cfn_vpc = CfnVPC::new(
            &scope,
            "Resource",
            CfnVPCProps {
                cidr_block: Some(props.cidr.to_string().into()),
                enable_dns_hostnames: Some(true.into()),
                enable_dns_support: Some(true.into()),
                instance_tenancy: Some(cfn_ec2::vpc::InstanceTenancy::Default.into()),
                tags: Some(vec![cfn_ec2::vpc::Tag::new("Name", name_tag_value(&scope.name_path()))].into()),
                ..Default::default()
            },
        )?;
        let vpc = cfn_vpc.resource_ref().clone();
        let igw = if props.subnet_configuration.iter().any(|g| g.subnet_type == SubnetType::Public) {
            let igw = CfnInternetGateway::new(
                &scope,
                "IGW",
                CfnInternetGatewayProps {
                    tags: Some(vec![cfn_ec2::internet_gateway::Tag::new("Name", name_tag_value(&scope.name_path()))].into()),
                },
            )?;
            let attachment = CfnVPCGatewayAttachment::new(
                &scope,
                "VPCGW",
                CfnVPCGatewayAttachmentProps {
                    internet_gateway_id: Some(igw.resource_ref().into()),
                    ..CfnVPCGatewayAttachmentProps::new(&vpc)
                },
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
            let subnet = CfnSubnet::new(
                &sub_scope,
                "Subnet",
                CfnSubnetProps {
                    availability_zone: Some(Value::az(p.az).into()),
                    cidr_block: Some(p.cidr.to_string().into()),
                    // Public addresses only where explicitly given (NAT EIPs, load balancers).
                    map_public_ip_on_launch: Some(false.into()),
                    tags: Some(
                        vec![
                            cfn_ec2::subnet::Tag::new("Name", name_tag_value(&sub_scope.name_path())),
                            cfn_ec2::subnet::Tag::new(cairn_core::metadata::SUBNET_TYPE_TAG, group.subnet_type.describe()),
                        ]
                        .into(),
                    ),
                    ..CfnSubnetProps::new(&vpc)
                },
            )?;
            let route_table = CfnRouteTable::new(
                &sub_scope,
                "RouteTable",
                CfnRouteTableProps {
                    tags: Some(vec![cfn_ec2::route_table::Tag::new("Name", name_tag_value(&sub_scope.name_path()))].into()),
                    ..CfnRouteTableProps::new(&vpc)
                },
            )?;
            let association = CfnSubnetRouteTableAssociation::new(
                &sub_scope,
                "RouteTableAssociation",
                CfnSubnetRouteTableAssociationProps::new(route_table.resource_ref(), subnet.resource_ref()),
            )?;
            if let (SubnetType::Public, Some((igw, attachment))) = (group.subnet_type, &igw) {
                let route = CfnRoute::new(
                    &sub_scope,
                    "DefaultRoute",
                    CfnRouteProps {
                        destination_cidr_block: Some("0.0.0.0/0".into()),
                        gateway_id: Some(igw.resource_ref().into()),
                        ..CfnRouteProps::new(route_table.resource_ref())
                    },
                )?;
                route.add_depends_on(attachment.resource_ref())?;
                if Some(p.group) == first_public && p.az < props.nat_gateways {
                    let eip = CfnEIP::new(
                        &sub_scope,
                        "EIP",
                        CfnEIPProps {
                            domain: Some("vpc".into()),
                            tags: Some(vec![cfn_ec2::eip::Tag::new("Name", name_tag_value(&sub_scope.name_path()))].into()),
                            ..Default::default()
                        },
                    )?;
                    let nat = CfnNatGateway::new(
                        &sub_scope,
                        "NATGateway",
                        CfnNatGatewayProps {
                            allocation_id: Some(eip.allocation_id().into()),
                            subnet_id: Some(subnet.resource_ref().into()),
                            tags: Some(vec![cfn_ec2::nat_gateway::Tag::new("Name", name_tag_value(&sub_scope.name_path()))].into()),
                            ..Default::default()
                        },
                    )?;
                    nat.add_depends_on(route.resource_ref())?;
                    nat.add_depends_on(association.resource_ref())?;
                    nat_gateways.push(nat.resource_ref().clone());
                }
            }
            subnets.push((
                sub_scope,
                Subnet {
                    subnet_type: group.subnet_type,
                    group: group.name.clone(),
                    az_index: p.az,
                    cidr: p.cidr,
                    resource: subnet.resource_ref().clone(),
                    route_table: route_table.resource_ref().clone(),
                    cfn_subnet: subnet,
                    cfn_route_table: route_table,
                },
            ));
        }
        // Private subnets route to the NAT gateway of their zone, or share one.
        for (sub_scope, subnet) in &subnets {
            if subnet.subnet_type != SubnetType::PrivateWithEgress {
                continue;
            }
            let nat = &nat_gateways[subnet.az_index as usize % nat_gateways.len()];
            CfnRoute::new(
                sub_scope,
                "DefaultRoute",
                CfnRouteProps {
                    destination_cidr_block: Some("0.0.0.0/0".into()),
                    nat_gateway_id: Some(nat.into()),
                    ..CfnRouteProps::new(&subnet.route_table)
                },
            )?;
        }
        let subnets: Vec<Subnet> = subnets.into_iter().map(|(_, s)| s).collect();

        if props.gateway_endpoints {
            let route_tables: Vec<Value> = subnets.iter().map(|s| s.route_table.as_ref()).collect();
            for (id, service) in [("S3Endpoint", "s3"), ("DynamoDbEndpoint", "dynamodb")] {
                CfnVPCEndpoint::new(
                    &scope,
                    id,
                    CfnVPCEndpointProps {
                        route_table_ids: Some(route_tables.clone().into()),
                        service_name: Some(Value::sub(format!("com.amazonaws.${{AWS::Region}}.{service}")).into()),
                        vpc_endpoint_type: Some(cfn_ec2::vpc_endpoint::VpcEndpointType::Gateway.into()),
                        ..CfnVPCEndpointProps::new(&vpc)
                    },
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
            let flow_log = CfnFlowLog::new(
                &fl_scope,
                "FlowLog",
                CfnFlowLogProps {
                    deliver_logs_permission_arn: Some(role.arn().into()),
                    log_destination_type: Some(cfn_ec2::flow_log::LogDestinationType::CloudWatchLogs.into()),
                    log_group_name: Some(group.name().into()),
                    tags: Some(vec![cfn_ec2::flow_log::Tag::new("Name", name_tag_value(&fl_scope.name_path()))].into()),
                    traffic_type: Some(cfn_ec2::flow_log::TrafficType::All.into()),
                    ..CfnFlowLogProps::new(&vpc, cfn_ec2::flow_log::ResourceType::Vpc)
                },
            )?;
            if let Some(policy) = role.default_policy() {
                // The service checks the role's permissions when the flow log is created.
                flow_log.add_depends_on(&policy)?;
            }
        }

        Ok(Vpc {
            scope,
            origin: Origin::Owned {
                vpc: Box::new(cfn_vpc),
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
            Origin::Owned { vpc, .. } => vpc.r#ref(),
            Origin::Imported(a) => Value::str(a.vpc_id.as_str()),
        }
    }

    /// The VPC's IPv4 block (`GetAtt CidrBlock`; for an existing VPC the `cidr` given,
    /// an error without it).
    pub fn cidr_block(&self) -> Result<Value> {
        match &self.origin {
            Origin::Owned { vpc, .. } => Ok(vpc.cidr_block()),
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
            Origin::Owned { vpc, .. } => Ok(vpc.resource_ref()),
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

/// The typed resource of a [`Vpc`].
impl Vpc {
    /// The `AWS::EC2::VPC`, for edits the props do not cover
    /// (`vpc.cfn_vpc().set(CfnVPC::INSTANCE_TENANCY, InstanceTenancy::Dedicated)`).
    /// Subnets and route tables: [`Subnet::cfn_subnet`], [`Subnet::cfn_route_table`].
    /// An existing VPC ([`Vpc::from_attributes`]) has none: that is an error.
    pub fn cfn_vpc(&self) -> Result<&CfnVPC> {
        match &self.origin {
            Origin::Owned { vpc, .. } => Ok(vpc),
            Origin::Imported(a) => Err(crate::imported::no_resource(&self.scope, "VPC", &a.vpc_id)),
        }
    }
}

/// The `Name` tag's value, `<stack name>/<construct path>`: the same text in every environment's template.
fn name_tag_value(path: &str) -> Value {
    Value::sub(format!("${{AWS::StackName}}/{path}"))
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
    fn security_group(&self) -> &SecurityGroup;
}

/// A security group. Rules to and from other groups are separate
/// `SecurityGroupIngress`/`SecurityGroupEgress` resources; rules with CIDR peers are
/// inline. No egress by default.
#[derive(Clone)]
pub struct SecurityGroup {
    scope: Scope,
    group: CfnSecurityGroup,
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
    pub fn new(scope: impl Into<Scope>, id: &str, vpc: &Vpc, props: SecurityGroupProps) -> Result<SecurityGroup> {
        let scope = scope.into().child(id)?;
        let description = props
            .description
            .clone()
            .unwrap_or_else(|| format!("{} security group", scope.name_path()));
        check_description(&scope, "description", &description)?;
        let egress = if props.allow_all_outbound {
            security_group::Egress {
                cidr_ip: Some("0.0.0.0/0".into()),
                description: Some("Allow all outbound traffic".into()),
                ..security_group::Egress::new("-1")
            }
        } else {
            disallow_all_egress()
        };
        let group = CfnSecurityGroup::new(
            &scope,
            "Resource",
            CfnSecurityGroupProps {
                security_group_egress: Some(vec![egress].into()),
                vpc_id: Some(vpc.vpc_id().into()),
                ..CfnSecurityGroupProps::new(description)
            },
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
        self.group.group_id()
    }

    pub fn resource(&self) -> &ResourceRef {
        self.group.resource_ref()
    }

    /// The `AWS::EC2::SecurityGroup`, for edits the props do not cover. The inline
    /// rules of `allow_*_cidr`/`allow_*_any_ipv4` are appended to its
    /// `SecurityGroupIngress`/`SecurityGroupEgress` as they are added.
    pub fn cfn_security_group(&self) -> &CfnSecurityGroup {
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
        let rule: Value = match direction {
            Direction::Ingress => Val::from(security_group::Ingress {
                cidr_ip: Some(cidr.into()),
                description: Some(description.into()),
                from_port: port.first_port(),
                to_port: port.last_port(),
                ..security_group::Ingress::new(port.ip_protocol())
            })
            .into_value(),
            Direction::Egress => Val::from(security_group::Egress {
                cidr_ip: Some(cidr.into()),
                description: Some(description.into()),
                from_port: port.first_port(),
                to_port: port.last_port(),
                ..security_group::Egress::new(port.ip_protocol())
            })
            .into_value(),
        };
        let placeholder = Val::from(disallow_all_egress()).into_value();
        self.group.edit(|r| {
            let list = r.properties.entry(property.to_string()).or_insert_with(|| Value::List(Vec::new()));
            if let Value::List(items) = list {
                // A real egress rule replaces the disallow-all placeholder.
                items.retain(|i| *i != placeholder);
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

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::{App, EnvSettings};
    use serde_json::{json, Value as Json};

    fn settings() -> EnvSettings {
        EnvSettings {
            name: "dev".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            retain_data: false,
            require_approval: false,
            tags: Default::default(),
        }
    }

    /// The `network` stack's template.
    fn template(app: &App) -> Json {
        let assembly = app.synth().expect("the test app synthesizes");
        let stacks = &assembly.environments[0].stacks;
        stacks.iter().find(|s| s.id == "network").expect("a network stack").template.clone()
    }

    /// Properties of the resources of one type, by logical ID.
    fn properties_of(template: &Json, resource_type: &str) -> Vec<(String, Json)> {
        let resources = template["Resources"].as_object().expect("Resources");
        let mut found: Vec<(String, Json)> = resources
            .iter()
            .filter(|(_, r)| r["Type"] == resource_type)
            .map(|(id, r)| (id.clone(), r["Properties"].clone()))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }

    /// The typed handles reach the resources the constructs created, and their edits
    /// land in the template.
    #[test]
    fn typed_handles_edit_the_vpc_subnets_and_groups() {
        let app = App::new("t").unwrap();
        let stack = app.environment(settings()).unwrap().stack("network").unwrap();
        let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
        let group = SecurityGroup::new(&stack, "Group", &vpc, SecurityGroupProps::default()).unwrap();
        vpc.cfn_vpc()
            .unwrap()
            .set(CfnVPC::INSTANCE_TENANCY, cfn_ec2::vpc::InstanceTenancy::Dedicated)
            .unwrap();
        let subnet = &vpc.subnets()[0];
        subnet.cfn_subnet().set(CfnSubnet::ENABLE_DNS64, true).unwrap();
        subnet.cfn_route_table().add_metadata("note", Value::str("edited")).unwrap();
        group.cfn_security_group().set(CfnSecurityGroup::GROUP_NAME, "named").unwrap();
        assert_eq!(vpc.cfn_vpc().unwrap().resource_ref(), vpc.resource().unwrap());
        assert_eq!(subnet.cfn_subnet().resource_ref(), &subnet.resource);
        assert_eq!(group.cfn_security_group().resource_ref(), group.resource());

        let template = template(&app);
        let resources = &template["Resources"];
        let id = |r: &ResourceRef| r.logical_id.clone();
        assert_eq!(
            resources[id(vpc.resource().unwrap())]["Properties"]["InstanceTenancy"],
            json!("dedicated")
        );
        assert_eq!(resources[id(&subnet.resource)]["Properties"]["EnableDns64"], json!(true));
        assert_eq!(resources[id(&subnet.route_table)]["Metadata"]["note"], json!("edited"));
        assert_eq!(resources[id(group.resource())]["Properties"]["GroupName"], json!("named"));
    }

    /// Every kind of port and peer renders the rule the template had before the typed
    /// layer (the shop's snapshots have tcp rules only): udp, port ranges, all traffic
    /// without ports, the disallow-all placeholder replaced by the first real egress rule,
    /// and no egress rules on a group that allows all outbound traffic.
    #[test]
    fn security_group_rules_of_every_port_kind() {
        let app = App::new("t").unwrap();
        let stack = app.environment(settings()).unwrap().stack("network").unwrap();
        let props = VpcProps {
            flow_logs: None,
            gateway_endpoints: false,
            ..Default::default()
        };
        let vpc = Vpc::new(&stack, "Vpc", props).unwrap();
        let closed = SecurityGroup::new(&stack, "Closed", &vpc, SecurityGroupProps::default()).unwrap();
        SecurityGroup::new(&stack, "Untouched", &vpc, SecurityGroupProps::default()).unwrap();
        let open = SecurityGroupProps {
            description: Some("open".into()),
            allow_all_outbound: true,
        };
        let open = SecurityGroup::new(&stack, "Open", &vpc, open).unwrap();
        closed.allow_from_any_ipv4(Port::all_traffic(), "all in").unwrap();
        closed
            .allow_from_cidr(Ipv4Cidr::parse("10.1.0.0/16").unwrap(), Port::tcp_range(2048, 1024), "high")
            .unwrap();
        closed
            .allow_to_cidr(Ipv4Cidr::parse("10.2.0.0/16").unwrap(), Port::udp(53), "dns")
            .unwrap();
        closed.allow_to_any_ipv4(Port::tcp(443), "https").unwrap();
        open.allow_to_any_ipv4(Port::tcp(443), "https").unwrap();
        open.allow_from(&closed, Port::all_traffic(), "closed to open").unwrap();

        let template = template(&app);
        let groups = properties_of(&template, "AWS::EC2::SecurityGroup");
        let group = |prefix: &str| &groups.iter().find(|(id, _)| id.starts_with(prefix)).expect(prefix).1;
        assert_eq!(
            group("Closed")["SecurityGroupIngress"],
            json!([
                { "CidrIp": "0.0.0.0/0", "Description": "all in", "IpProtocol": "-1" },
                { "CidrIp": "10.1.0.0/16", "Description": "high", "IpProtocol": "tcp", "FromPort": 1024, "ToPort": 2048 },
            ])
        );
        assert_eq!(
            group("Closed")["SecurityGroupEgress"],
            json!([
                { "CidrIp": "10.2.0.0/16", "Description": "dns", "IpProtocol": "udp", "FromPort": 53, "ToPort": 53 },
                { "CidrIp": "0.0.0.0/0", "Description": "https", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443 },
            ])
        );
        assert_eq!(
            group("Untouched")["SecurityGroupEgress"],
            json!([{
                "CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic",
                "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86
            }])
        );
        assert_eq!(
            group("Open")["SecurityGroupEgress"],
            json!([{ "CidrIp": "0.0.0.0/0", "Description": "Allow all outbound traffic", "IpProtocol": "-1" }])
        );
        assert_eq!(group("Open")["GroupDescription"], json!("open"));
        assert!(group("Open").get("SecurityGroupIngress").is_none());

        let group_id = |prefix: &str| {
            let id = &groups.iter().find(|(id, _)| id.starts_with(prefix)).expect(prefix).0;
            json!({ "Fn::GetAtt": [id, "GroupId"] })
        };
        let ingress = properties_of(&template, "AWS::EC2::SecurityGroupIngress");
        let egress = properties_of(&template, "AWS::EC2::SecurityGroupEgress");
        assert_eq!(ingress.len(), 1, "{ingress:?}");
        assert_eq!(
            ingress[0].1,
            json!({
                "GroupId": group_id("Open"), "SourceSecurityGroupId": group_id("Closed"),
                "Description": "closed to open", "IpProtocol": "-1"
            })
        );
        assert_eq!(egress.len(), 1, "{egress:?}");
        assert_eq!(
            egress[0].1,
            json!({
                "GroupId": group_id("Closed"), "DestinationSecurityGroupId": group_id("Open"),
                "Description": "closed to open", "IpProtocol": "-1"
            })
        );
    }
}
