//! The VPC: found by the stack's tag, claimed by a create (adopted only when an
//! unfinished create of this very resource left it), its attributes, its default
//! security group locked down, and its tags for an import.

use super::*;

/// The VPCs tagged as this stack's, with their tags (sorted by id).
pub(super) async fn stack_vpcs(aws: &Aws, stack: &str) -> Result<Vec<(String, Tags)>, AwsError> {
    let r = aws
        .ec2
        .describe_vpcs()
        .filters(stack_filter(stack))
        .filters(filter(&format!("tag:{}", owner_key("key")), "vpc"))
        .send()
        .await
        .op("DescribeVpcs")?;
    let mut vpcs: Vec<(String, Tags)> = r
        .vpcs()
        .iter()
        .filter_map(|v| Some((v.vpc_id()?.to_string(), tags::map(v.tags()))))
        .collect();
    vpcs.sort();
    Ok(vpcs)
}

/// How often a create that met a concurrent create of the same name backs off
/// and looks again before giving up.
pub(super) const CLAIM_ATTEMPTS: u32 = 6;

/// Creates the VPC, or adopts the one an unfinished create of this very
/// resource left (see [`crate::kit::claim`]). Returns the VPC id and, for a
/// VPC created just now, what it is known to hold (so the first reconcile
/// round needs no read).
///
/// Two creates of one name may race: each creates its VPC marked
/// `ode:creating`, then lists the stack's VPCs again. One that sees only its
/// own VPC has won (the other's VPC did not exist yet, so the other will see
/// it). One that sees another deletes its own, still empty VPC, waits a
/// random moment and starts over, where it finds the winner's VPC and fails.
pub async fn ensure_vpc(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
) -> Result<(String, Option<Observed>), ClaimError> {
    let fp = d.creating.clone().unwrap_or_default();
    for attempt in 0..CLAIM_ATTEMPTS {
        let existing = stack_vpcs(aws, &d.name).await?;
        // Anything that is not ours to adopt wins over our own leftovers.
        for (id, tags) in &existing {
            let owner = claim::judge(tags, &fp);
            if owner != Owner::Ours {
                return Err(ClaimError::Taken {
                    what: format!("VPC {id}"),
                    owner,
                });
            }
        }
        if let Some((id, _)) = existing.into_iter().next() {
            tracing::info!(vpc = %id, stack = %d.name, "adopting the VPC an unfinished create of this network left");
            return Ok((id, None));
        }
        if stop.is_stopped() {
            return Err(AwsError::stopped("CreateVpc").into());
        }
        let tags = child_tags(aws, d, "vpc", "", &none());
        let r = aws
            .ec2
            .create_vpc()
            .cidr_block(&d.cidr)
            .tag_specifications(tags::spec(ec2::ResourceType::Vpc, &tags))
            .send()
            .await
            .op("CreateVpc")?;
        let id = r
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap_or_default()
            .to_string();
        let rivals = stack_vpcs(aws, &d.name).await?;
        if rivals.iter().all(|(other, _)| *other == id) {
            return Ok((id.clone(), Some(fresh_vpc(&r, d, &id, tags))));
        }
        tracing::info!(vpc = %id, stack = %d.name, attempt, "another create of this network is running; backing off");
        kit::delete(
            stop,
            kit::wait::deadline_in(Duration::from_secs(60)),
            || async {
                aws.ec2
                    .delete_vpc()
                    .vpc_id(&id)
                    .send()
                    .await
                    .op("DeleteVpc")
                    .map(|_| ())
            },
        )
        .await?;
        if !stop.sleep(jitter(attempt)).await {
            return Err(AwsError::stopped("CreateVpc").into());
        }
    }
    Err(AwsError::new(
        "CreateVpc",
        "ConcurrentCreate",
        format!(
            "another create of network {:?} kept racing this one; nothing was kept. Apply again.",
            d.name
        ),
    )
    .into())
}

/// A random wait of 0.2 to ~1.7 s, longer with each attempt.
pub(super) fn jitter(attempt: u32) -> Duration {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        ^ std::process::id().wrapping_mul(2_654_435_761);
    Duration::from_millis(200 + u64::from(seed % 1500) + 200 * u64::from(attempt))
}

/// What a VPC created just now holds: AWS's defaults (DNS support on,
/// hostnames off, a default security group that allows egress, only its main
/// route table).
pub(super) fn fresh_vpc(
    r: &aws_sdk_ec2::operation::create_vpc::CreateVpcOutput,
    d: &Desired,
    id: &str,
    tags: Tags,
) -> Observed {
    let mut fresh = Observed {
        vpc: Some(VpcSeen {
            id: id.to_string(),
            creating: tags.get(CREATING_TAG).cloned(),
            owner: r
                .vpc()
                .and_then(|v| v.owner_id())
                .unwrap_or_default()
                .to_string(),
            cidr: d.cidr.clone(),
            dns_support: true,
            dns_hostnames: false,
        }),
        default_sg: Some(SgSeen {
            id: String::new(),
            has_rules: true,
        }),
        ..Default::default()
    };
    fresh.tags.insert(id.to_string(), tags);
    fresh
}

/// Ends a successful create: the VPC loses its `ode:creating` mark, so that no
/// later create adopts it.
pub async fn release_claim(aws: &Aws, vpc_id: &str) -> Result<(), AwsError> {
    aws.ec2
        .delete_tags()
        .resources(vpc_id)
        .tags(ec2::Tag::builder().key(CREATING_TAG).build())
        .send()
        .await
        .op("DeleteTags")
        .map(|_| ())
}

pub(super) fn bool_attr(v: bool) -> ec2::AttributeBooleanValue {
    ec2::AttributeBooleanValue::builder().value(v).build()
}

/// Removes every rule of the VPC's default security group (`group_id` may be
/// empty when not known yet).
pub(super) async fn lock_down_sg(
    c: &aws_sdk_ec2::Client,
    vpc_id: &str,
    group_id: &str,
) -> Result<(), AwsError> {
    let req = c.describe_security_groups();
    let req = if group_id.is_empty() {
        req.filters(filter("vpc-id", vpc_id))
            .filters(filter("group-name", "default"))
    } else {
        req.group_ids(group_id)
    };
    // Every VPC has a default group; one made a moment ago may not be listed yet.
    let g = kit::retry::on_new(true, || async {
        let r = req.clone().send().await.op("DescribeSecurityGroups")?;
        match r.security_groups().first() {
            Some(g) => Ok(g.clone()),
            None => Err(AwsError::new(
                "DescribeSecurityGroups",
                "InvalidGroup.NotFound",
                format!("the default security group of {vpc_id} is not listed yet"),
            )),
        }
    })
    .await?;
    let group_id = required("DescribeSecurityGroups", "GroupId", g.group_id())?;
    let group_id = group_id.as_str();
    let (ingress, egress) = (
        g.ip_permissions().to_vec(),
        g.ip_permissions_egress().to_vec(),
    );
    let i = async {
        if ingress.is_empty() {
            return Ok(());
        }
        c.revoke_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(ingress))
            .send()
            .await
            .op("RevokeSecurityGroupIngress")
            .map(|_| ())
    };
    // A revoke carried out whose answer was lost, sent again: the rules are gone.
    let gone = |r: Result<(), AwsError>| match r {
        Err(e) if e.is_code(&["InvalidPermission.NotFound"]) => Ok(()),
        other => other,
    };
    let i = async { gone(i.await) };
    let e = async {
        if egress.is_empty() {
            return Ok(());
        }
        c.revoke_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(egress))
            .send()
            .await
            .op("RevokeSecurityGroupEgress")
            .map(|_| ())
    };
    let e = async { gone(e.await) };
    tokio::try_join!(i, e).map(|_| ())
}

/// A VPC's tags; `None` when it does not exist.
pub async fn vpc_tags(aws: &Aws, vpc_id: &str) -> Result<Option<Tags>, AwsError> {
    match aws
        .ec2
        .describe_vpcs()
        .vpc_ids(vpc_id)
        .send()
        .await
        .op("DescribeVpcs")
    {
        Ok(r) => Ok(r.vpcs().first().map(|v| tags::map(v.tags()))),
        Err(e) if e.is_code(&["InvalidVpcID.NotFound"]) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, stops_promptly, table, Case, Fake};
    use crate::kit::timeouts::Timeouts;
    use crate::resources::network::schema::NAT_NONE;
    use aws_sdk_ec2::operation::create_vpc::CreateVpcOutput;
    use aws_sdk_ec2::operation::delete_tags::DeleteTagsOutput;
    use aws_sdk_ec2::operation::delete_vpc::DeleteVpcOutput;
    use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
    use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
    use aws_sdk_ec2::operation::revoke_security_group_egress::RevokeSecurityGroupEgressOutput;
    use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
    use aws_sdk_ec2::Client as Ec2;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    const STACK: &str = "net";
    /// The claim fingerprint of this create.
    const FP: &str = "fp-mine";

    fn desired() -> Desired {
        Desired {
            name: STACK.into(),
            cidr: "10.0.0.0/16".into(),
            azs: vec!["us-east-1a".into()],
            nat: NAT_NONE.into(),
            dns_support: true,
            dns_hostnames: true,
            manage_default_sg: true,
            tags: BTreeMap::from([("team".to_string(), "core".to_string())]),
            tiers: BTreeMap::new(),
            flow_logs: None,
            gateway_endpoints: Vec::new(),
            interface_endpoints: Vec::new(),
            timeouts: Timeouts {
                create: Duration::from_secs(600),
                update: Duration::from_secs(600),
                delete: Duration::from_secs(600),
            },
            creating: Some(FP.into()),
        }
    }

    fn tag_list(pairs: &[(&str, &str)]) -> Vec<ec2::Tag> {
        pairs
            .iter()
            .map(|(k, v)| ec2::Tag::builder().key(*k).value(*v).build())
            .collect()
    }

    /// A VPC of the stack, marked `ode:creating = creating` when given.
    fn ours(id: &str, creating: Option<&str>) -> ec2::Vpc {
        let (stack, key) = (owner_key("stack"), owner_key("key"));
        let mut pairs = vec![(stack.as_str(), STACK), (key.as_str(), "vpc")];
        if let Some(fp) = creating {
            pairs.push((CREATING_TAG, fp));
        }
        ec2::Vpc::builder()
            .vpc_id(id)
            .owner_id("111122223333")
            .cidr_block("10.0.0.0/16")
            .set_tags(Some(tag_list(&pairs)))
            .build()
    }

    fn has_filter(filters: &[ec2::Filter], name: &str, value: &str) -> bool {
        filters
            .iter()
            .any(|f| f.name() == Some(name) && f.values() == [value.to_string()])
    }

    /// DescribeVpcs by the stack's tags answers `vpcs` (the next `times` calls).
    fn listed(fake: &Fake, times: usize, vpcs: Vec<ec2::Vpc>) {
        answer!(fake, Ec2::describe_vpcs, move |input| {
            let f = input.filters();
            if !has_filter(f, &format!("tag:{}", owner_key("stack")), STACK)
                || !has_filter(f, &format!("tag:{}", owner_key("key")), "vpc")
            {
                return Err(failure("BadInput", "not filtered by the stack's tags"));
            }
            Ok(DescribeVpcsOutput::builder()
                .set_vpcs(Some(vpcs.clone()))
                .build())
        }; times = times);
    }

    /// CreateVpc makes vpc-1, checking the CIDR and the claim mark.
    fn creates(fake: &Fake) {
        answer!(fake, Ec2::create_vpc, |input| {
            let tags = tags::map(
                input
                    .tag_specifications()
                    .first()
                    .map(|s| s.tags())
                    .unwrap_or_default(),
            );
            if input.cidr_block() != Some("10.0.0.0/16")
                || tags.get(CREATING_TAG).map(String::as_str) != Some(FP)
                || tags.get(&owner_key("stack")).map(String::as_str) != Some(STACK)
            {
                return Err(failure("BadInput", "CIDR or tags"));
            }
            Ok(CreateVpcOutput::builder()
                .vpc(
                    ec2::Vpc::builder()
                        .vpc_id("vpc-1")
                        .owner_id("111122223333")
                        .build(),
                )
                .build())
        });
    }

    /// DeleteVpc of vpc-1 (only) answers `answer`.
    fn deletes(fake: &Fake, code: Option<(&'static str, &'static str)>) {
        answer!(fake, Ec2::delete_vpc, move |input| {
            if input.vpc_id() != Some("vpc-1") {
                return Err(failure("BadInput", "deleted another VPC than its own"));
            }
            match code {
                Some((c, m)) => Err(failure(c, m)),
                None => Ok(DeleteVpcOutput::builder().build()),
            }
        });
    }

    /// A create that meets a rival every time: the first look finds nothing,
    /// the look after its create finds the rival's VPC too.
    fn racing(fake: &Fake) {
        let n = Arc::new(AtomicUsize::new(0));
        answer!(fake, Ec2::describe_vpcs, move |_| {
            let vpcs = if n.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                vec![]
            } else {
                vec![ours("vpc-0", Some("fp-other")), ours("vpc-1", Some(FP))]
            };
            Ok(DescribeVpcsOutput::builder().set_vpcs(Some(vpcs)).build())
        });
        creates(fake);
        deletes(fake, None);
    }

    fn claim_error(e: ClaimError) -> AwsError {
        match e {
            ClaimError::Aws(e) => e,
            ClaimError::Taken { what, owner } => {
                AwsError::new("CreateVpc", "Taken", format!("{what} is taken ({owner:?})"))
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_vpc_table() {
        let cases = [
            Case {
                name: "creates the VPC when the stack has none",
                script: |f| {
                    listed(f, 1, vec![]);
                    creates(f);
                    listed(f, 1, vec![ours("vpc-1", Some(FP))]);
                },
                want: Ok(()),
            },
            Case {
                name: "new VPC not listed yet right after create (eventual consistency)",
                script: |f| {
                    listed(f, 1, vec![]);
                    creates(f);
                    listed(f, 1, vec![]);
                },
                want: Ok(()),
            },
            Case {
                name: "adopts what an unfinished create of this resource left",
                script: |f| listed(f, 1, vec![ours("vpc-1", Some(FP))]),
                want: Ok(()),
            },
            Case {
                name: "a VPC another state manages is not adopted",
                script: |f| listed(f, 1, vec![ours("vpc-9", None)]),
                want: Err("vpc-9 is taken (Managed)"),
            },
            Case {
                name: "a VPC another create is making is not adopted",
                script: |f| {
                    listed(
                        f,
                        1,
                        vec![ours("vpc-1", Some(FP)), ours("vpc-9", Some("fp-other"))],
                    )
                },
                want: Err("vpc-9 is taken (CreatingElsewhere)"),
            },
            Case {
                name: "DescribeVpcs fails",
                script: |f| {
                    answer!(f, Ec2::describe_vpcs, |_| Err(failure(
                        "UnauthorizedOperation",
                        "You are not authorized to perform this operation."
                    )))
                },
                want: Err("DescribeVpcs: UnauthorizedOperation: You are not authorized"),
            },
            Case {
                name: "CreateVpc fails",
                script: |f| {
                    listed(f, 1, vec![]);
                    answer!(f, Ec2::create_vpc, |_| Err(failure(
                        "VpcLimitExceeded",
                        "The maximum number of VPCs has been reached."
                    )));
                },
                want: Err("CreateVpc: VpcLimitExceeded: The maximum number of VPCs"),
            },
            Case {
                name: "loses a race: deletes its own VPC, then finds the winner's",
                script: |f| {
                    listed(f, 1, vec![]);
                    creates(f);
                    listed(
                        f,
                        1,
                        vec![ours("vpc-0", Some("fp-other")), ours("vpc-1", Some(FP))],
                    );
                    deletes(f, None);
                    listed(f, 1, vec![ours("vpc-0", Some("fp-other"))]);
                },
                want: Err("vpc-0 is taken (CreatingElsewhere)"),
            },
            Case {
                name: "loses a race; its own VPC is already gone (not found)",
                script: |f| {
                    listed(f, 1, vec![]);
                    creates(f);
                    listed(
                        f,
                        1,
                        vec![ours("vpc-0", Some("fp-other")), ours("vpc-1", Some(FP))],
                    );
                    deletes(
                        f,
                        Some(("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist")),
                    );
                    listed(f, 1, vec![ours("vpc-0", None)]);
                },
                want: Err("vpc-0 is taken (Managed)"),
            },
            Case {
                name: "loses a race and cannot delete its own VPC",
                script: |f| {
                    listed(f, 1, vec![]);
                    creates(f);
                    listed(
                        f,
                        1,
                        vec![ours("vpc-0", Some("fp-other")), ours("vpc-1", Some(FP))],
                    );
                    deletes(
                        f,
                        Some(("UnauthorizedOperation", "not allowed to delete VPCs")),
                    );
                },
                want: Err("DeleteVpc: UnauthorizedOperation: not allowed to delete VPCs"),
            },
            Case {
                name: "keeps meeting a rival: gives up, keeping nothing",
                script: racing,
                want: Err("ConcurrentCreate: another create of network \"net\" kept racing"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let (id, fresh) = ensure_vpc(&aws, &stop, &desired())
                .await
                .map_err(claim_error)?;
            // Every row that succeeds ends with vpc-1, created or adopted.
            if id != "vpc-1" {
                return Err(AwsError::new("Test", "WrongVpc", id));
            }
            Ok(fresh)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_vpc_says_what_a_new_vpc_holds_and_nothing_for_an_adopted_one() {
        let fake = Fake::new();
        listed(&fake, 1, vec![]);
        creates(&fake);
        listed(&fake, 1, vec![ours("vpc-1", Some(FP))]);
        let (id, fresh) = ensure_vpc(&fake.aws(), &Stop::new(), &desired())
            .await
            .map_err(claim_error)
            .unwrap();
        let fresh = fresh.expect("a new VPC comes with what it holds");
        assert_eq!(id, "vpc-1");
        let vpc = fresh.vpc.unwrap();
        assert_eq!(
            (vpc.id.as_str(), vpc.owner.as_str(), vpc.cidr.as_str()),
            ("vpc-1", "111122223333", "10.0.0.0/16")
        );
        assert!(vpc.dns_support && !vpc.dns_hostnames);
        assert!(fresh.default_sg.unwrap().has_rules);
        assert_eq!(fresh.tags["vpc-1"][CREATING_TAG], FP);
        assert_eq!(fresh.tags["vpc-1"]["team"], "core");
        assert_eq!(fake.count("CreateVpc"), 1);

        let fake = Fake::new();
        listed(&fake, 1, vec![ours("vpc-1", Some(FP))]);
        let (id, fresh) = ensure_vpc(&fake.aws(), &Stop::new(), &desired())
            .await
            .map_err(claim_error)
            .unwrap();
        assert_eq!((id.as_str(), fresh), ("vpc-1", None));
        assert_eq!(fake.count("CreateVpc"), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_vpc_gives_up_after_its_attempts() {
        let fake = Fake::new();
        racing(&fake);
        let e = ensure_vpc(&fake.aws(), &Stop::new(), &desired())
            .await
            .map_err(claim_error)
            .unwrap_err();
        assert!(e.is_code(&["ConcurrentCreate"]), "{e}");
        let attempts = CLAIM_ATTEMPTS as usize;
        assert_eq!(fake.count("CreateVpc"), attempts);
        // Every VPC it made was deleted again.
        assert_eq!(fake.count("DeleteVpc"), attempts);
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_vpc_stops_on_request() {
        // Backing off between racing attempts is cut short by a stop.
        stops_promptly(racing, |aws, stop| async move {
            ensure_vpc(&aws, &stop, &desired())
                .await
                .map_err(claim_error)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn stack_vpcs_are_sorted_and_need_an_id() {
        let fake = Fake::new();
        listed(
            &fake,
            1,
            vec![
                ours("vpc-b", None),
                ec2::Vpc::builder().build(),
                ours("vpc-a", None),
            ],
        );
        let got = stack_vpcs(&fake.aws(), STACK).await.unwrap();
        let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["vpc-a", "vpc-b"]);
        assert_eq!(got[0].1[&owner_key("stack")], STACK);
    }

    #[test]
    fn jitter_grows_with_each_attempt() {
        for attempt in 0..CLAIM_ATTEMPTS {
            let j = jitter(attempt).as_millis();
            let floor = 200 + 200 * u128::from(attempt);
            assert!((floor..floor + 1500).contains(&j), "{attempt}: {j} ms");
        }
    }

    #[test]
    fn fresh_vpc_holds_aws_defaults() {
        let r = CreateVpcOutput::builder()
            .vpc(ec2::Vpc::builder().owner_id("444455556666").build())
            .build();
        let tags = BTreeMap::from([("Name".to_string(), STACK.to_string())]);
        let o = fresh_vpc(&r, &desired(), "vpc-7", tags.clone());
        assert_eq!(
            o.vpc,
            Some(VpcSeen {
                id: "vpc-7".into(),
                creating: None,
                owner: "444455556666".into(),
                cidr: desired().cidr,
                dns_support: true,
                dns_hostnames: false,
            })
        );
        assert_eq!(o.tags.get("vpc-7"), Some(&tags));
        assert!(o.subnets.is_empty() && o.route_tables.is_empty() && o.igw.is_none());
        assert!(bool_attr(true).value() == Some(true));
    }

    #[tokio::test(start_paused = true)]
    async fn release_claim_table() {
        let cases = [
            Case {
                name: "removes the creating mark, whatever its value",
                script: |f| {
                    answer!(f, Ec2::delete_tags, |input| {
                        let t = input.tags();
                        if input.resources() != ["vpc-1".to_string()]
                            || t.len() != 1
                            || t[0].key() != Some(CREATING_TAG)
                            || t[0].value().is_some()
                        {
                            return Err(failure("BadInput", "not the creating mark of vpc-1"));
                        }
                        Ok(DeleteTagsOutput::builder().build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ec2::delete_tags, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to delete tags"
                    )))
                },
                want: Err("DeleteTags: UnauthorizedOperation: not allowed to delete tags"),
            },
            Case {
                name: "the VPC is gone",
                script: |f| {
                    answer!(f, Ec2::delete_tags, |_| Err(failure(
                        "InvalidVpcID.NotFound",
                        "The vpc ID 'vpc-1' does not exist"
                    )))
                },
                want: Err("InvalidVpcID.NotFound: The vpc ID 'vpc-1' does not exist"),
            },
        ];
        table(&cases, |aws, _| async move {
            release_claim(&aws, "vpc-1").await
        })
        .await;
    }

    fn perm(port: i32) -> ec2::IpPermission {
        ec2::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .build()
    }

    /// DescribeSecurityGroups (by id sg-1, or by VPC and name when `by_vpc`)
    /// answers one group with these rules.
    fn group(
        fake: &Fake,
        by_vpc: bool,
        ingress: Vec<ec2::IpPermission>,
        egress: Vec<ec2::IpPermission>,
    ) {
        answer!(fake, Ec2::describe_security_groups, move |input| {
            let ok = if by_vpc {
                input.group_ids().is_empty()
                    && has_filter(input.filters(), "vpc-id", "vpc-1")
                    && has_filter(input.filters(), "group-name", "default")
            } else {
                input.group_ids() == ["sg-1".to_string()]
            };
            if !ok {
                return Err(failure("BadInput", "not the default group of vpc-1"));
            }
            Ok(DescribeSecurityGroupsOutput::builder()
                .security_groups(
                    ec2::SecurityGroup::builder()
                        .group_id("sg-1")
                        .set_ip_permissions(Some(ingress.clone()))
                        .set_ip_permissions_egress(Some(egress.clone()))
                        .build(),
                )
                .build())
        });
    }

    /// Revokes that check they are given sg-1 and its rules.
    fn revokes(fake: &Fake) {
        answer!(fake, Ec2::revoke_security_group_ingress, |input| {
            if input.group_id() != Some("sg-1") || input.ip_permissions() != [perm(22)] {
                return Err(failure("BadInput", "not sg-1's ingress rules"));
            }
            Ok(RevokeSecurityGroupIngressOutput::builder().build())
        });
        answer!(fake, Ec2::revoke_security_group_egress, |input| {
            if input.group_id() != Some("sg-1") || input.ip_permissions() != [perm(443)] {
                return Err(failure("BadInput", "not sg-1's egress rules"));
            }
            Ok(RevokeSecurityGroupEgressOutput::builder().build())
        });
    }

    #[tokio::test(start_paused = true)]
    async fn lock_down_sg_table() {
        let cases = [
            Case {
                name: "revokes ingress and egress",
                script: |f| {
                    group(f, false, vec![perm(22)], vec![perm(443)]);
                    revokes(f);
                },
                want: Ok(()),
            },
            Case {
                name: "a group without rules needs no call",
                script: |f| group(f, false, vec![], vec![]),
                want: Ok(()),
            },
            Case {
                name: "DescribeSecurityGroups fails",
                script: |f| {
                    answer!(f, Ec2::describe_security_groups, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to describe security groups"
                    )))
                },
                want: Err("DescribeSecurityGroups: UnauthorizedOperation: not allowed"),
            },
            Case {
                name: "the group is gone",
                script: |f| {
                    answer!(f, Ec2::describe_security_groups, |_| Err(failure(
                        "InvalidGroup.NotFound",
                        "The security group 'sg-1' does not exist"
                    )))
                },
                want: Err("InvalidGroup.NotFound: The security group 'sg-1' does not exist"),
            },
            Case {
                name: "a revoke fails",
                script: |f| {
                    group(f, false, vec![perm(22)], vec![perm(443)]);
                    answer!(f, Ec2::revoke_security_group_ingress, |_| {
                        Ok(RevokeSecurityGroupIngressOutput::builder().build())
                    });
                    answer!(f, Ec2::revoke_security_group_egress, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to revoke egress"
                    )));
                },
                want: Err("RevokeSecurityGroupEgress: UnauthorizedOperation: not allowed"),
            },
        ];
        table(&cases, |aws, _| async move {
            lock_down_sg(&aws.ec2, "vpc-1", "sg-1").await
        })
        .await;
        // Right after a create the group's id is not known yet: it is found by VPC.
        let cases = [Case {
            name: "finds the default group by VPC and name",
            script: |f| {
                group(f, true, vec![perm(22)], vec![perm(443)]);
                revokes(f);
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            lock_down_sg(&aws.ec2, "vpc-1", "").await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn lock_down_sg_revokes_every_rule() {
        let fake = Fake::new();
        group(&fake, true, vec![perm(22)], vec![perm(443)]);
        revokes(&fake);
        lock_down_sg(&fake.aws().ec2, "vpc-1", "").await.unwrap();
        assert_eq!(fake.count("RevokeSecurityGroupIngress"), 1);
        assert_eq!(fake.count("RevokeSecurityGroupEgress"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn lock_down_sg_does_not_pass_a_group_not_listed_yet() {
        let fake = Fake::new();
        answer!(fake, Ec2::describe_security_groups, |_| {
            Ok(DescribeSecurityGroupsOutput::builder().build())
        }; times = 2);
        group(&fake, true, vec![perm(22)], vec![perm(443)]);
        revokes(&fake);
        let r = lock_down_sg(&fake.aws().ec2, "vpc-1", "").await;
        // Every VPC has a default group: success must mean its rules were revoked.
        if r.is_ok() {
            assert_eq!(
                fake.count("RevokeSecurityGroupIngress"),
                1,
                "reported locked down, revoked nothing"
            );
            assert_eq!(fake.count("RevokeSecurityGroupEgress"), 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn vpc_tags_table() {
        let cases = [
            Case {
                name: "an existing VPC's tags",
                script: |f| {
                    answer!(f, Ec2::describe_vpcs, |input| {
                        if input.vpc_ids() != ["vpc-1".to_string()] {
                            return Err(failure("BadInput", "not vpc-1"));
                        }
                        Ok(DescribeVpcsOutput::builder()
                            .vpcs(ours("vpc-1", None))
                            .build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "gone: not found",
                script: |f| {
                    answer!(f, Ec2::describe_vpcs, |_| Err(failure(
                        "InvalidVpcID.NotFound",
                        "The vpc ID 'vpc-1' does not exist"
                    )))
                },
                want: Ok(()),
            },
            Case {
                name: "gone: not listed",
                script: |f| {
                    answer!(f, Ec2::describe_vpcs, |_| Ok(
                        DescribeVpcsOutput::builder().build()
                    ))
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ec2::describe_vpcs, |_| Err(failure(
                        "RequestLimitExceeded",
                        "Request limit exceeded."
                    )))
                },
                want: Err("DescribeVpcs: RequestLimitExceeded: Request limit exceeded."),
            },
        ];
        table(&cases, |aws, _| async move {
            let tags = vpc_tags(&aws, "vpc-1").await?;
            // What is found is what AWS listed for vpc-1.
            if let Some(t) = &tags {
                if t.get(&owner_key("stack")).map(String::as_str) != Some(STACK) {
                    return Err(AwsError::new("Test", "WrongTags", format!("{t:?}")));
                }
            }
            Ok(tags)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn vpc_tags_is_none_only_when_gone() {
        let fake = Fake::new();
        answer!(fake, Ec2::describe_vpcs, |_| {
            Ok(DescribeVpcsOutput::builder().vpcs(ours("vpc-1", None)).build())
        }; times = 1);
        answer!(fake, Ec2::describe_vpcs, |_| Err(failure(
            "InvalidVpcID.NotFound",
            "gone"
        )));
        let aws = fake.aws();
        assert!(vpc_tags(&aws, "vpc-1").await.unwrap().is_some());
        assert_eq!(vpc_tags(&aws, "vpc-1").await.unwrap(), None);
    }
}
