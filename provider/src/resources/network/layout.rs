//! Deterministic subnet layout: CIDRs keyed by tier and availability zone.
//!
//! The VPC block is split once and for all: public gets the first quarter,
//! isolated the second, private the second half. Each tier range has eight
//! slots, one per AZ letter (`a` = slot 0 ... `h` = slot 7), and a subnet is
//! the first block of its prefix length inside its slot. Because a subnet's
//! CIDR depends only on (tier, AZ letter, prefix length), adding or removing an
//! AZ or a tier never moves another subnet.
//!
//! The price of that stability is a size limit: in a /16 VPC a computed public
//! or isolated subnet is at most /21 and a private one at most /20, however few
//! zones are used. Giving larger subnets to fewer zones would move them when a
//! zone is added, so the layout does not; a tier's explicit `cidrs` are the way
//! to larger subnets (EKS pod IPs), and the error message says so.

use std::collections::BTreeMap;
use std::fmt;

/// A subnet tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Public,
    Private,
    Isolated,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Public, Tier::Private, Tier::Isolated];

    pub fn name(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Private => "private",
            Tier::Isolated => "isolated",
        }
    }

    pub fn from_name(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.name() == s)
    }

    /// The tier's range inside the VPC: (offset in quarters, extra prefix bits).
    fn range(self) -> (u32, u8) {
        match self {
            Tier::Public => (0, 2),
            Tier::Isolated => (1, 2),
            Tier::Private => (2, 1),
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// AZ slots per tier range (letters a..h).
pub const SLOTS: u32 = 8;
const SLOT_BITS: u8 = 3;
/// The smallest subnet AWS allows.
pub const MAX_PREFIX: u8 = 28;

/// An IPv4 CIDR block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    pub addr: u32,
    pub prefix: u8,
}

impl Cidr {
    /// Parses an IPv4 CIDR block in AWS's form: dotted decimal without
    /// leading zeros (`010.0.0.0/8` is refused, as EC2 refuses it) and no host
    /// bits set.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (ip, len) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not a CIDR block (for example \"10.0.0.0/16\")."))?;
        // std's parser is strict (no leading zeros); ipnet does the prefix arithmetic.
        let net = ip
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .zip(
                len.parse::<u8>()
                    .ok()
                    .filter(|_| len.bytes().all(|b| b.is_ascii_digit())),
            )
            .and_then(|(addr, len)| ipnet::Ipv4Net::new(addr, len).ok())
            .ok_or_else(|| {
                format!(
                    "{s:?} is not an IPv4 CIDR block (four decimal numbers 0-255 without leading \
                     zeros, a slash, a prefix length 0-32)."
                )
            })?;
        if net.trunc() != net {
            return Err(format!(
                "{s:?} has host bits set; the network address is {}.",
                net.trunc()
            ));
        }
        Ok(Cidr {
            addr: u32::from(net.addr()),
            prefix: net.prefix_len(),
        })
    }

    fn mask(self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// The `index`-th block of prefix `self.prefix + bits` inside `self`.
    fn sub(self, bits: u8, index: u32) -> Cidr {
        let prefix = self.prefix + bits;
        let step = 1u64 << (32 - u32::from(prefix));
        Cidr {
            addr: (u64::from(self.addr) + step * u64::from(index)) as u32,
            prefix,
        }
    }

    pub fn contains(self, other: Cidr) -> bool {
        other.prefix >= self.prefix && other.addr & self.mask() == self.addr
    }

    pub fn overlaps(self, other: Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    fn last(self) -> u64 {
        u64::from(self.addr) + self.size() - 1
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.addr.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.prefix)
    }
}

/// The slot of an AZ: its letter, `a` = 0 through `h` = 7.
pub fn az_slot(az: &str) -> Result<u32, String> {
    match az.chars().last() {
        Some(c @ 'a'..='h') => Ok(c as u32 - 'a' as u32),
        _ => Err(format!(
            "{az:?}: availability zone names must end in a letter a to h (for example \
             \"us-east-1a\")."
        )),
    }
}

/// The prefix length of a tier's per-AZ slot in `vpc` (the largest subnet it can hold).
pub fn slot_prefix(vpc: Cidr, tier: Tier) -> u8 {
    vpc.prefix + tier.range().1 + SLOT_BITS
}

/// A tier's default prefix length: the whole slot.
pub fn default_prefix(vpc: Cidr, tier: Tier) -> u8 {
    slot_prefix(vpc, tier)
}

/// The CIDR of `tier`'s subnet in `az` with `prefix` (None = default).
pub fn subnet_cidr(vpc: Cidr, tier: Tier, az: &str, prefix: Option<u8>) -> Result<Cidr, String> {
    let slot = az_slot(az)?;
    let (quarter, bits) = tier.range();
    let range = vpc.sub(2, quarter);
    let range = Cidr {
        addr: range.addr,
        prefix: vpc.prefix + bits,
    };
    let slot_block = range.sub(SLOT_BITS, slot);
    let want = prefix.unwrap_or(slot_block.prefix);
    if slot_block.prefix > MAX_PREFIX {
        return Err(format!(
            "A /{} VPC is too small for the {tier} tier's layout (its per-AZ slots would be \
             /{}, smaller than AWS's minimum /{MAX_PREFIX}). Use a larger cidr_block or give \
             explicit cidrs for the tier.",
            vpc.prefix, slot_block.prefix
        ));
    }
    if want < slot_block.prefix || want > MAX_PREFIX {
        return Err(format!(
            "The {tier} tier's prefix_length must be between {slot} and {MAX_PREFIX} in a /{} VPC; \
             got {want}. Each availability-zone letter (a to h) has a fixed /{slot} slot in the \
             {tier} tier, so that adding or removing a zone never moves a subnet. For larger \
             {tier} subnets, give the tier explicit per-zone cidrs (any blocks inside the VPC \
             that do not overlap).",
            vpc.prefix,
            slot = slot_block.prefix
        ));
    }
    Ok(Cidr {
        addr: slot_block.addr,
        prefix: want,
    })
}

/// One tier's settings for the layout.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TierSpec {
    pub prefix: Option<u8>,
    /// Explicit CIDRs by AZ; AZs not listed use the computed layout.
    pub cidrs: BTreeMap<String, String>,
}

/// A layout error, with the tier it concerns (None = the VPC as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutError {
    pub tier: Option<Tier>,
    /// Which setting is at fault.
    pub field: Field,
    pub message: String,
}

/// The setting a layout error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    CidrBlock,
    Zones,
    /// The tier's `prefix_length`.
    Prefix,
    /// The tier's explicit `cidrs`.
    Cidrs,
}

/// Every subnet CIDR for the enabled tiers, checked for fit and overlap.
pub fn layout(
    vpc: Cidr,
    azs: &[String],
    tiers: &BTreeMap<Tier, TierSpec>,
) -> Result<BTreeMap<(Tier, String), Cidr>, LayoutError> {
    let vpc_err = |field: Field, m: String| LayoutError {
        tier: None,
        field,
        message: m,
    };
    if !(16..=MAX_PREFIX).contains(&vpc.prefix) {
        return Err(vpc_err(
            Field::CidrBlock,
            format!(
                "The VPC's prefix length must be between 16 and {MAX_PREFIX}; got /{}.",
                vpc.prefix
            ),
        ));
    }
    let mut seen_slots = BTreeMap::new();
    for az in azs {
        let slot = az_slot(az).map_err(|m| vpc_err(Field::Zones, m))?;
        if let Some(other) = seen_slots.insert(slot, az) {
            return Err(vpc_err(
                Field::Zones,
                format!(
                    "{other:?} and {az:?} share the letter that places their subnets; list \
                     each zone once."
                ),
            ));
        }
    }
    let mut out = BTreeMap::new();
    for (tier, spec) in tiers {
        let err = |m: String| LayoutError {
            tier: Some(*tier),
            field: Field::Cidrs,
            message: m,
        };
        if let Some(az) = spec.cidrs.keys().find(|k| !azs.contains(k)) {
            return Err(err(format!(
                "cidrs names {az:?}, which is not one of the network's availability zones."
            )));
        }
        let slot = slot_prefix(vpc, *tier);
        if slot > MAX_PREFIX && spec.cidrs.len() < azs.len() {
            return Err(LayoutError {
                tier: Some(*tier),
                field: Field::CidrBlock,
                message: format!(
                    "A /{} VPC is too small for the {tier} tier's layout (its per-AZ slots \
                     would be /{slot}, smaller than AWS's minimum /{MAX_PREFIX}). Use a larger \
                     cidr_block or give explicit cidrs for the tier.",
                    vpc.prefix
                ),
            });
        }
        for az in azs {
            let cidr = match spec.cidrs.get(az) {
                Some(explicit) => {
                    let c = Cidr::parse(explicit).map_err(err)?;
                    if !vpc.contains(c) {
                        return Err(err(format!("{c} ({az}) is not inside the VPC's {vpc}.")));
                    }
                    if !(16..=MAX_PREFIX).contains(&c.prefix) {
                        return Err(err(format!(
                            "{c} ({az}): subnets must be /16 to /{MAX_PREFIX}."
                        )));
                    }
                    c
                }
                None => subnet_cidr(vpc, *tier, az, spec.prefix).map_err(|m| LayoutError {
                    tier: Some(*tier),
                    field: Field::Prefix,
                    message: m,
                })?,
            };
            out.insert((*tier, az.clone()), cidr);
        }
    }
    let all: Vec<(&(Tier, String), &Cidr)> = out.iter().collect();
    for (i, (ka, a)) in all.iter().enumerate() {
        for (kb, b) in &all[i + 1..] {
            if a.overlaps(**b) {
                // Computed subnets never overlap: blame the tier with explicit CIDRs.
                let explicit = |k: &(Tier, String)| {
                    tiers.get(&k.0).is_some_and(|t| t.cidrs.contains_key(&k.1))
                };
                let tier = if explicit(kb) { kb.0 } else { ka.0 };
                return Err(LayoutError {
                    tier: Some(tier),
                    field: Field::Cidrs,
                    message: format!(
                        "The {} subnet in {} ({b}) overlaps the {} subnet in {} ({a}).",
                        kb.0, kb.1, ka.0, ka.1
                    ),
                });
            }
        }
    }
    debug_assert!(out.values().all(|c| c.last() <= vpc.last()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn all_tiers() -> BTreeMap<Tier, TierSpec> {
        Tier::ALL
            .into_iter()
            .map(|t| (t, TierSpec::default()))
            .collect()
    }

    #[test]
    fn seed_layout_for_a_16_over_three_zones() {
        let vpc = Cidr::parse("10.0.0.0/16").unwrap();
        let l = layout(
            vpc,
            &azs(&["us-east-1a", "us-east-1b", "us-east-1c"]),
            &all_tiers(),
        )
        .unwrap();
        let get = |t, az: &str| l[&(t, az.to_string())].to_string();
        assert_eq!(get(Tier::Public, "us-east-1a"), "10.0.0.0/21");
        assert_eq!(get(Tier::Public, "us-east-1c"), "10.0.16.0/21");
        assert_eq!(get(Tier::Isolated, "us-east-1a"), "10.0.64.0/21");
        assert_eq!(get(Tier::Private, "us-east-1a"), "10.0.128.0/20");
        assert_eq!(get(Tier::Private, "us-east-1b"), "10.0.144.0/20");
        assert_eq!(l.len(), 9);
    }

    #[test]
    fn adding_a_zone_or_tier_moves_nothing() {
        let vpc = Cidr::parse("10.0.0.0/16").unwrap();
        let mut two = all_tiers();
        two.remove(&Tier::Isolated);
        let before = layout(vpc, &azs(&["us-east-1a", "us-east-1c"]), &two).unwrap();
        let after = layout(
            vpc,
            &azs(&["us-east-1a", "us-east-1b", "us-east-1c"]),
            &all_tiers(),
        )
        .unwrap();
        for (k, v) in before {
            assert_eq!(after[&k], v, "{k:?} moved");
        }
    }

    #[test]
    fn explicit_prefixes_and_cidrs() {
        let vpc = Cidr::parse("10.0.0.0/16").unwrap();
        let mut t = all_tiers();
        t.get_mut(&Tier::Public).unwrap().prefix = Some(24);
        t.get_mut(&Tier::Isolated)
            .unwrap()
            .cidrs
            .insert("us-east-1a".into(), "10.0.100.0/24".into());
        let l = layout(vpc, &azs(&["us-east-1a", "us-east-1b"]), &t).unwrap();
        assert_eq!(
            l[&(Tier::Public, "us-east-1b".into())].to_string(),
            "10.0.8.0/24"
        );
        assert_eq!(
            l[&(Tier::Isolated, "us-east-1a".into())].to_string(),
            "10.0.100.0/24"
        );
    }

    #[test]
    fn errors_name_the_tier() {
        let vpc = Cidr::parse("10.0.0.0/16").unwrap();
        let z = azs(&["us-east-1a", "us-east-1b"]);
        let mut t = all_tiers();
        t.get_mut(&Tier::Private)
            .unwrap()
            .cidrs
            .insert("us-east-1a".into(), "10.0.0.0/24".into());
        let e = layout(vpc, &z, &t).unwrap_err();
        assert!(e.message.contains("overlaps"), "{e:?}");
        let mut t = all_tiers();
        t.get_mut(&Tier::Public).unwrap().prefix = Some(18);
        assert_eq!(layout(vpc, &z, &t).unwrap_err().tier, Some(Tier::Public));
        let small = Cidr::parse("10.0.0.0/26").unwrap();
        assert_eq!(
            layout(small, &z, &all_tiers()).unwrap_err().field,
            Field::CidrBlock
        );
        assert!(layout(Cidr::parse("10.0.0.0/8").unwrap(), &z, &all_tiers()).is_err());
        assert!(layout(vpc, &azs(&["us-east-1a", "us-west-2a"]), &all_tiers()).is_err());
    }

    #[test]
    fn cidr_parsing() {
        assert!(Cidr::parse("10.0.0.0/16").is_ok());
        for bad in [
            "10.0.0.0",
            "10.0.0/16",
            "10.0.0.1/16",
            "10.0.0.0/33",
            "x/16",
            "256.0.0.0/8",
            "010.0.0.0/8",
            "10.0.0.0/016x",
            "fd00::/8",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
        let a = Cidr::parse("10.0.0.0/16").unwrap();
        assert!(a.contains(Cidr::parse("10.0.3.0/24").unwrap()));
        assert!(!a.contains(Cidr::parse("10.1.0.0/24").unwrap()));
    }
}
