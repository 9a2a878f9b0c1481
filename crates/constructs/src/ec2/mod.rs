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
use cairn_core::{Lazy, ResourceRef, Result, Scope, Value};

use crate::iam::{PolicyStatement, Role, RoleProps, ServicePrincipal};
use crate::logs::{LogGroup, LogGroupProps};

mod security_group_construct;
mod subnets;
#[cfg(test)]
mod tests;
mod vpc;

pub use security_group_construct::{Connectable, Port, SecurityGroup, SecurityGroupProps};
use subnets::{check_nat_gateways, plan_subnets};
pub use vpc::{Vpc, VpcAttributes};

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
    /// Public, private with egress, or isolated.
    pub subnet_type: SubnetType,
    /// Prefix length of each subnet (16 to 28, and not larger than the VPC block).
    pub cidr_mask: u8,
    /// Explicit blocks, one per availability zone, instead of automatic allocation.
    /// Empty (the default): allocated automatically from `cidr_mask`.
    pub cidrs: Vec<Ipv4Cidr>,
}

impl SubnetConfiguration {
    /// A subnet group of this type.
    pub fn new(name: &str, subnet_type: SubnetType, cidr_mask: u8) -> Self {
        SubnetConfiguration {
            name: name.to_string(),
            subnet_type,
            cidr_mask,
            cidrs: Vec::new(),
        }
    }
    /// Public subnets (a route to the internet gateway).
    pub fn public(name: &str, cidr_mask: u8) -> Self {
        Self::new(name, SubnetType::Public, cidr_mask)
    }
    /// Private subnets with outbound access through NAT gateways.
    pub fn private_with_egress(name: &str, cidr_mask: u8) -> Self {
        Self::new(name, SubnetType::PrivateWithEgress, cidr_mask)
    }
    /// Isolated subnets (no route out).
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLogProps {
    /// Retention of the flow-log group, in days (a value CloudWatch Logs accepts).
    pub retention_days: u32,
    /// The environment's customer-managed key for the flow-log group. A key usually lives
    /// in a later stack than the VPC: then add the flow logs there with
    /// [`Vpc::add_flow_logs`](crate::ec2::Vpc::add_flow_logs). `None`: CloudWatch Logs' own key.
    pub encryption_key: Option<crate::kms::Key>,
}

impl Default for FlowLogProps {
    fn default() -> Self {
        FlowLogProps {
            retention_days: 30,
            encryption_key: None,
        }
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
    /// Public, private with egress, or isolated.
    pub subnet_type: SubnetType,
    /// Group name (`Public`).
    pub group: String,
    /// Index of the availability zone (0-based, into `Fn::GetAZs ""`).
    pub az_index: u32,
    /// The subnet's address block.
    pub cidr: Ipv4Cidr,
    /// The `AWS::EC2::Subnet` resource.
    pub resource: ResourceRef,
    /// Its route table.
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
