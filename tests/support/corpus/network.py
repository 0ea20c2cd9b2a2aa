"""Invalid configurations of ``ode_network`` and of ``modules/network``."""

from __future__ import annotations

from . import CROSS, ELEMENT, OMIT, PATTERN, RANGE, READ_ONLY, TYPE, Case, Composite, arg, module_arg

TWO_ZONES = 'availability_zones = ["us-east-1a", "us-east-1b"]'
LONG = "x" * 129


def mod(slug: str, variable: str, value: str, says: str, *, type_error: bool = False) -> Case:
    return module_arg("network", slug, variable, value, says, type_error=type_error)


NOT_CIDR = "is not an IPv4 CIDR block"
DURATION = "is not a duration"

CASES = (
    # -- name
    arg("name-empty", PATTERN, "name", '""', "names are 1 to 64 letters, digits, '-' or '_'"),
    arg("name-space", PATTERN, "name", '"ode net"', '"ode net": names are 1 to 64'),
    arg("name-dot", PATTERN, "name", '"ode.net"', '"ode.net": names are 1 to 64'),
    arg("name-65-chars", RANGE, "name", f'"{"n" * 65}"', "names are 1 to 64"),
    Case("name-missing", TYPE, "name", 'The argument "name" is required', args={"name": OMIT}, at=()),
    # -- cidr_block
    arg("cidr-not-cidr", PATTERN, "cidr_block", '"not-a-cidr"', '"not-a-cidr" is not a CIDR block'),
    arg("cidr-leading-zero", PATTERN, "cidr_block", '"010.0.0.0/16"', NOT_CIDR),
    arg("cidr-no-prefix", PATTERN, "cidr_block", '"10.0.0.0"', '"10.0.0.0" is not a CIDR block'),
    arg("cidr-ipv6", PATTERN, "cidr_block", '"2001:db8::/56"', NOT_CIDR),
    arg("cidr-host-bits", PATTERN, "cidr_block", '"10.0.0.1/16"', "has host bits set; the network address is 10.0.0.0/16"),
    arg("cidr-prefix-15", RANGE, "cidr_block", '"10.0.0.0/15"', "The VPC's prefix length must be between 16 and 28; got /15"),
    arg("cidr-prefix-29", RANGE, "cidr_block", '"10.0.0.0/29"', "must be between 16 and 28; got /29"),
    Case(
        "cidr-too-small-for-zones", CROSS, "cidr_block", "A /24 VPC is too small for the",
        args={"cidr_block": '"10.0.0.0/24"'}, body=TWO_ZONES,
    ),
    # Zones left to the region: the layout is checked at plan.
    arg("cidr-too-small-at-plan", CROSS, "cidr_block", '"10.0.0.0/25"', "A /25 VPC is too small for the"),
    # -- zones
    arg("az-count-zero", RANGE, "az_count", "0", "az_count must be 1 to 8; got 0."),
    arg("az-count-nine", RANGE, "az_count", "9", "az_count must be 1 to 8; got 9."),
    arg("az-count-negative", RANGE, "az_count", "-2", "got -2"),
    arg("az-count-fraction", TYPE, "az_count", "2.5", "2.5 is not a whole number"),
    arg("az-count-beyond-region", CROSS, "az_count", "7", "us-east-1 offers 6 zones"),
    arg("az-count-string", TYPE, "az_count", '"three"', "a number is required"),
    Case("az-count-and-zones", CROSS, "az_count", "Set either availability_zones or az_count, not both", body=f"az_count = 2\n{TWO_ZONES}"),
    arg("zones-empty", RANGE, "availability_zones", "[]", "List at least one availability zone"),
    arg("zones-string", TYPE, "availability_zones", '"us-east-1a"', "list of string required"),
    Case(
        "zones-duplicate", ELEMENT, "availability_zones[1]", '"us-east-1a" is listed more than once',
        body='availability_zones = [\n  "us-east-1a",\n  "us-east-1a",\n]',
        at=("availability_zones", '"us-east-1a"', '"us-east-1a"'),
    ),
    Case(
        "zone-letter-z", ELEMENT, "availability_zones[1]", '"us-east-1z": availability zone names must end in a letter a to h',
        body='availability_zones = [\n  "us-east-1a",\n  "us-east-1z",\n]', at=("availability_zones", '"us-east-1z"'),
    ),
    Case(
        "zones-share-letter", CROSS, "availability_zones", "share the letter that places their subnets",
        body='availability_zones = ["us-east-1b", "eu-west-1b"]',
    ),
    Case(
        "zone-other-region", ELEMENT, "availability_zones[1]", '"us-west-2b" is not an available zone of us-east-1',
        body='availability_zones = [\n  "us-east-1a",\n  "us-west-2b",\n]', at=("availability_zones", '"us-west-2b"'),
    ),
    Case(
        "zone-not-offered", ELEMENT, "availability_zones[0]", '"us-east-1h" is not an available zone of us-east-1',
        body='availability_zones = [\n  "us-east-1h",\n  "us-east-1a",\n]', at=("availability_zones", '"us-east-1h"'),
    ),
    # -- NAT
    arg("nat-unknown", PATTERN, "nat_gateways", '"two_per_az"', '"two_per_az" is not a NAT strategy'),
    arg("nat-uppercase", PATTERN, "nat_gateways", '"SINGLE"', '"SINGLE" is not a NAT strategy'),
    arg("nat-empty", PATTERN, "nat_gateways", '""', '"" is not a NAT strategy'),
    arg("nat-list", TYPE, "nat_gateways", '["single"]', "string required"),
    Case("nat-without-public", CROSS, "public.enabled", "NAT gateways need public subnets", body="public {\n  enabled = false\n}"),
    # -- tiers
    Case("prefix-12", RANGE, "private.prefix_length", "Subnet prefix lengths are 16 to 28; got 12", body="private {\n  prefix_length = 12\n}"),
    Case("prefix-29", RANGE, "isolated.prefix_length", "Subnet prefix lengths are 16 to 28; got 29", body="isolated {\n  prefix_length = 29\n}"),
    Case("prefix-fraction", TYPE, "public.prefix_length", "24.5 is not a whole number", body="public {\n  prefix_length = 24.5\n}"),
    Case("prefix-string", TYPE, "public.prefix_length", "a number is required", body='public {\n  prefix_length = "twenty"\n}'),
    Case(
        "prefix-wider-than-slot", CROSS, "private.prefix_length", "The private tier's prefix_length must be between 20 and 28 in a /16 VPC; got 19",
        body=f"{TWO_ZONES}\nprivate {{\n  prefix_length = 19\n}}",
    ),
    Case(
        "prefix-wider-than-slot-at-plan", CROSS, "public.prefix_length", "between 21 and 28 in a /16 VPC; got 18",
        body="public {\n  prefix_length = 18\n}",
    ),
    Case(
        "tier-cidr-not-cidr", ELEMENT, "private.cidrs", f'"10.0.128.0/33" {NOT_CIDR}',
        body='private {\n  cidrs = {\n    "us-east-1a" = "10.0.128.0/33"\n  }\n}', at=("private", "cidrs", '"us-east-1a"'),
    ),
    Case(
        "tier-cidr-host-bits", ELEMENT, "isolated.cidrs", '"10.0.64.1/21" has host bits set',
        body='isolated {\n  cidrs = {\n    "us-east-1b" = "10.0.64.1/21"\n  }\n}', at=("isolated", "cidrs", '"us-east-1b"'),
    ),
    Case(
        "tier-cidr-outside-vpc", CROSS, "public.cidrs", "10.1.0.0/20 (us-east-1a) is not inside the VPC's 10.0.0.0/16",
        body=f'{TWO_ZONES}\npublic {{\n  cidrs = {{ "us-east-1a" = "10.1.0.0/20" }}\n}}', at=("public", "cidrs"),
    ),
    Case(
        "tier-cidr-other-zone", CROSS, "private.cidrs", 'cidrs names "us-east-1f", which is not one of the network\'s availability zones',
        body=f'{TWO_ZONES}\nprivate {{\n  cidrs = {{ "us-east-1f" = "10.0.128.0/20" }}\n}}', at=("private", "cidrs"),
    ),
    Case(
        "tier-cidr-overlap", CROSS, "isolated.cidrs", "overlaps the public subnet in us-east-1a",
        body=f'{TWO_ZONES}\nisolated {{\n  cidrs = {{ "us-east-1a" = "10.0.0.0/22" }}\n}}', at=("isolated", "cidrs"),
    ),
    Case(
        "tier-cidr-overlap-at-plan", CROSS, "isolated.cidrs", "overlaps the private subnet in us-east-1a",
        body='isolated {\n  cidrs = { "us-east-1a" = "10.0.128.0/24" }\n}', at=("isolated", "cidrs"),
    ),
    Case(
        "tier-cidr-29", RANGE, "public.cidrs", "10.0.0.0/29 (us-east-1a): subnets must be /16 to /28",
        body=f'{TWO_ZONES}\npublic {{\n  cidrs = {{ "us-east-1a" = "10.0.0.0/29" }}\n}}', at=("public", "cidrs"),
    ),
    Case(
        "tier-cidrs-list", TYPE, "private.cidrs", "map of string required", body='private {\n  cidrs = ["10.0.128.0/20"]\n}', at=("private", "cidrs"),
    ),
    Case(
        "tier-unknown-argument", TYPE, "private.size", 'An argument named "size" is not expected here', body="private {\n  size = 3\n}",
        at=("private", "size"),
    ),
    Case("tier-as-argument", TYPE, "private", 'An argument named "private" is not expected here', body="private = { enabled = false }"),
    Case("tier-twice", TYPE, "public", "Duplicate public block", body="public {}\npublic {}", at=("public", "public")),
    # -- tags
    Case(
        "tag-aws-prefix", ELEMENT, 'tags["aws:owner"]', 'Tag key "aws:owner" uses the reserved prefix "aws:"',
        body='tags = {\n  Team        = "platform"\n  "aws:owner" = "me"\n}', at=("tags", '"aws:owner"'),
    ),
    Case(
        "tag-ode-prefix", ELEMENT, 'tags["ode:stack"]', "which this provider reserves for its ownership tags",
        body='tags = {\n  "ode:stack" = "other"\n  Team        = "platform"\n}', at=("tags", '"ode:stack"'),
    ),
    Case(
        "tag-aws-uppercase", ELEMENT, 'tags["AWS:Owner"]', 'uses the reserved prefix "aws:"',
        body='tags = {\n  "AWS:Owner" = "me"\n}', at=("tags", '"AWS:Owner"'),
    ),
    Case("tag-empty-key", RANGE, 'tags[""]', "Tag keys must be 1 to 128 characters long", body='tags = {\n  "" = "x"\n}', at=("tags", '""')),
    Case(
        "tag-long-key", RANGE, "tags[long]", "Tag keys must be 1 to 128 characters long", body=f'tags = {{\n  "{LONG}" = "x"\n}}',
        at=("tags", f'"{LONG}"'),
    ),
    Case(
        "tag-long-value", RANGE, 'tags["Team"]', "Tag values must be at most 256 characters long",
        body=f'tags = {{\n  Team = "{"v" * 257}"\n}}', at=("tags", "Team"),
    ),
    arg("tags-list", TYPE, "tags", '["a"]', "map of string required"),
    Case(
        "tier-tag-ode-prefix", ELEMENT, 'public.tags["ode:role"]', 'Tag key "ode:role" uses the prefix "ode:"',
        body='public {\n  tags = {\n    "ode:role" = "x"\n  }\n}', at=("public", "tags", '"ode:role"'),
    ),
    Case(
        "tier-tag-aws-prefix", ELEMENT, 'isolated.tags["aws:x"]', 'Tag key "aws:x" uses the reserved prefix',
        body='isolated {\n  tags = {\n    "aws:x" = "1"\n  }\n}', at=("isolated", "tags", '"aws:x"'),
    ),
    # -- VPC endpoints
    arg("gateway-endpoint-sts", PATTERN, "gateway_endpoints", '["sts"]', '"sts": gateway endpoints exist for "s3" and "dynamodb" only'),
    arg("interface-endpoint-uppercase", PATTERN, "interface_endpoints", '["ECR.api"]', "is not an AWS service's endpoint name"),
    arg("interface-endpoint-space", PATTERN, "interface_endpoints", '["ecr api"]', '"ecr api" is not an AWS service\'s endpoint name'),
    arg("interface-endpoint-string", TYPE, "interface_endpoints", '"sts"', "set of string required"),
    arg(
        "interface-endpoint-not-offered", CROSS, "interface_endpoints", '["sts", "no-such-service"]',
        'offers no VPC endpoint service "com.amazonaws.us-east-1.no-such-service"',
    ),
    arg(
        "interface-endpoint-full-name", CROSS, "interface_endpoints", '["com.amazonaws.us-east-1.sts"]',
        'offers no VPC endpoint service "com.amazonaws.us-east-1.com.amazonaws.us-east-1.sts"',
    ),
    Case(
        "interface-without-private", CROSS, "interface_endpoints", "Interface endpoints live in the private subnets",
        body='interface_endpoints = ["sts"]\nprivate {\n  enabled = false\n}',
    ),
    Case(
        "gateway-without-tiers", CROSS, "gateway_endpoints", "Gateway endpoints serve the private and isolated route tables",
        body='gateway_endpoints = ["s3"]\nprivate {\n  enabled = false\n}\nisolated {\n  enabled = false\n}',
    ),
    Case(
        "endpoint-twice", CROSS, "interface_endpoints", '"s3" is in both gateway_endpoints and interface_endpoints',
        body='gateway_endpoints   = ["s3"]\ninterface_endpoints = ["s3"]',
    ),
    # -- flow logs
    Case(
        "flow-destination-not-arn", PATTERN, "flow_logs.destination_arn", "is neither an S3 bucket ARN nor a CloudWatch Logs log group ARN",
        body='flow_logs {\n  destination_arn = "my-bucket"\n}',
    ),
    Case(
        "flow-traffic-type", PATTERN, "flow_logs.traffic_type", '"SOME": use ALL, ACCEPT or REJECT',
        body='flow_logs {\n  destination_arn = "arn:aws:s3:::ode-flow-logs"\n  traffic_type    = "SOME"\n}',
    ),
    Case(
        "flow-role-not-iam", PATTERN, "flow_logs.iam_role_arn", "is not a valid iam ARN",
        body='flow_logs {\n  destination_arn = "arn:aws:logs:us-east-1:123456789012:log-group:vpc"\n  iam_role_arn    = "arn:aws:s3:::x"\n}',
    ),
    Case(
        "flow-logs-without-role", CROSS, "flow_logs.iam_role_arn", "Flow logs to CloudWatch Logs need iam_role_arn",
        body='flow_logs {\n  destination_arn = "arn:aws:logs:us-east-1:123456789012:log-group:vpc"\n}', at=("flow_logs",),
    ),
    Case(
        "flow-destination-missing", TYPE, "flow_logs.destination_arn", 'The argument "destination_arn" is required',
        body='flow_logs {\n  traffic_type = "ALL"\n}', at=("flow_logs",),
    ),
    Case(
        "flow-destination-empty-bucket", PATTERN, "flow_logs.destination_arn", "is neither an S3 bucket ARN",
        body='flow_logs {\n  destination_arn = "arn:aws:s3:::"\n}',
    ),
    # -- timeouts
    Case("timeout-unit-x", PATTERN, "timeouts.create", '"10x": unknown unit "x"; use h, m or s', body='timeouts {\n  create = "10x"\n}'),
    Case("timeout-days", PATTERN, "timeouts.update", 'unknown unit "d"', body='timeouts {\n  update = "1d"\n}'),
    Case("timeout-no-unit", PATTERN, "timeouts.create", f'"30" {DURATION}', body='timeouts {\n  create = "30"\n}'),
    Case("timeout-empty", PATTERN, "timeouts.delete", f'"" {DURATION}', body='timeouts {\n  delete = ""\n}'),
    Case("timeout-negative", PATTERN, "timeouts.delete", '"-5m": unknown unit "-"', body='timeouts {\n  delete = "-5m"\n}'),
    Case("timeout-zero", RANGE, "timeouts.delete", "a timeout must be longer than zero", body='timeouts {\n  delete = "0s"\n}'),
    Case("timeout-over-a-week", RANGE, "timeouts.update", '"169h" is longer than the maximum of 168h', body='timeouts {\n  update = "169h"\n}'),
    Case("timeout-huge", RANGE, "timeouts.update", "longer than the maximum of 168h", body='timeouts {\n  update = "99999999999999999999999h"\n}'),
    # -- other types and arguments
    arg("dns-support-string", TYPE, "enable_dns_support", '"maybe"', "a bool is required"),
    arg("dns-hostnames-list", TYPE, "enable_dns_hostnames", "[true]", "bool required"),
    arg("unknown-argument", TYPE, "subnet_count", "3", 'An argument named "subnet_count" is not expected here'),
    Case("unknown-block", TYPE, "subnets", 'Blocks of type "subnets" are not expected here', body="subnets {}"),
    arg("read-only-vpc-id", TYPE, "vpc_id", '"vpc-0123456789abcdef0"', "vpc_id"),
    # -- the module's variables
    mod("module-project", "project", '"Bad_Name"', "The project must be 3 to 32 lowercase letters"),
    mod("module-environment", "environment", '"Prod"', "The environment must be up to 32 lowercase letters"),
    mod("module-name", "name", '"has space"', "The name must be 1 to 64 letters"),
    mod("module-cidr-wide", "cidr_block", '"10.0.0.0/8"', "prefix length from /16 to /28"),
    mod("module-cidr-text", "cidr_block", '"not-a-cidr"', "cidr_block must be an IPv4 CIDR block"),
    mod("module-zones-duplicate", "availability_zones", '["us-east-1a", "us-east-1a"]', "each zone once"),
    mod("module-zones-empty", "availability_zones", "[]", "must list at least one zone"),
    mod("module-az-count-zero", "az_count", "0", "az_count must be a whole number from 1 to 8"),
    mod("module-az-count-fraction", "az_count", "2.5", "az_count must be a whole number from 1 to 8"),
    mod("module-nat", "nat_gateways", '"two"', "nat_gateways must be one of one_per_az, single, none"),
    mod("module-prefix", "public_subnet_prefix_length", "30", "Subnet prefix lengths must be from 16 to 28"),
    mod("module-subnet-cidrs-zone", "private_subnet_cidrs", '{ "zone-x" = "10.0.128.0/20" }',
        "private_subnet_cidrs must map availability zone names",
    ),
    mod("module-flow-traffic", "flow_logs", '{ destination_arn = "arn:aws:s3:::ode-logs", traffic_type = "SOME" }',
        "flow_logs.traffic_type must be one of ALL, ACCEPT, REJECT",
    ),
    mod("module-flow-no-role", "flow_logs", '{ destination_arn = "arn:aws:logs:us-east-1:123456789012:log-group:vpc" }',
        "Flow logs to a CloudWatch Logs log group need flow_logs.iam_role_arn",
    ),
    mod("module-subnet-tag", "public_subnet_tags", '{ "aws:cluster" = "x" }', 'not start with "aws:"'),
    mod("module-timeouts", "timeouts", '{ create = "10 minutes" }', "must be durations like 45m"),
    mod("module-gateway-endpoint", "gateway_endpoints", '["sts"]', 'gateway_endpoints may hold "s3" and "dynamodb" only'),
    mod("module-interface-endpoint", "interface_endpoints", '["ECR.API"]', "interface_endpoints are service names"),
    mod("module-az-count-type", "az_count", '"three"', "a number is required", type_error=True),
    mod("module-tags-type", "tags", '["a"]', "map of string required", type_error=True),
    mod("module-flow-logs-type", "flow_logs", '{ traffic_type = "ALL" }', 'attribute "destination_arn" is required',
        type_error=True,
    ),
    mod("module-create-type", "create", '"maybe"', "a bool is required", type_error=True),
)

COMPOSITE = Composite(
    name="ode_network",
    module="network",
    base={"name": '"corpus-{n}"'},
    module_base={"name": '"corpus-{n}"'},
    cases=CASES,
    services=("ec2", "logs"),
)
