//! The tier's security groups: what they admit, read back and brought to exactly
//! the allowed sources.

use super::*;

pub(super) fn sg_seen(g: &ec2::SecurityGroup) -> SgSeen {
    let mut ingress = Vec::new();
    for p in g.ip_permissions() {
        let port = p.from_port().unwrap_or(-1);
        for r in p.ip_ranges() {
            ingress.push((port, r.cidr_ip().unwrap_or_default().to_string()));
        }
        for r in p.ipv6_ranges() {
            ingress.push((port, r.cidr_ipv6().unwrap_or_default().to_string()));
        }
        for r in p.user_id_group_pairs() {
            ingress.push((port, r.group_id().unwrap_or_default().to_string()));
        }
    }
    ingress.sort();
    SgSeen {
        id: g.group_id().unwrap_or_default().to_string(),
        tags: ec2_tags::map(g.tags()),
        ingress,
    }
}

/// The ingress a security group of `engine` should have: exactly the allowed sources.
pub(super) fn wanted_ingress(d: &Desired, port: i32) -> Vec<(i32, String)> {
    let mut v: Vec<(i32, String)> = d
        .allowed_sgs
        .iter()
        .chain(d.allowed_cidrs.iter())
        .map(|s| (port, s.clone()))
        .collect();
    v.sort();
    v.dedup();
    v
}

pub(super) fn permission(port: i32, source: &str) -> ec2::IpPermission {
    let p = ec2::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port);
    if source.starts_with("sg-") {
        p.user_id_group_pairs(ec2::UserIdGroupPair::builder().group_id(source).build())
    } else if source.contains(':') {
        p.ipv6_ranges(ec2::Ipv6Range::builder().cidr_ipv6(source).build())
    } else {
        p.ip_ranges(ec2::IpRange::builder().cidr_ip(source).build())
    }
    .build()
}

/// Creates the engine's security group if missing and brings its ingress to
/// exactly the allowed sources (what else admits traffic is revoked).
/// The id of the tier's group for `engine` in its VPC when it carries this process's
/// claim mark.
async fn marked_group(aws: &Aws, d: &Desired, engine: &str) -> Result<Option<String>, AwsError> {
    let filter = |name: &str, value: &str| ec2::Filter::builder().name(name).values(value).build();
    let r = aws
        .ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &d.vpc_id))
        .filters(filter("group-name", &d.sg_name(engine)))
        .send()
        .await
        .op("DescribeSecurityGroups")?;
    Ok(r.security_groups()
        .iter()
        .find(|g| kit::claim::marked(&ec2_tags::map(g.tags()), &aws.fingerprint))
        .and_then(|g| g.group_id())
        .map(str::to_string))
}

pub(super) async fn ensure_sg(
    aws: &Aws,
    d: &Desired,
    engine: &str,
    port: i32,
    seen: Option<&SgSeen>,
) -> Result<String, AwsError> {
    let (id, have) = match seen {
        Some(s) => (s.id.clone(), s.ingress.clone()),
        None => {
            let r = aws
                .ec2
                .create_security_group()
                .group_name(d.sg_name(engine))
                .description(format!("ODE data tier {}: {engine} clients", d.name))
                .vpc_id(&d.vpc_id)
                .tag_specifications(ec2_tags::spec(
                    ec2::ResourceType::SecurityGroup,
                    &tier_tags(aws, d, &format!("sg/{engine}")),
                ))
                .send()
                .await
                .op("CreateSecurityGroup");
            let id = match r {
                Ok(r) => required("CreateSecurityGroup", "GroupId", r.group_id())?,
                // A create EC2 carried out whose answer was lost, sent again: the
                // group of that name is this create's when it carries its mark.
                Err(e) if e.is_code(&["InvalidGroup.Duplicate"]) => {
                    marked_group(aws, d, engine).await?.ok_or(e)?
                }
                Err(e) => return Err(e),
            };
            (id, Vec::new())
        }
    };
    if let Some(s) = seen {
        let tags = tier_tags(aws, d, &format!("sg/{engine}"));
        let have = BTreeMap::from([(s.id.clone(), s.tags.clone())]);
        ec2_tags::retag(&aws.ec2, &Stop::new(), vec![(s.id.clone(), tags)], &have).await?;
    }
    let want = wanted_ingress(d, port);
    let add: Vec<ec2::IpPermission> = want
        .iter()
        .filter(|w| !have.contains(w))
        .map(|(p, s)| permission(*p, s))
        .collect();
    let revoke: Vec<ec2::IpPermission> = have
        .iter()
        .filter(|h| !want.contains(h))
        .map(|(p, s)| permission(*p, s))
        .collect();
    let grant = async {
        if add.is_empty() {
            return Ok(());
        }
        // A group made a moment ago may not be visible yet (EC2 is eventually
        // consistent); an existing group's "not found" is believed at once.
        let granted = kit::retry::on_new(seen.is_none(), || async {
            aws.ec2
                .authorize_security_group_ingress()
                .group_id(&id)
                .set_ip_permissions(Some(add.clone()))
                .send()
                .await
                .op("AuthorizeSecurityGroupIngress")
                .map(|_| ())
        })
        .await;
        match granted {
            // Rules AWS added on a call retried after its answer was lost.
            Err(e) if e.is_code(&["InvalidPermission.Duplicate"]) => Ok(()),
            other => other,
        }
    };
    let take = async {
        if revoke.is_empty() {
            return Ok(());
        }
        let r = aws
            .ec2
            .revoke_security_group_ingress()
            .group_id(&id)
            .set_ip_permissions(Some(revoke))
            .send()
            .await
            .op("RevokeSecurityGroupIngress");
        // A rule already gone is revoked.
        found(r, &["InvalidPermission.NotFound"]).map(|_| ())
    };
    tokio::try_join!(grant, take)?;
    Ok(id)
}

#[cfg(test)]
// The scripts answer the SDK's own (large) error types.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, table, Case, Fake};
    use crate::framework::Value;
    use aws_sdk_ec2::operation::authorize_security_group_ingress::AuthorizeSecurityGroupIngressOutput;
    use aws_sdk_ec2::operation::create_security_group::CreateSecurityGroupOutput;
    use aws_sdk_ec2::operation::create_tags::CreateTagsOutput;
    use aws_sdk_ec2::operation::delete_tags::DeleteTagsOutput;
    use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
    use aws_sdk_ec2::Client as Ec2;

    /// A tier named `t` admitting `sg-app` and two CIDR blocks (one IPv6).
    fn desired() -> Desired {
        Desired::from_value(
            &Value::object([
                ("name", Value::string("t")),
                ("vpc_id", Value::string("vpc-1")),
                ("subnet_ids", Value::string_list(["subnet-a", "subnet-b"])),
                ("allowed_security_group_ids", Value::string_list(["sg-app"])),
                (
                    "allowed_cidr_blocks",
                    Value::string_list(["10.1.0.0/16", "2600:1f18::/56"]),
                ),
            ]),
            &Value::Null,
        )
    }

    fn wrong<E: aws_smithy_runtime_api::client::result::CreateUnhandledError>(
        input: &impl std::fmt::Debug,
    ) -> E {
        failure("WrongInput", &format!("{input:?}"))
    }

    /// (protocol, from, to, source) of each source of each permission, sorted.
    fn rules(perms: &[ec2::IpPermission]) -> Vec<(String, i32, i32, String)> {
        let mut v = Vec::new();
        for p in perms {
            let head = (
                p.ip_protocol().unwrap_or_default().to_string(),
                p.from_port().unwrap_or(-1),
                p.to_port().unwrap_or(-1),
            );
            let sources = p
                .ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip())
                .chain(p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6()))
                .chain(p.user_id_group_pairs().iter().filter_map(|g| g.group_id()));
            for s in sources {
                v.push((head.0.clone(), head.1, head.2, s.to_string()));
            }
        }
        v.sort();
        v
    }

    fn tcp(port: i32, sources: &[&str]) -> Vec<(String, i32, i32, String)> {
        let mut v: Vec<_> = sources
            .iter()
            .map(|s| ("tcp".to_string(), port, port, s.to_string()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn ingress_is_exactly_the_allowed_sources() {
        let mut d = desired();
        d.allowed_sgs.push("sg-app".into());
        assert_eq!(
            wanted_ingress(&d, 5432),
            vec![
                (5432, "10.1.0.0/16".to_string()),
                (5432, "2600:1f18::/56".to_string()),
                (5432, "sg-app".to_string()),
            ],
            "sorted, without duplicates"
        );
        // Each source goes in the field of its kind, and reads back as written.
        let perms: Vec<ec2::IpPermission> = wanted_ingress(&d, 6379)
            .iter()
            .map(|(p, s)| permission(*p, s))
            .collect();
        assert_eq!(
            rules(&perms),
            tcp(6379, &["10.1.0.0/16", "2600:1f18::/56", "sg-app"])
        );
        assert_eq!(perms[0].ip_ranges().len(), 1);
        assert_eq!(perms[1].ipv6_ranges().len(), 1);
        assert_eq!(perms[2].user_id_group_pairs().len(), 1);
        let g = ec2::SecurityGroup::builder()
            .group_id("sg-1")
            .set_ip_permissions(Some(perms))
            .tags(ec2::Tag::builder().key("team").value("data").build())
            .build();
        let seen = sg_seen(&g);
        assert_eq!(seen.id, "sg-1");
        assert_eq!(seen.ingress, wanted_ingress(&d, 6379));
        assert_eq!(seen.tags, Tags::from([("team".into(), "data".into())]));
        // Nothing allowed: nothing admitted.
        let mut none = desired();
        none.allowed_sgs.clear();
        none.allowed_cidrs.clear();
        assert!(wanted_ingress(&none, 5432).is_empty());
    }

    fn created(fake: &Fake) {
        answer!(fake, Ec2::create_security_group, |input| {
            let d = desired();
            let spec = input.tag_specifications();
            let ok = input.group_name() == Some("t-postgres")
                && input.vpc_id() == Some("vpc-1")
                && spec.len() == 1
                && spec[0].resource_type() == Some(&ec2::ResourceType::SecurityGroup)
                && ec2_tags::map(spec[0].tags())
                    == tier_tags(&Aws::for_tests(), &d, "sg/postgres");
            if !ok {
                return Err(wrong(input));
            }
            Ok(CreateSecurityGroupOutput::builder().group_id("sg-new").build())
        }; times = 1);
    }

    fn authorized(fake: &Fake, group: &'static str, sources: &'static [&'static str]) {
        answer!(fake, Ec2::authorize_security_group_ingress, move |input| {
            if input.group_id() != Some(group)
                || rules(input.ip_permissions()) != tcp(5432, sources)
            {
                return Err(wrong(input));
            }
            Ok(AuthorizeSecurityGroupIngressOutput::builder()
                .r#return(true)
                .build())
        }; times = 1);
    }

    const ALL: &[&str] = &["10.1.0.0/16", "2600:1f18::/56", "sg-app"];

    #[tokio::test(start_paused = true)]
    async fn ensure_sg_creates_table() {
        let cases = [
            Case {
                name: "created, then every source admitted",
                script: |f| {
                    created(f);
                    authorized(f, "sg-new", ALL);
                },
                want: Ok(()),
            },
            Case {
                name: "a group of that name without this create's mark",
                script: |f| {
                    answer!(f, Ec2::create_security_group, |_| Err(failure(
                        "InvalidGroup.Duplicate",
                        "The security group 't-postgres' already exists for VPC 'vpc-1'"
                    )));
                    answer!(f, Ec2::describe_security_groups, |_| Ok(
                        aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput::builder()
                            .security_groups(ec2::SecurityGroup::builder().group_id("sg-other").build())
                            .build()
                    ));
                },
                want: Err("CreateSecurityGroup: InvalidGroup.Duplicate: The security group 't-postgres' already exists"),
            },
            Case {
                name: "AWS failure admitting",
                script: |f| {
                    created(f);
                    answer!(f, Ec2::authorize_security_group_ingress, |_| Err(failure(
                        "RulesPerSecurityGroupLimitExceeded",
                        "The maximum number of rules per security group has been reached."
                    )));
                },
                want: Err("AuthorizeSecurityGroupIngress: RulesPerSecurityGroupLimitExceeded: The maximum number of rules"),
            },
        ];
        table(&cases, |aws, _| async move {
            let id = ensure_sg(&aws, &desired(), "postgres", 5432, None).await?;
            if id != "sg-new" {
                return Err(AwsError::new("Test", "Wrong", id));
            }
            Ok(id)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_sg_waits_for_a_new_group_to_be_visible() {
        let cases = [Case {
            name: "not found right after create, then admitted",
            script: |f| {
                created(f);
                answer!(f, Ec2::authorize_security_group_ingress, |_| Err(failure(
                    "InvalidGroup.NotFound",
                    "The security group 'sg-new' does not exist"
                )); times = 1);
                authorized(f, "sg-new", ALL);
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            ensure_sg(&aws, &desired(), "postgres", 5432, None).await
        })
        .await;
    }

    /// The group `sg-1` as read: one tag stale, one missing; `sg-app` admitted
    /// already, and a source no longer allowed.
    fn existing() -> SgSeen {
        let mut tags = tier_tags(&Aws::for_tests(), &desired(), "sg/postgres");
        tags.remove(&owner_key("key"));
        tags.insert("stale".into(), "x".into());
        SgSeen {
            id: "sg-1".into(),
            tags,
            ingress: vec![(5432, "192.168.0.0/16".into()), (5432, "sg-app".into())],
        }
    }

    fn retagged(fake: &Fake) {
        answer!(fake, Ec2::create_tags, |input| {
            let want = Tags::from([(owner_key("key"), "sg/postgres".to_string())]);
            if input.resources() != ["sg-1"] || ec2_tags::map(input.tags()) != want {
                return Err(wrong(input));
            }
            Ok(CreateTagsOutput::builder().build())
        }; times = 1);
        answer!(fake, Ec2::delete_tags, |input| {
            let keys: Vec<_> = input.tags().iter().filter_map(|t| t.key()).collect();
            if input.resources() != ["sg-1"] || keys != ["stale"] {
                return Err(wrong(input));
            }
            Ok(DeleteTagsOutput::builder().build())
        }; times = 1);
    }

    fn revoked(fake: &Fake) {
        answer!(fake, Ec2::revoke_security_group_ingress, |input| {
            if input.group_id() != Some("sg-1")
                || rules(input.ip_permissions()) != tcp(5432, &["192.168.0.0/16"])
            {
                return Err(wrong(input));
            }
            Ok(RevokeSecurityGroupIngressOutput::builder()
                .r#return(true)
                .build())
        }; times = 1);
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_sg_brings_an_existing_group_to_the_plan_table() {
        let cases = [
            Case {
                name: "retagged, missing sources admitted, others revoked",
                script: |f| {
                    retagged(f);
                    authorized(f, "sg-1", &["10.1.0.0/16", "2600:1f18::/56"]);
                    revoked(f);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure tagging",
                script: |f| {
                    answer!(f, Ec2::create_tags, |_| Err(failure(
                        "UnauthorizedOperation",
                        "You are not authorized to perform this operation."
                    )));
                    answer!(f, Ec2::delete_tags, |_| Ok(
                        DeleteTagsOutput::builder().build()
                    ));
                },
                want: Err("CreateTags: UnauthorizedOperation: You are not authorized"),
            },
            Case {
                name: "AWS failure revoking",
                script: |f| {
                    retagged(f);
                    authorized(f, "sg-1", &["10.1.0.0/16", "2600:1f18::/56"]);
                    answer!(f, Ec2::revoke_security_group_ingress, |_| Err(failure(
                        "UnauthorizedOperation",
                        "You are not authorized to perform: ec2:RevokeSecurityGroupIngress"
                    )));
                },
                want: Err("RevokeSecurityGroupIngress: UnauthorizedOperation"),
            },
        ];
        table(&cases, |aws, _| async move {
            let id = ensure_sg(&aws, &desired(), "postgres", 5432, Some(&existing())).await?;
            if id != "sg-1" {
                return Err(AwsError::new("Test", "Wrong", id));
            }
            Ok(id)
        })
        .await;

        // In step: no call at all.
        let cases = [Case {
            name: "in step",
            script: |_| {},
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            let d = desired();
            let seen = SgSeen {
                id: "sg-1".into(),
                tags: tier_tags(&aws, &d, "sg/postgres"),
                ingress: wanted_ingress(&d, 5432),
            };
            ensure_sg(&aws, &d, "postgres", 5432, Some(&seen)).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_sg_revoking_a_rule_already_gone_is_done() {
        let cases = [Case {
            name: "revoked rule already gone",
            script: |f| {
                retagged(f);
                authorized(f, "sg-1", &["10.1.0.0/16", "2600:1f18::/56"]);
                answer!(f, Ec2::revoke_security_group_ingress, |_| Err(failure(
                    "InvalidPermission.NotFound",
                    "The specified rule does not exist in this security group."
                )));
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            ensure_sg(&aws, &desired(), "postgres", 5432, Some(&existing())).await
        })
        .await;
    }
}
