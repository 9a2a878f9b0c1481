//! The subnet plan: every subnet's block, computed at synthesis and checked to fit.

use super::*;

/// A planned subnet before its resources exist.
pub(super) struct Planned {
    pub group: usize,
    pub az: u32,
    pub cidr: Ipv4Cidr,
}

/// Validates the props and computes every subnet's block.
pub(super) fn plan_subnets(scope: &Scope, props: &VpcProps) -> Result<Vec<Planned>> {
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

pub(super) fn check_nat_gateways(scope: &Scope, props: &VpcProps) -> Result<()> {
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
