"""Invalid configurations of ``ode_registry`` and of ``modules/registry``."""

from __future__ import annotations

from . import CROSS, ELEMENT, OMIT, PATTERN, RANGE, READ_ONLY, TYPE, Case, Composite, arg, module_arg, tag_cases, timeout_cases

NAME_RULE = "repository names are lowercase letters, digits and - _ . /"
KEY_RULE = "keys are lowercase letters, digits and - _ . /"
#: ECR's rule: lowercase letters and digits in groups joined by one separator ('.', '_',
#: '__' or a run of '-'), path parts joined by one '/'.
NODE_ROLE = "arn:aws:iam::123456789012:role/ode-node"


def repo(slug: str, kind: str, key: str, value: str, says: str, **kw) -> Case:
    """A case with one repository ``key = value``; its error points at the repository's line."""
    return Case(slug, kind, f"repositories[{key}]", says, body=f"repositories = {{\n  {key} = {value}\n}}", at=("repositories", key), **kw)


def mod(slug: str, variable: str, value: str, says: str, *, type_error: bool = False) -> Case:
    return module_arg("registry", slug, variable, value, says, type_error=type_error)


CASES = (
    # -- name
    arg("name-uppercase", PATTERN, "name", '"ODE"', f'"ODE": {NAME_RULE}'),
    arg("name-one-char", RANGE, "name", '"o"', NAME_RULE),
    arg("name-201-chars", RANGE, "name", f'"{"r" * 201}"', NAME_RULE),
    arg("name-leading-hyphen", PATTERN, "name", '"-ode"', NAME_RULE),
    arg("name-trailing-hyphen", PATTERN, "name", '"ode-"', NAME_RULE),
    arg("name-trailing-slash", PATTERN, "name", '"ode/"', NAME_RULE),
    arg("name-trailing-dot", PATTERN, "name", '"ode."', NAME_RULE),
    arg("name-space", PATTERN, "name", '"ode images"', NAME_RULE),
    arg("name-at-sign", PATTERN, "name", '"ode@images"', NAME_RULE),
    arg("name-two-separators", PATTERN, "name", '"ode._images"', NAME_RULE),
    arg("name-number", TYPE, "name", "[1]", "string required"),
    Case("name-missing", TYPE, "name", 'The argument "name" is required', args={"name": OMIT}, at=()),
    # -- lifecycle
    arg("keep-zero", RANGE, "keep_tagged_images", "0", "must be 1 to 10000, not 0"),
    arg("keep-10001", RANGE, "keep_tagged_images", "10001", "must be 1 to 10000, not 10001"),
    arg("keep-fraction", TYPE, "keep_tagged_images", "2.5", "2.5 is not a whole number"),
    arg("keep-string", TYPE, "keep_tagged_images", '"many"', "a number is required"),
    arg("untagged-zero", RANGE, "untagged_expiry_days", "0", "must be 1 to 3650, not 0"),
    arg("untagged-3651", RANGE, "untagged_expiry_days", "3651", "must be 1 to 3650, not 3651"),
    arg("immutable-string", TYPE, "immutable_tags", '"always"', "a bool is required"),
    # -- encryption and access
    arg("kms-not-arn", PATTERN, "kms_key_arn", '"key"', '"key" is not a valid kms ARN'),
    arg("kms-ecr-arn", PATTERN, "kms_key_arn", '"arn:aws:ecr:us-east-1:123456789012:repository/ode"', "is not a valid kms ARN"),
    arg("principal-not-arn", PATTERN, "pull_principal_arns", '["node-role"]', '"node-role" is not a valid iam ARN'),
    arg(
        "principal-s3-arn", PATTERN, "pull_principal_arns", f'["{NODE_ROLE}", "arn:aws:s3:::images"]', '"arn:aws:s3:::images" is not a valid iam ARN',
    ),
    arg("principal-empty-resource", PATTERN, "pull_principal_arns", '["arn:aws:iam::123456789012:"]', "is not a valid iam ARN"),
    arg(
        "principal-policy-arn", PATTERN, "pull_principal_arns", '["arn:aws:iam::123456789012:policy/pull"]', "principal",
    ),
    arg("principals-string", TYPE, "pull_principal_arns", f'"{NODE_ROLE}"', "set of string required"),
    arg("force-destroy-string", TYPE, "force_destroy", '"yes"', "a bool is required"),
    *tag_cases(),
    *timeout_cases(),
    arg("unknown-argument", TYPE, "scan_on_push", "false", 'An argument named "scan_on_push" is not expected here'),
    Case("unknown-block", TYPE, "lifecycle_policy", 'Blocks of type "lifecycle_policy" are not expected here', body="lifecycle_policy {}"),
    arg("read-only-registry-id", TYPE, "registry_id", '"123456789012"', "registry_id"),
    # -- repositories
    repo("repo-key-uppercase", ELEMENT, "API", "{}", f'"API": {KEY_RULE}'),
    repo("repo-key-space", ELEMENT, '"my api"', "{}", f'"my api": {KEY_RULE}'),
    repo("repo-key-trailing-hyphen", ELEMENT, '"api-"', "{}", f'"api-": {KEY_RULE}'),
    repo("repo-key-trailing-slash", ELEMENT, '"team/"', "{}", KEY_RULE),
    repo("repo-key-empty", ELEMENT, '""', "{}", f'"": {KEY_RULE}'),
    repo("repo-key-too-long", RANGE, "k" * 190, "{}", "must be a repository name"),
    repo("repo-key-leading-underscore", ELEMENT, "_api", "{}", KEY_RULE),
    repo("repo-keep-zero", RANGE, "api", "{ keep_tagged_images = 0 }", "must be 1 to 10000, not 0"),
    repo("repo-keep-10001", RANGE, "api", "{ keep_tagged_images = 10001 }", "must be 1 to 10000, not 10001"),
    repo("repo-untagged-zero", RANGE, "api", "{ untagged_expiry_days = 0 }", "must be 1 to 3650, not 0"),
    repo("repo-untagged-4000", RANGE, "api", "{ untagged_expiry_days = 4000 }", "must be 1 to 3650, not 4000"),
    repo("repo-keep-fraction", TYPE, "api", "{ keep_tagged_images = 1.5 }", "1.5 is not a whole number"),
    Case(
        "repo-keep-string", TYPE, "repositories[api].keep_tagged_images", "a number is required",
        body='repositories = {\n  api = { keep_tagged_images = "all" }\n}', at=("repositories",),
    ),
    arg("repositories-list", TYPE, "repositories", '["api"]', "map of object required"),
    # -- with the name: a key that only fails as part of <name>-<key>
    Case(
        "repo-name-too-long", CROSS, "repositories[images]", "must be a repository name",
        args={"name": f'"{"n" * 195}"'}, body="repositories = {\n  images = {}\n}", at=("repositories", "images"),
    ),
    # -- the module's variables
    mod("module-project", "project", '"ode_"', "The project must be 3 to 32 lowercase letters"),
    mod("module-environment", "environment", '"-prod"', "The environment must be up to 32 lowercase letters"),
    mod("module-name-separators", "name", '"ode--images"', "separated by single '.', '_', '-' or '/'"),
    mod("module-name-uppercase", "name", '"ODE"', "The registry name must be lowercase letters and digits"),
    mod("module-repositories-empty", "repositories", "{}", "repositories must name at least one repository"),
    mod("module-repository-key", "repositories", "{ API = {} }", "each key up to 50 lowercase letters and digits"),
    mod(
        "module-repository-keep", "repositories", "{ api = { keep_tagged_images = 0 } }",
        "keep_tagged_images and untagged_expiry_days must be whole numbers",
    ),
    mod("module-keep", "keep_tagged_images", "0", "keep_tagged_images must be a whole number from 1 to 10000"),
    mod("module-untagged", "untagged_expiry_days", "1.5", "untagged_expiry_days must be a whole number of days"),
    mod("module-kms", "kms_key_arn", '"alias/ecr"', "kms_key_arn must be a KMS key ARN"),
    mod(
        "module-principals", "pull_principal_arns", '["arn:aws:iam::123456789012:policy/pull"]',
        "pull_principal_arns must be IAM role, user or account root ARNs",
    ),
    mod("module-tags", "tags", f'{{ "{"k" * 129}" = "x" }}', "Tag keys must be 1 to 128 characters"),
    mod("module-timeouts", "timeouts", '{ create = "5 min" }', "must be durations like 10m"),
    mod("module-keep-type", "keep_tagged_images", '"all"', "a number is required", type_error=True),
    mod("module-repositories-type", "repositories", '["api"]', "map of object required", type_error=True),
)

COMPOSITE = Composite(
    name="ode_registry",
    module="registry",
    base={"name": '"corpus-{n}"'},
    module_base={"name": '"corpus-{n}"'},
    cases=CASES,
    services=("ecr",),
)
