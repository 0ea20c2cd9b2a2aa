//! `reconcile`: the network brought to a [`Topology`] in four dependent rounds,
//! each a list of concurrent calls built by one function below:
//!
//! 1. [`Run::create_children`] and [`Run::vpc_settings`]: what needs only the
//!    VPC (subnets, route tables, Elastic IPs, the internet gateway, DNS
//!    attributes, the flow log, tags);
//! 2. [`Run::connect`] and [`Run::create_nats`]: attach the gateway, associate
//!    route tables, map public IPs, make NAT gateways;
//! 3. [`Run::default_routes`], once new NAT gateways are available;
//! 4. [`Run::prune`]: remove what the configuration no longer wants.
//!
//! A round runs only when the one before it succeeded: later rounds use what
//! earlier ones made. The default security group's lock-down runs beside
//! rounds 1 and 2.

use super::*;

/// What a creating call made.
enum Made {
    Subnet(SubnetKey, String),
    RouteTable(RtKey, String),
    Eip(String, String),
    Igw(String),
    /// Zone, id, and whether it was available at once.
    Nat(String, String, bool),
    EndpointSg(String),
    Nothing,
}

/// One reconcile: its inputs, what AWS held when it started, and the ids of
/// children as the rounds make them.
struct Run<'a> {
    aws: &'a Aws,
    stop: &'a Stop,
    d: &'a Desired,
    topo: &'a Topology,
    vpc_id: &'a str,
    deadline: Instant,
    obs: Observed,
    subnets: BTreeMap<SubnetKey, String>,
    rts: BTreeMap<RtKey, String>,
    /// Elastic IPs by zone: (allocation id, association id).
    eips: BTreeMap<String, (String, Option<String>)>,
    igw: Option<IgwSeen>,
    nats: BTreeMap<String, String>,
    /// NAT gateways routes may not point to until they are available.
    pending_nats: Vec<String>,
    /// The interface endpoints' security group.
    endpoint_sg: Option<String>,
    /// Second Elastic IPs of a zone (a retried AllocateAddress), released in round 4.
    spare_eips: Vec<String>,
}

/// Brings the network in `vpc_id` to `topo`. Returns the errors of the first
/// round that failed (later rounds depend on earlier ones and are skipped).
pub async fn reconcile(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    topo: &Topology,
    vpc_id: &str,
    known: Option<Observed>,
    deadline: Instant,
) -> Vec<AwsError> {
    let (obs, eips) = match observe(aws, &d.name, vpc_id, known).await {
        Ok(seen) => seen,
        Err(errs) => return errs,
    };
    let Some(vpc) = obs.vpc.clone() else {
        return vec![AwsError::new(
            "DescribeVpcs",
            "InvalidVpcID.NotFound",
            format!("VPC {vpc_id} disappeared"),
        )];
    };
    let mut run = Run::new(aws, stop, d, topo, vpc_id, deadline, obs, eips);
    let lockdown = run.lock_down_default_sg();

    let mut futs = run.create_children();
    futs.extend(run.vpc_settings(&vpc));
    let (made, errs) = gather(stop, "reconcile round 1", futs).await;
    run.record(made);
    if !errs.is_empty() {
        return errs;
    }

    let mut futs = run.connect();
    futs.extend(run.create_nats());
    futs.extend(run.endpoints());
    let (made, mut errs) = gather(stop, "reconcile round 2", futs).await;
    run.record(made);
    errs.extend(joined(lockdown).await);
    if !errs.is_empty() {
        return errs;
    }

    if let Err(e) = wait_nats(aws, stop, &run.pending_nats, deadline).await {
        return vec![e];
    }
    let errs = round(stop, "reconcile round 3", run.default_routes()).await;
    if !errs.is_empty() {
        return errs;
    }

    run.prune().await
}

/// What AWS holds: the observation the caller has (a create's fresh VPC) or
/// one read now, with the stack's Elastic IPs and its flow log.
async fn observe(
    aws: &Aws,
    stack: &str,
    vpc_id: &str,
    known: Option<Observed>,
) -> Result<(Observed, Eips), Vec<AwsError>> {
    if let Some(o) = known {
        return Ok((o, Eips::default()));
    }
    match tokio::join!(
        read(aws, stack, vpc_id),
        read_eips(aws, stack),
        read_flow_log(aws, stack, vpc_id)
    ) {
        (Ok(mut o), Ok(e), Ok(f)) => {
            o.flow_log = f;
            Ok((o, e))
        }
        (o, e, f) => Err(o.err().into_iter().chain(e.err()).chain(f.err()).collect()),
    }
}

/// Whether route table `rt` is associated with subnet `subnet`.
async fn associated_with(
    c: &aws_sdk_ec2::Client,
    rt: &str,
    subnet: &str,
) -> Result<bool, AwsError> {
    let r = c
        .describe_route_tables()
        .route_table_ids(rt)
        .send()
        .await
        .op("DescribeRouteTables")?;
    Ok(r.route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .any(|a| a.subnet_id() == Some(subnet)))
}

/// Whether internet gateway `gid` is attached to `vpc_id`.
async fn attached_to(c: &aws_sdk_ec2::Client, gid: &str, vpc_id: &str) -> Result<bool, AwsError> {
    let r = c
        .describe_internet_gateways()
        .internet_gateway_ids(gid)
        .send()
        .await
        .op("DescribeInternetGateways")?;
    Ok(r.internet_gateways()
        .iter()
        .flat_map(|g| g.attachments())
        .any(|a| a.vpc_id() == Some(vpc_id)))
}

/// Whether the network holds a second copy of a route table, internet gateway or
/// Elastic IP (a create AWS carried out whose answer was lost, sent again).
pub async fn has_spares(aws: &Aws, stack: &str, vpc_id: &str) -> Result<bool, Vec<AwsError>> {
    let (obs, eips) = observe(aws, stack, vpc_id, None).await?;
    Ok(!obs.spare_route_tables.is_empty() || !obs.spare_igws.is_empty() || !eips.spare.is_empty())
}

/// The errors of a background task (the lock-down), once it ends.
async fn joined(task: Option<tokio::task::JoinHandle<Result<(), AwsError>>>) -> Vec<AwsError> {
    match task {
        None => Vec::new(),
        Some(task) => match task.await {
            Ok(r) => r.err().into_iter().collect(),
            Err(join) => vec![AwsError::new(
                "RevokeSecurityGroupIngress",
                "InternalError",
                format!("the lock-down task failed: {join}"),
            )],
        },
    }
}

impl<'a> Run<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        aws: &'a Aws,
        stop: &'a Stop,
        d: &'a Desired,
        topo: &'a Topology,
        vpc_id: &'a str,
        deadline: Instant,
        mut obs: Observed,
        eips: Eips,
    ) -> Self {
        obs.tags.extend(eips.tags);
        let subnets = obs
            .subnets
            .iter()
            .map(|(k, s)| (k.clone(), s.id.clone()))
            .collect();
        let rts = obs
            .route_tables
            .iter()
            .map(|(k, r)| (k.clone(), r.id.clone()))
            .collect();
        let nats = obs
            .nats
            .iter()
            .map(|(az, n)| (az.clone(), n.id.clone()))
            .collect();
        let pending_nats = obs
            .nats
            .iter()
            .filter(|(az, n)| topo.nats.contains(*az) && n.state != "available")
            .map(|(_, n)| n.id.clone())
            .collect();
        Run {
            aws,
            stop,
            d,
            topo,
            vpc_id,
            deadline,
            igw: obs.igw.clone(),
            subnets,
            rts,
            eips: eips.by_az,
            nats,
            pending_nats,
            endpoint_sg: obs.endpoint_sg.clone(),
            spare_eips: eips.spare,
            obs,
        }
    }

    /// Takes what a round made into the run's ids.
    fn record(&mut self, made: Vec<Made>) {
        for m in made {
            match m {
                Made::Subnet(k, id) => {
                    self.subnets.insert(k, id);
                }
                Made::RouteTable(k, id) => {
                    self.rts.insert(k, id);
                }
                Made::Eip(az, id) => {
                    self.eips.insert(az, (id, None));
                }
                Made::Igw(id) => {
                    self.igw = Some(IgwSeen {
                        id,
                        attached: false,
                    })
                }
                Made::Nat(az, id, ready) => {
                    if !ready {
                        self.pending_nats.push(id.clone());
                    }
                    self.nats.insert(az, id);
                }
                Made::EndpointSg(id) => self.endpoint_sg = Some(id),
                Made::Nothing => {}
            }
        }
    }

    /// The default security group loses its rules (two dependent calls), in
    /// the background.
    fn lock_down_default_sg(&self) -> Option<tokio::task::JoinHandle<Result<(), AwsError>>> {
        let sg = self.obs.default_sg.as_ref()?;
        if !self.d.manage_default_sg || !sg.has_rules {
            return None;
        }
        let (client, vpc, gid) = (self.aws.ec2.clone(), self.vpc_id.to_string(), sg.id.clone());
        Some(tokio::spawn(async move {
            lock_down_sg(&client, &vpc, &gid).await
        }))
    }

    /// Round 1: subnets, route tables, Elastic IPs and the internet gateway
    /// that do not exist yet.
    fn create_children(&self) -> Vec<Fut<'a, Made>> {
        let (aws, d, vpc_id, c) = (self.aws, self.d, self.vpc_id, &self.aws.ec2);
        let mut futs: Vec<Fut<'a, Made>> = Vec::new();
        for (k, cidr) in &self.topo.subnets {
            if self.subnets.contains_key(k) {
                continue;
            }
            let (k, cidr) = (k.clone(), cidr.clone());
            let tags = subnet_tags(aws, d, &k);
            futs.push(Box::pin(async move {
                let r = c
                    .create_subnet()
                    .vpc_id(vpc_id)
                    .cidr_block(&cidr)
                    .availability_zone(&k.az)
                    .tag_specifications(tags::spec(ec2::ResourceType::Subnet, &tags))
                    .send()
                    .await
                    .op("CreateSubnet");
                let id = match r {
                    Ok(r) => required(
                        "CreateSubnet",
                        "SubnetId",
                        r.subnet().and_then(|s| s.subnet_id()),
                    )?,
                    // A retried create whose first attempt AWS carried out meets its own
                    // subnet: that one is taken, found by its tags.
                    Err(e) if e.is_code(&["InvalidSubnet.Conflict"]) => {
                        match own_subnet(aws, &d.name, vpc_id, &cidr, &k).await? {
                            Some(id) => id,
                            None => return Err(e),
                        }
                    }
                    Err(e) => return Err(e),
                };
                Ok(Made::Subnet(k, id))
            }));
        }
        for k in self
            .topo
            .route_tables
            .iter()
            .filter(|k| !self.rts.contains_key(*k))
        {
            let k = k.clone();
            let tags = rt_tags(aws, d, &k);
            futs.push(Box::pin(async move {
                let r = c
                    .create_route_table()
                    .vpc_id(vpc_id)
                    .tag_specifications(tags::spec(ec2::ResourceType::RouteTable, &tags))
                    .send()
                    .await
                    .op("CreateRouteTable")?;
                let id = required(
                    "CreateRouteTable",
                    "RouteTableId",
                    r.route_table().and_then(|t| t.route_table_id()),
                )?;
                Ok(Made::RouteTable(k, id))
            }));
        }
        for az in &self.topo.nats {
            if self.eips.contains_key(az) || self.obs.nats.contains_key(az) {
                continue;
            }
            let az = az.clone();
            let tags = child_tags(aws, d, &eip_tag(&az), &format!("nat-{az}"), &none());
            futs.push(Box::pin(async move {
                let r = c
                    .allocate_address()
                    .domain(ec2::DomainType::Vpc)
                    .tag_specifications(tags::spec(ec2::ResourceType::ElasticIp, &tags))
                    .send()
                    .await
                    .op("AllocateAddress")?;
                let id = required("AllocateAddress", "AllocationId", r.allocation_id())?;
                Ok(Made::Eip(az, id))
            }));
        }
        if self.topo.endpoint_sg {
            let (stop, deadline) = (self.stop, self.deadline);
            let cidr = self
                .obs
                .vpc
                .as_ref()
                .map(|v| v.cidr.clone())
                .unwrap_or_default();
            match self.endpoint_sg.clone() {
                None => futs.push(Box::pin(async move {
                    let id = create_endpoint_sg(aws, stop, deadline, d, vpc_id, &cidr).await?;
                    Ok(Made::EndpointSg(id))
                })),
                Some(id) if !self.obs.endpoint_sg_open => futs.push(Box::pin(async move {
                    open_endpoint_sg(aws, stop, deadline, &id, &cidr).await?;
                    Ok(Made::Nothing)
                })),
                Some(_) => {}
            }
        }
        if self.topo.igw && self.igw.is_none() {
            let tags = child_tags(aws, d, "igw", "igw", &none());
            futs.push(Box::pin(async move {
                let r = c
                    .create_internet_gateway()
                    .tag_specifications(tags::spec(ec2::ResourceType::InternetGateway, &tags))
                    .send()
                    .await
                    .op("CreateInternetGateway")?;
                let id = required(
                    "CreateInternetGateway",
                    "InternetGatewayId",
                    r.internet_gateway().and_then(|g| g.internet_gateway_id()),
                )?;
                Ok(Made::Igw(id))
            }));
        }
        futs
    }

    /// Round 1 too: the VPC's DNS attributes, its flow log, and every existing
    /// child's tags.
    fn vpc_settings(&self, vpc: &VpcSeen) -> Vec<Fut<'_, Made>> {
        let (aws, d, vpc_id, c) = (self.aws, self.d, self.vpc_id, &self.aws.ec2);
        let (stop, deadline) = (self.stop, self.deadline);
        let mut futs: Vec<Fut<'_, Made>> = Vec::new();
        let dns = [
            (vpc.dns_support != d.dns_support, true),
            (vpc.dns_hostnames != d.dns_hostnames, false),
        ];
        for (_, support) in dns.into_iter().filter(|(changed, _)| *changed) {
            futs.push(Box::pin(async move {
                let r = c.modify_vpc_attribute().vpc_id(vpc_id);
                let r = if support {
                    r.enable_dns_support(bool_attr(d.dns_support))
                } else {
                    r.enable_dns_hostnames(bool_attr(d.dns_hostnames))
                };
                r.send()
                    .await
                    .op("ModifyVpcAttribute")
                    .map(|_| Made::Nothing)
            }));
        }
        match (&d.flow_logs, &self.obs.flow_log) {
            (Some(spec), Some(seen)) if seen.matches(spec) => {}
            (Some(spec), seen) => {
                let old = seen.as_ref().map(|f| f.id.clone());
                futs.push(Box::pin(async move {
                    if let Some(id) = old {
                        delete_flow_log(aws, &id).await?;
                    }
                    // A VPC made a moment ago may not be visible to the call yet.
                    propagated(stop, deadline, || create_flow_log(aws, d, spec, vpc_id))
                        .await
                        .map(|_| Made::Nothing)
                }));
            }
            (None, Some(seen)) => {
                let id = seen.id.clone();
                futs.push(Box::pin(async move {
                    delete_flow_log(aws, &id).await.map(|_| Made::Nothing)
                }));
            }
            (None, None) => {}
        }
        let eips: Vec<(String, String)> = self
            .eips
            .iter()
            .map(|(az, (alloc, _))| (az.clone(), alloc.clone()))
            .collect();
        futs.push(Box::pin(async move {
            retag(aws, stop, d, &self.obs, &eips)
                .await
                .map(|_| Made::Nothing)
        }));
        futs
    }

    /// Round 2: the internet gateway attached, route tables associated, and
    /// public subnets mapping public IPs.
    fn connect(&self) -> Vec<Fut<'a, Made>> {
        let (stop, deadline, vpc_id, c) = (self.stop, self.deadline, self.vpc_id, &self.aws.ec2);
        let mut futs: Vec<Fut<'a, Made>> = Vec::new();
        if let Some(g) = self.igw.as_ref().filter(|g| self.topo.igw && !g.attached) {
            let gid = g.id.clone();
            futs.push(Box::pin(async move {
                let attached = propagated(stop, deadline, || async {
                    c.attach_internet_gateway()
                        .internet_gateway_id(&gid)
                        .vpc_id(vpc_id)
                        .send()
                        .await
                        .op("AttachInternetGateway")
                })
                .await;
                match attached {
                    // An attach AWS carried out, retried after its answer was lost.
                    Err(e) if e.is_code(&["Resource.AlreadyAssociated"]) => {
                        if attached_to(c, &gid, vpc_id).await? {
                            Ok(Made::Nothing)
                        } else {
                            Err(e)
                        }
                    }
                    other => other.map(|_| Made::Nothing),
                }
            }));
        }
        let wanted = self
            .subnets
            .iter()
            .filter(|(k, _)| self.topo.subnets.contains_key(*k));
        for (k, sid) in wanted {
            if k.tier == Tier::Public && !self.obs.subnets.get(k).is_some_and(|s| s.map_public_ip) {
                let sid = sid.clone();
                futs.push(Box::pin(async move {
                    propagated(stop, deadline, || async {
                        c.modify_subnet_attribute()
                            .subnet_id(&sid)
                            .map_public_ip_on_launch(bool_attr(true))
                            .send()
                            .await
                            .op("ModifySubnetAttribute")
                    })
                    .await
                    .map(|_| Made::Nothing)
                }));
            }
            let Some(want) = self.rts.get(&RtKey::for_subnet(k)).cloned() else {
                continue;
            };
            let current = self.obs.table_of(sid).map(|rt| {
                let assoc = rt
                    .associations
                    .iter()
                    .find(|(_, s)| s == sid)
                    .map(|(a, _)| a.clone());
                (rt.id.clone(), assoc)
            });
            let sid = sid.clone();
            match current {
                Some((rt, _)) if rt == want => {}
                Some((_, Some(assoc))) => futs.push(Box::pin(async move {
                    propagated(stop, deadline, || async {
                        c.replace_route_table_association()
                            .association_id(&assoc)
                            .route_table_id(&want)
                            .send()
                            .await
                            .op("ReplaceRouteTableAssociation")
                    })
                    .await
                    .map(|_| Made::Nothing)
                })),
                _ => futs.push(Box::pin(async move {
                    let associated = propagated(stop, deadline, || async {
                        c.associate_route_table()
                            .route_table_id(&want)
                            .subnet_id(&sid)
                            .send()
                            .await
                            .op("AssociateRouteTable")
                    })
                    .await;
                    match associated {
                        // An association EC2 made whose answer was lost, sent again.
                        Err(e) if e.is_code(&["Resource.AlreadyAssociated"]) => {
                            if associated_with(c, &want, &sid).await? {
                                Ok(Made::Nothing)
                            } else {
                                Err(e)
                            }
                        }
                        other => other.map(|_| Made::Nothing),
                    }
                })),
            }
        }
        futs
    }

    /// Round 2 too: a NAT gateway in each zone that needs one and has none,
    /// in the zone's public subnet with the zone's Elastic IP.
    fn create_nats(&self) -> Vec<Fut<'a, Made>> {
        let (aws, d, stop, deadline, c) =
            (self.aws, self.d, self.stop, self.deadline, &self.aws.ec2);
        let mut futs: Vec<Fut<'a, Made>> = Vec::new();
        for az in self
            .topo
            .nats
            .iter()
            .filter(|az| !self.obs.nats.contains_key(*az))
        {
            let public = SubnetKey {
                tier: Tier::Public,
                az: az.clone(),
            };
            let (Some(sid), Some((alloc, held))) = (
                self.subnets.get(&public).cloned(),
                self.eips.get(az).cloned(),
            ) else {
                continue;
            };
            let tags = child_tags(aws, d, &nat_tag(az), &format!("nat-{az}"), &none());
            let az = az.clone();
            let token: String = format!("{}-{az}-{}", d.name, nonce())
                .chars()
                .take(64)
                .collect();
            futs.push(Box::pin(async move {
                // The zone's address may still belong to a NAT gateway deleted outside Terraform.
                if let Some(assoc) = held {
                    free_eip(aws, stop, &alloc, &assoc, deadline).await?;
                }
                // The client token makes a retried create return the same gateway.
                let r = propagated(stop, deadline, || async {
                    c.create_nat_gateway()
                        .subnet_id(&sid)
                        .allocation_id(&alloc)
                        .client_token(&token)
                        .tag_specifications(tags::spec(ec2::ResourceType::Natgateway, &tags))
                        .send()
                        .await
                        .op("CreateNatGateway")
                })
                .await?;
                let nat = r.nat_gateway();
                let id = required(
                    "CreateNatGateway",
                    "NatGatewayId",
                    nat.and_then(|n| n.nat_gateway_id()),
                )?;
                let ready = nat.and_then(|n| n.state()) == Some(&ec2::NatGatewayState::Available);
                Ok(Made::Nat(az, id, ready))
            }));
        }
        futs
    }

    /// Round 2 too: each VPC endpoint made, or brought to the route tables, subnets
    /// and security group the topology gives it (one that failed, or changed kind,
    /// is deleted and made again).
    fn endpoints(&self) -> Vec<Fut<'a, Made>> {
        let (aws, d, stop, deadline, vpc_id) =
            (self.aws, self.d, self.stop, self.deadline, self.vpc_id);
        let mut futs: Vec<Fut<'a, Made>> = Vec::new();
        for (service, plan) in &self.topo.endpoints {
            let ids: Vec<String> = match plan {
                EndpointPlan::Gateway(tables) => tables
                    .iter()
                    .filter_map(|k| self.rts.get(k).cloned())
                    .collect(),
                EndpointPlan::Interface(subnets) => subnets
                    .iter()
                    .filter_map(|k| self.subnets.get(k).cloned())
                    .collect(),
            };
            let target = EndpointTarget {
                service: service.as_str(),
                interface: plan.is_interface(),
                ids,
                security_group: self.endpoint_sg.clone().filter(|_| plan.is_interface()),
            };
            let seen = self.obs.endpoints.get(service).cloned();
            futs.push(Box::pin(async move {
                match seen {
                    Some(s) if s.state != "failed" && s.interface == target.interface => {
                        modify_endpoint(aws, stop, deadline, &s, &target).await?;
                    }
                    other => {
                        if let Some(s) = other {
                            delete_endpoints(aws, stop, deadline, &[s.id]).await?;
                        }
                        create_endpoint(aws, stop, deadline, d, vpc_id, &target).await?;
                    }
                }
                Ok(Made::Nothing)
            }));
        }
        futs
    }

    /// Round 3: each route table's default route (public: the internet
    /// gateway; private: its zone's NAT gateway; isolated: none, nor any other
    /// way out).
    fn default_routes(&self) -> Vec<Fut<'a, ()>> {
        let (aws, stop, deadline) = (self.aws, self.stop, self.deadline);
        let mut futs: Vec<Fut<'a, ()>> = Vec::new();
        for key in &self.topo.route_tables {
            let Some(rt_id) = self.rts.get(key).cloned() else {
                continue;
            };
            let want: Option<String> = match key {
                RtKey::Public => self.igw.as_ref().map(|g| g.id.clone()),
                RtKey::Private(az) => self
                    .d
                    .private_nat_for(self.topo, az)
                    .and_then(|n| self.nats.get(&n).cloned()),
                RtKey::Isolated => None,
            };
            let have = self.default_target(&rt_id);
            if have != want {
                let rt = rt_id.clone();
                futs.push(Box::pin(async move {
                    propagated(stop, deadline, || {
                        set_default_route(aws, &rt, have.clone(), want.clone())
                    })
                    .await
                }));
            }
            // Isolated tables keep no other way out either (IPv6 default, gateways).
            if let (RtKey::Isolated, Some(seen)) = (key, self.obs.route_tables.get(key)) {
                for r in &seen.routes {
                    let stray = r.destination == "::/0"
                        || (r.destination != "0.0.0.0/0"
                            && (r.target.starts_with("igw-") || r.target.starts_with("nat-")));
                    if stray {
                        let (rt, dest) = (rt_id.clone(), r.destination.clone());
                        futs.push(Box::pin(async move { delete_route(aws, &rt, &dest).await }));
                    }
                }
            }
        }
        futs
    }

    /// Where the route table `rt_id`'s default route led when the run began.
    fn default_target(&self, rt_id: &str) -> Option<String> {
        let table = self.obs.route_tables.values().find(|r| r.id == rt_id)?;
        table
            .routes
            .iter()
            .find(|x| x.destination == "0.0.0.0/0")
            .map(|x| x.target.clone())
    }

    /// Round 4: NAT gateways first (they hold subnets and addresses), then
    /// subnets, Elastic IPs and the internet gateway, then route tables.
    async fn prune(self) -> Vec<AwsError> {
        let (aws, stop, deadline, vpc_id) = (self.aws, self.stop, self.deadline, self.vpc_id);
        let topo = self.topo;
        let stale_nats: Vec<String> = (self.obs.nats.iter())
            .filter(|(az, _)| !topo.nats.contains(*az))
            .map(|(_, n)| n.id.clone())
            .chain(self.obs.failed_nats.iter().cloned())
            .collect();
        let mut errs = Vec::new();
        let stale_endpoints: Vec<String> = (self.obs.endpoints.iter())
            .filter(|(service, _)| !topo.endpoints.contains_key(*service))
            .map(|(_, e)| e.id.clone())
            .collect();
        let (nats, endpoints) = tokio::join!(
            async {
                if stale_nats.is_empty() {
                    Vec::new()
                } else {
                    delete_nats(aws, &stale_nats, stop, deadline).await
                }
            },
            delete_endpoints(aws, stop, deadline, &stale_endpoints)
        );
        errs.extend(nats);
        errs.extend(endpoints.err());
        if let (Some(sg), false, true) = (&self.endpoint_sg, topo.endpoint_sg, errs.is_empty()) {
            errs.extend(delete_endpoint_sg(aws, stop, deadline, sg).await.err());
        }
        let mut futs: Vec<Fut<'_, ()>> = Vec::new();
        for (_, s) in self
            .obs
            .subnets
            .iter()
            .filter(|(k, _)| !topo.subnets.contains_key(*k))
        {
            futs.push(Box::pin(delete_subnet(aws, &s.id, stop, deadline)));
        }
        let stale_eips = (self.eips.iter())
            .filter(|(az, _)| !topo.nats.contains(*az))
            .map(|(_, (alloc, _))| alloc);
        for alloc in stale_eips.chain(&self.spare_eips) {
            futs.push(Box::pin(release_eip(aws, alloc, stop, deadline)));
        }
        let stale_igw = self.igw.as_ref().filter(|_| !topo.igw).map(|g| &g.id);
        for gid in stale_igw.into_iter().chain(&self.obs.spare_igws) {
            futs.push(Box::pin(delete_igw(aws, gid, vpc_id, stop, deadline)));
        }
        errs.extend(round(stop, "reconcile round 4", futs).await);
        if errs.is_empty() {
            let futs: Vec<Fut<'_, ()>> = (self.obs.route_tables.iter())
                .filter(|(k, _)| !topo.route_tables.contains(*k))
                .map(|(_, rt)| rt)
                .chain(&self.obs.spare_route_tables)
                .map(|rt| -> Fut<'_, ()> { Box::pin(delete_route_table(aws, rt, stop, deadline)) })
                .collect();
            errs.extend(round(stop, "reconcile round 4", futs).await);
        }
        errs
    }
}

/// Brings every existing child's tags to what the configuration says.
async fn retag(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    obs: &Observed,
    eips: &[(String, String)],
) -> Result<(), AwsError> {
    let mut want: Vec<(String, Tags)> = Vec::new();
    if let Some(v) = &obs.vpc {
        want.push((v.id.clone(), child_tags(aws, d, "vpc", "", &none())));
    }
    for (k, s) in &obs.subnets {
        want.push((s.id.clone(), subnet_tags(aws, d, k)));
    }
    for (k, r) in &obs.route_tables {
        want.push((r.id.clone(), rt_tags(aws, d, k)));
    }
    if let Some(g) = &obs.igw {
        want.push((g.id.clone(), child_tags(aws, d, "igw", "igw", &none())));
    }
    for (az, n) in &obs.nats {
        want.push((
            n.id.clone(),
            child_tags(aws, d, &nat_tag(az), &format!("nat-{az}"), &none()),
        ));
    }
    for (service, e) in &obs.endpoints {
        want.push((
            e.id.clone(),
            child_tags(
                aws,
                d,
                &endpoint_tag(service),
                &format!("vpce-{service}"),
                &none(),
            ),
        ));
    }
    if let Some(sg) = &obs.endpoint_sg {
        want.push((
            sg.clone(),
            child_tags(aws, d, ENDPOINT_SG_TAG, "endpoints", &none()),
        ));
    }
    for (az, alloc) in eips {
        want.push((
            alloc.clone(),
            child_tags(aws, d, &eip_tag(az), &format!("nat-{az}"), &none()),
        ));
    }
    tags::retag(&aws.ec2, stop, want, &obs.tags).await
}

/// The network's subnet `k` at `cidr` in the VPC, if one exists (found by its tags).
async fn own_subnet(
    aws: &Aws,
    stack: &str,
    vpc_id: &str,
    cidr: &str,
    k: &SubnetKey,
) -> Result<Option<String>, AwsError> {
    let r = aws
        .ec2
        .describe_subnets()
        .filters(filter("vpc-id", vpc_id))
        .filters(filter("cidr-block", cidr))
        .send()
        .await
        .op("DescribeSubnets")?;
    Ok(r.subnets().iter().find_map(|s| {
        let tags = tags::map(s.tags());
        (child_key(&tags, stack) == Some(ChildKey::Subnet(k.clone())))
            .then(|| s.subnet_id().map(str::to_string))
            .flatten()
    }))
}
