"""HCL snippets and checks shared by the end-to-end tests."""

from __future__ import annotations

from typing import Mapping

from .emulator import EmulatorClient
from .mirror import PROVIDER_SOURCE, PROVIDER_VERSION

ENDPOINT_SERVICES = ("s3", "dynamodb", "sts", "ec2", "iam", "eks", "kms", "logs", "rds", "elasticache", "secretsmanager", "ecr")


def provider_block(
    emulator: EmulatorClient,
    *,
    region: str = "us-east-1",
    endpoints: Mapping[str, str] | None = None,
    extra: str = "",
) -> str:
    """The terraform/provider blocks that point the provider at the emulator.

    ``endpoints`` overrides single endpoints; ``extra`` is HCL added inside the provider
    block (default_tags, assume_role, ...).
    """
    urls = {service: emulator.url for service in ENDPOINT_SERVICES}
    urls.update(endpoints or {})
    endpoint_lines = "\n".join(f'    {service:<8} = "{url}"' for service, url in urls.items())
    return f"""terraform {{
  required_providers {{
    ode = {{ source = "{PROVIDER_SOURCE}", version = "{PROVIDER_VERSION}" }}
  }}
}}

provider "ode" {{
  region                      = "{region}"
  skip_credentials_validation = false
  s3_use_path_style           = true
  endpoints {{
{endpoint_lines}
  }}
{extra}
}}
"""


def assert_emulator_empty(emulator: EmulatorClient) -> None:
    """Fail naming every S3 bucket, DynamoDB table and non-default VPC left behind."""
    leftovers = [f"S3 bucket {b['Name']}" for b in emulator.client("s3").list_buckets().get("Buckets", [])]
    leftovers += [f"DynamoDB table {t}" for t in emulator.client("dynamodb").list_tables()["TableNames"]]
    leftovers += [
        f"VPC {v['VpcId']}"
        for v in emulator.client("ec2").describe_vpcs()["Vpcs"]
        if not v.get("IsDefault")
    ]
    assert not leftovers, "left behind in the emulator: " + ", ".join(leftovers)
