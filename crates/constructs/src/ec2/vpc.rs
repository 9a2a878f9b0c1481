//! The [`Vpc`]: built from planned subnets, or an existing one from its ids.

use super::*;

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

impl Vpc {
    /// Adds the VPC `id` and its subnets, gateways and routes under `scope`; fails on props EC2 would refuse.
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

        let vpc = Vpc {
            scope: scope.clone(),
            origin: Origin::Owned {
                vpc: Box::new(cfn_vpc),
                subnets,
                nat_gateways,
            },
            max_azs: props.max_azs,
        };
        if let Some(flow) = props.flow_logs {
            vpc.add_flow_logs(&scope, "FlowLogs", flow)?;
        }
        Ok(vpc)
    }

    /// Flow logs of all the VPC's traffic to a new log group `id` under `scope` (any stack
    /// of the VPC's environment, e.g. the one holding the environment's key), with the
    /// role VPC Flow Logs writes through.
    pub fn add_flow_logs(&self, scope: impl Into<Scope>, id: &str, flow: FlowLogProps) -> Result<()> {
        let fl_scope = scope.into().child(id)?;
        if fl_scope.stack().env_key() != self.scope.stack().env_key() {
            return Err(fl_scope
                .error(format!("the VPC {} is in another environment", self.scope.full_path()))
                .property("flow_logs")
                .fix("add flow logs in a stack of the VPC's environment"));
        }
        {
            let group = LogGroup::new(
                &fl_scope,
                "LogGroup",
                LogGroupProps {
                    retention_days: flow.retention_days,
                    encryption_key: flow.encryption_key.clone(),
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
                    ..CfnFlowLogProps::new(self.vpc_id(), cfn_ec2::flow_log::ResourceType::Vpc)
                },
            )?;
            if let Some(policy) = role.default_policy() {
                // The service checks the role's permissions when the flow log is created.
                flow_log.add_depends_on(&policy)?;
            }
        }
        Ok(())
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

    /// The construct's scope.
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
