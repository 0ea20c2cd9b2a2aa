"""Offline checks of the seed's Kubernetes manifests (examples/production/k8s).

* Every document of the base and the secret the platform module renders
  (modules/platform/templates/ode-secrets.yaml.tftpl, filled with sample values) is
  valid for Kubernetes 1.35 (the version a new stack takes on 2026-12-01) in strict mode (kubernetes-validate, whose schemas ship in
  the package: no cluster, and the sockets are closed while it runs). Strict mode
  refuses unknown fields; a test shows it does.
* kustomization.yaml lists every base file and sets the three ECR images.
* Every IRSA role the platform module makes (its ``service_accounts`` local) has a
  service account here, annotated, patched with its ARN by the kustomization and used
  by a Deployment; every Deployment's account is defined here.
* The HPAs carry exactly the seed's "Scaling Behavior" numbers.
* The seed's observability and shutdown promises: metrics on port 9090, ``/health``
  probes, 120 s for a worker to finish its jobs.
* No secret value anywhere: no Secret in the base, no credential in a URL, secret-like
  environment variables only from ``ode-secrets``, every key read from that secret
  either rendered by the template or optional.
* Placement: every Deployment selects the worker pool the platform labels its worker
  group with; nothing of the base tolerates the system group's taint.
* The controllers' Helm values, rendered from the platform module's templates with
  sample outputs: exactly the variables the module passes; their pod placement and the
  service accounts the charts make are valid Kubernetes objects (strict, 1.35); the
  accounts are the ones the platform makes IAM roles for, in the namespace the README
  installs the charts into; they run on the system pool and tolerate its taint.
* The queue-depth metric path: prometheus-adapter serves, as an external metric, the
  name the workers' HPA asks for, from the metric the workers export, read from the
  Prometheus release the README installs; the pods it scrapes are annotated for it.
* The README's commands name only outputs the platform and examples/production/2-platform
  have and values files that exist.
"""

from __future__ import annotations

import copy
import json
import re
import socket
from pathlib import Path
from typing import Any, Iterator

import hcl2
import kubernetes_validate
import pytest
import yaml
from hcl2.utils import SerializationOptions

pytestmark = pytest.mark.lint

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S = REPO_ROOT / "examples" / "production" / "k8s"
BASE = K8S / "base"
KUSTOMIZATION = BASE / "kustomization.yaml"
SECRET_TEMPLATE = REPO_ROOT / "modules" / "platform" / "templates" / "ode-secrets.yaml.tftpl"
PLATFORM = REPO_ROOT / "modules" / "platform"
PLATFORM_MAIN = PLATFORM / "main.tf"
PRODUCTION_OUTPUTS = REPO_ROOT / "examples" / "production" / "2-platform" / "outputs.tf"
README = K8S / "README.md"
METRICS = K8S / "metrics"
# Helm values files are no Kubernetes objects: checked by the tests of their own below.
HELM_VALUES_SUFFIX = ".values.yaml"
BASE_FILES = ["00-common.yaml", "01-api.yaml", "02-worker.yaml", "03-viewer-ingress.yaml", "04-hpa.yaml"]

KUBERNETES_VERSION = "1.35.0"
# What the data tier's outputs look like: no password in either URL.
SAMPLE_VARS = {
    "namespace": "ode",
    "database_url": "postgresql://odeadmin@ode-production.abc123.us-east-1.rds.amazonaws.com:5432/odedb?sslmode=require",
    "redis_url": "rediss://master.ode-production.abc123.use1.cache.amazonaws.com:6379",
}
SECRET_NAME = "ode-secrets"


# --- loading --------------------------------------------------------------------------


def load_documents(text: str, source: str) -> list[dict[str, Any]]:
    docs = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    for doc in docs:
        assert isinstance(doc, dict), f"{source}: a document is not a mapping: {doc!r}"
    return docs


def manifest_files() -> list[Path]:
    """Every YAML file under examples/production/k8s but kustomization files (which
    are no Kubernetes objects: test_kustomization_lists_the_base_and_sets_the_images)."""
    return sorted(
        p for p in K8S.rglob("*.y*ml") if p.name != "kustomization.yaml" and not p.name.endswith(HELM_VALUES_SUFFIX)
    )


def render_template(text: str, variables: dict[str, str]) -> str:
    """Fill a Terraform template the way templatefile does for the forms it uses.

    Only ``${name}`` and ``${jsonencode(name)}`` are understood (json.dumps quotes a
    string as jsonencode does, up to jsonencode's escaping of <, > and &, which YAML
    reads back the same); anything else is left in place and fails the caller's check.
    """

    def fill(match: re.Match[str]) -> str:
        function, name = match.group("function"), match.group("name")
        value = variables[name]
        return json.dumps(value) if function == "jsonencode" else value

    return re.sub(r"\$\{(?:(?P<function>jsonencode)\()?(?P<name>\w+)\)?\}", fill, text)


def rendered_secret_text() -> str:
    text = render_template(SECRET_TEMPLATE.read_text(), SAMPLE_VARS)
    assert "${" not in text and "%{" not in text, f"template left unrendered:\n{text}"
    return text


def all_documents() -> list[tuple[str, dict[str, Any]]]:
    """(source, document) for the base files and the rendered secret."""
    found = []
    for path in manifest_files():
        source = str(path.relative_to(REPO_ROOT))
        found += [(source, doc) for doc in load_documents(path.read_text(), source)]
    found += [(f"{SECRET_TEMPLATE.name} (rendered)", doc) for doc in load_documents(rendered_secret_text(), "secret")]
    return found


def base_documents() -> dict[str, list[dict[str, Any]]]:
    return {name: load_documents((BASE / name).read_text(), name) for name in BASE_FILES}


def find(kind: str, name: str) -> dict[str, Any]:
    matches = [
        doc
        for docs in base_documents().values()
        for doc in docs
        if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def container(deployment: str) -> dict[str, Any]:
    containers = find("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{deployment}: expected one container"
    return containers[0]


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


# --- validation -----------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any connection attempt fail loudly: the validation must need none."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def validate(doc: dict[str, Any]) -> str:
    """Validate strictly for KUBERNETES_VERSION; return the schema version used.

    A kind without a schema raises SchemaNotFoundError here (the CLI only warns and
    passes it).
    """
    return kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_k8s_manifests_valid(no_network: None) -> None:
    documents = all_documents()
    kinds = {doc["kind"] for _, doc in documents}
    # Everything the seed deploys, so that a file that stops parsing cannot shrink this test.
    assert {"Namespace", "ServiceAccount", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "Secret"} <= kinds
    problems = []
    for source, doc in documents:
        label = f"{source}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            used = validate(doc)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(p) for p in error.path)
            problems.append(f"{label}: {path}: {error.message}")
            continue
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{label}: {error.message}")
            continue
        # The package picks the newest schema not newer than the version asked for:
        # make sure it really had 1.35's.
        assert used == "1.35", f"{label}: validated against Kubernetes {used}, not 1.35"
    assert not problems, "invalid manifests:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d["spec"].__setitem__("replica", 2), id="misspelt-spec-field"),
        pytest.param(
            lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__("imagePullPolicyy", "Always"),
            id="unknown-container-field",
        ),
        pytest.param(lambda d: d["metadata"].__setitem__("label", {"a": "b"}), id="unknown-metadata-field"),
    ],
)
def test_strict_validation_rejects_unknown_fields(no_network: None, mutate: Any) -> None:
    deployment = copy.deepcopy(find("Deployment", "ode-api"))
    validate(deployment)
    mutate(deployment)
    with pytest.raises(kubernetes_validate.ValidationError, match="Additional properties are not allowed"):
        validate(deployment)


def test_unknown_kind_is_an_error_not_a_pass(no_network: None) -> None:
    doc = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscalr", "metadata": {"name": "x"}}
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate(doc)


def test_every_manifest_file_is_checked() -> None:
    # A file added under k8s/ but left out of the kustomization would never be applied.
    assert [p.relative_to(BASE).as_posix() for p in manifest_files()] == BASE_FILES


# --- kustomization --------------------------------------------------------------------


def test_kustomization_lists_the_base_and_sets_the_images() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == "ode"
    assert kustomization["resources"] == BASE_FILES
    images = {image["name"]: image for image in kustomization["images"]}
    used = {container(name)["image"].rsplit(":", 1)[0] for name in ("ode-api", "ode-worker", "ode-viewer")}
    assert set(images) == used == {"ECR_URL/ode-api", "ECR_URL/ode-worker", "ECR_URL/ode-viewer"}
    for name, image in images.items():
        repository = name.split("/", 1)[1]
        assert re.fullmatch(rf"\d{{12}}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/{repository}", image["newName"]), image
        assert image.get("newTag"), f"{name}: no tag"
    # The IRSA role ARNs are set here, one patch per service account.
    assert set(role_patches()) == {"ode-api", "ode-worker"}


# --- service accounts and their IAM roles (IRSA) --------------------------------------

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
ROLE_ARN = re.compile(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+")


def irsa_service_accounts() -> set[tuple[str, str]]:
    """(namespace, name) of every service account the platform module makes an IAM
    role for: the keys of its ``service_accounts = { "ns/name" = ... }`` local."""
    text = PLATFORM_MAIN.read_text()
    # The map literal, up to the closing brace at the indentation of its name.
    bodies = re.findall(r"^([ \t]*)service_accounts\s*=\s*\{[ \t]*\n(.*?)^\1\}", text, re.M | re.S)
    assert len(bodies) == 1, f"{PLATFORM_MAIN}: expected one service_accounts map, found {len(bodies)}"
    keys = re.findall(r'^\s*"([a-z0-9.-]+)/([a-z0-9.-]+)"\s*=', bodies[0][1], re.M)
    assert keys, f"{PLATFORM_MAIN}: no keys in service_accounts"
    return set(keys)


def role_patches() -> dict[str, str]:
    """Service account name -> the role ARN kustomization.yaml patches into it."""
    found: dict[str, str] = {}
    for patch in yaml.safe_load(KUSTOMIZATION.read_text())["patches"]:
        assert patch["target"].keys() == {"kind", "name"} and patch["target"]["kind"] == "ServiceAccount", patch
        (operation,) = yaml.safe_load(patch["patch"])
        assert operation["op"] == "replace", patch
        assert operation["path"] == "/metadata/annotations/eks.amazonaws.com~1role-arn", patch
        assert ROLE_ARN.fullmatch(operation["value"]), patch
        name = patch["target"]["name"]
        assert name not in found, f"{name}: patched twice"
        found[name] = operation["value"]
    return found


def service_accounts() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (doc["metadata"]["namespace"], doc["metadata"]["name"]): doc
        for docs in base_documents().values()
        for doc in docs
        if doc["kind"] == "ServiceAccount"
    }


def test_irsa_keys_are_read_from_the_platform_module() -> None:
    assert {("ode", "ode-api"), ("ode", "ode-worker")} <= irsa_service_accounts()


def test_deployments_run_under_service_accounts_of_the_base() -> None:
    accounts = service_accounts()
    used = {}
    for docs in base_documents().values():
        for doc in docs:
            if doc["kind"] != "Deployment":
                continue
            name, spec = doc["metadata"]["name"], doc["spec"]["template"]["spec"]
            assert "serviceAccount" not in spec, f"{name}: the deprecated serviceAccount field"
            if "serviceAccountName" not in spec:
                # The namespace's default account has no role: a pod on it needs no token.
                assert spec.get("automountServiceAccountToken") is False, f"{name}: no account, token mounted"
                continue
            key = (doc["metadata"]["namespace"], spec["serviceAccountName"])
            assert key in accounts, f"{name}: service account {key} is not in the base"
            used[name] = spec["serviceAccountName"]
    # Each workload its own role.
    assert used == {"ode-api": "ode-api", "ode-worker": "ode-worker"}


def test_every_irsa_role_has_an_annotated_patched_used_account() -> None:
    accounts, patches = service_accounts(), role_patches()
    used = {
        (doc["metadata"]["namespace"], doc["spec"]["template"]["spec"].get("serviceAccountName"))
        for docs in base_documents().values()
        for doc in docs
        if doc["kind"] == "Deployment"
    }
    for key in sorted(irsa_service_accounts()):
        namespace, name = key
        # A role without its account, or an account no pod runs under, is never assumed.
        assert key in accounts, f"the platform module makes a role for {namespace}/{name}; the base has no such account"
        assert key in used, f"{namespace}/{name}: no Deployment runs under it"
        annotation = accounts[key]["metadata"].get("annotations", {}).get(ROLE_ARN_ANNOTATION, "")
        assert annotation.startswith("arn:aws:iam::"), f"{namespace}/{name}: no {ROLE_ARN_ANNOTATION} annotation"
        # The kustomization sets the namespace of every object, so the name alone targets it.
        assert name in patches, f"{namespace}/{name}: kustomization.yaml does not set its role ARN"
    # And no annotation or patch for a role the module does not make.
    annotated = {key for key, doc in accounts.items() if ROLE_ARN_ANNOTATION in doc["metadata"].get("annotations", {})}
    assert annotated <= irsa_service_accounts()
    assert set(patches) <= {name for _, name in irsa_service_accounts()}


# --- the seed's scaling behaviour -----------------------------------------------------


def test_hpa_behaviour_matches_the_seed() -> None:
    hpas = {doc["metadata"]["name"]: doc for doc in base_documents()["04-hpa.yaml"]}
    assert set(hpas) == {"ode-worker", "ode-api"}
    for name, hpa in hpas.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["kind"] == "HorizontalPodAutoscaler"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}

    # Workers: 2..20 on the Redis queue depth (> 100 pending jobs per worker), up by
    # at most 100 % and at most 4 pods every 30 s, down by 50 % a minute after 10 min.
    worker = hpas["ode-worker"]["spec"]
    assert (worker["minReplicas"], worker["maxReplicas"]) == (2, 20)
    assert worker["metrics"] == [
        {
            "type": "External",
            "external": {
                "metric": {"name": "redis_queue_depth"},
                "target": {"type": "AverageValue", "averageValue": "100"},
            },
        }
    ]
    up, down = worker["behavior"]["scaleUp"], worker["behavior"]["scaleDown"]
    assert up["selectPolicy"] == "Min"
    assert up["policies"] == [
        {"type": "Percent", "value": 100, "periodSeconds": 30},
        {"type": "Pods", "value": 4, "periodSeconds": 30},
    ]
    assert up.get("stabilizationWindowSeconds", 0) == 0
    assert down["stabilizationWindowSeconds"] == 600
    assert down["policies"] == [{"type": "Percent", "value": 50, "periodSeconds": 60}]
    assert down.get("selectPolicy", "Max") == "Max"

    # API: 2..10 on CPU 70 % or memory 80 %, up by 100 % a minute, down by 50 % a
    # minute after 5 min.
    api = hpas["ode-api"]["spec"]
    assert (api["minReplicas"], api["maxReplicas"]) == (2, 10)
    assert api["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}}},
    ]
    up, down = api["behavior"]["scaleUp"], api["behavior"]["scaleDown"]
    assert up["policies"] == [{"type": "Percent", "value": 100, "periodSeconds": 60}]
    assert up.get("stabilizationWindowSeconds", 0) == 0
    assert up.get("selectPolicy", "Max") == "Max"
    assert down["stabilizationWindowSeconds"] == 300
    assert down["policies"] == [{"type": "Percent", "value": 50, "periodSeconds": 60}]
    assert down.get("selectPolicy", "Max") == "Max"


def test_utilization_targets_have_requests() -> None:
    # A Utilization target is a fraction of the requests; without them the HPA has no
    # denominator and never scales.
    requests = container("ode-api")["resources"]["requests"]
    assert {"cpu", "memory"} <= set(requests)


# --- the seed's observability and shutdown --------------------------------------------


def port_named(c: dict[str, Any], name: str) -> int:
    (port,) = [p["containerPort"] for p in c["ports"] if p.get("name") == name]
    return port


@pytest.mark.parametrize("name", ["ode-api", "ode-worker", "ode-viewer"])
def test_metrics_on_9090_and_health_probes(name: str) -> None:
    c = container(name)
    assert port_named(c, "metrics") == 9090
    for probe in ("readinessProbe", "livenessProbe"):
        get = c[probe]["httpGet"]
        assert get["path"] == "/health", f"{name} {probe}"
        # The worker answers /health on its metrics listener (the seed's
        # ode-worker...:9090/health); the others on their HTTP port 8080.
        expected = 9090 if name == "ode-worker" else 8080
        assert port_named(c, get["port"]) == expected, f"{name} {probe}"
    assert c["resources"]["requests"] and c["resources"]["limits"]


def test_api_serves_http_on_8080() -> None:
    assert port_named(container("ode-api"), "http") == 8080
    service = find("Service", "ode-api")["spec"]
    assert {(p["name"], p["targetPort"]) for p in service["ports"]} == {("http", "http"), ("metrics", "metrics")}


def test_worker_service_exposes_9090() -> None:
    service = find("Service", "ode-worker")["spec"]
    assert service["ports"] == [{"name": "metrics", "port": 9090, "targetPort": "metrics"}]
    assert service["selector"] == find("Deployment", "ode-worker")["spec"]["selector"]["matchLabels"]


def test_worker_gets_120s_to_finish_its_jobs() -> None:
    assert find("Deployment", "ode-worker")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 120


def test_ingress_routes_both_hosts_through_the_alb() -> None:
    ingress = find("Ingress", "ode")
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    assert ingress["spec"]["ingressClassName"] == "alb"
    paths = [(rule["host"], path) for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    # The schemas have no enums: a misspelt pathType would pass validation.
    assert {(path["path"], path["pathType"]) for _, path in paths} == {("/", "Prefix")}
    routes = {host: path["backend"]["service"] for host, path in paths}
    assert routes["api.ode.example.com"] == {"name": "ode-api", "port": {"name": "http"}}
    assert any(host.startswith("viewer.") and s["name"] == "ode-viewer" for host, s in routes.items())


@pytest.mark.parametrize("name", ["ode-api", "ode-worker", "ode-viewer"])
def test_services_select_their_deployment(name: str) -> None:
    deployment = find("Deployment", name)["spec"]
    assert find("Service", name)["spec"]["selector"] == deployment["selector"]["matchLabels"]
    labels = deployment["template"]["metadata"]["labels"]
    assert deployment["selector"]["matchLabels"].items() <= labels.items()


# --- no secret values -----------------------------------------------------------------

SECRET_LIKE = re.compile(r"PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|_KEY$|^DATABASE_URL$|^REDIS_URL$")
# user:password@ in a URL.
CREDENTIAL_IN_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)


def test_no_secret_in_the_base() -> None:
    for name, docs in base_documents().items():
        for doc in docs:
            assert doc["kind"] != "Secret", f"{name}: a Secret belongs in the rendered template, not the base"
            for text in strings(doc):
                assert not CREDENTIAL_IN_URL.search(text), f"{name}: credential in {text!r}"
                assert "CHANGE_ME" not in text.upper(), f"{name}: {text!r}"


def test_secret_like_env_comes_from_ode_secrets() -> None:
    template_keys = set(next(doc for _, doc in all_documents() if doc["kind"] == "Secret")["stringData"])
    for name in ("ode-api", "ode-worker", "ode-viewer"):
        for env in container(name).get("env", []):
            if SECRET_LIKE.search(env["name"]):
                assert "value" not in env, f"{name}: {env['name']} has a literal value"
                assert env["valueFrom"]["secretKeyRef"]["name"] == SECRET_NAME, f"{name}: {env['name']}"
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["name"] == SECRET_NAME and not ref.get("optional"):
                # A required key the template does not render would keep the pod from starting.
                assert ref["key"] in template_keys, f"{name}: {env['name']} reads {ref['key']}, not rendered"
    for name in ("ode-api", "ode-worker"):
        refs = {
            env["name"]: env["valueFrom"]["secretKeyRef"]
            for env in container(name)["env"]
            if "secretKeyRef" in env.get("valueFrom", {})
        }
        assert refs["DATABASE_URL"] == {"name": SECRET_NAME, "key": "database-url"}
        assert refs["REDIS_URL"] == {"name": SECRET_NAME, "key": "redis-url"}
        assert refs["REDIS_AUTH_TOKEN"] == {"name": SECRET_NAME, "key": "redis-auth-token", "optional": True}


def test_rendered_secret_holds_no_password() -> None:
    (secret,) = load_documents(rendered_secret_text(), "secret")
    assert secret["metadata"] == {"name": SECRET_NAME, "namespace": "ode", "labels": {"app.kubernetes.io/part-of": "ode"}}
    assert "data" not in secret
    assert secret["stringData"] == {"database-url": SAMPLE_VARS["database_url"], "redis-url": SAMPLE_VARS["redis_url"]}
    for text in strings(secret):
        assert not CREDENTIAL_IN_URL.search(text), text
    # The template takes exactly the platform module's three variables.
    names = set(re.findall(r"\$\{(?:jsonencode\()?(\w+)\)?\}", SECRET_TEMPLATE.read_text()))
    assert names == {"namespace", "database_url", "redis_url"}


def test_rendered_secret_quotes_awkward_values() -> None:
    # jsonencode keeps a value that YAML would otherwise read as something else a string.
    awkward = dict(SAMPLE_VARS, database_url='postgresql://u@h:5432/db?x="a: b" #c', redis_url="null")
    (secret,) = load_documents(render_template(SECRET_TEMPLATE.read_text(), awkward), "secret")
    assert secret["stringData"] == {"database-url": awkward["database_url"], "redis-url": "null"}


# --- the platform's HCL, as the checks below read it ----------------------------------

_HCL = SerializationOptions(with_comments=False, explicit_blocks=False, preserve_heredocs=False)


def unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of HCL strings (and of quoted keys)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    return value


def platform_hcl(kind: str) -> dict[str, Any]:
    """{name: body} of every ``kind`` block (variable, output) of modules/platform, or
    every local when ``kind`` is "locals"."""
    found: dict[str, Any] = {}
    for path in sorted(PLATFORM.glob("*.tf")):
        for block in hcl2.loads(path.read_text(), serialization_options=_HCL).get(kind, []):
            found.update({unquote(k): v for k, v in block.items()})
    return found


def default_node_groups() -> dict[str, Any]:
    return unquote(platform_hcl("variable")["node_groups"]["default"])


def system_taint() -> dict[str, str]:
    """The taint the platform gives the system group (its default, and the local it
    applies to a system group without taints of its own)."""
    local = unquote(platform_hcl("locals")["critical_addons_taint"])
    assert default_node_groups()["system"]["taints"] == [local]
    return local


# Node taint effects as the EKS API spells them, and as Kubernetes does.
TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


def tolerates(tolerations: list[dict[str, Any]], taint: dict[str, str]) -> bool:
    """Whether a pod with ``tolerations`` tolerates a node taint of the EKS API."""
    effect = TAINT_EFFECTS[taint["effect"]]
    for t in tolerations:
        if t.get("key") not in (None, taint["key"]) or t.get("effect") not in (None, "", effect):
            continue
        if t.get("operator", "Equal") == "Exists" or t.get("value") == taint["value"]:
            return True
    return False


# --- placement: the workloads on the worker pool --------------------------------------


def test_deployments_select_the_worker_pool() -> None:
    # The platform labels every group ode.dev/pool = <its name> (main.tf) and its
    # default worker group says so in the variable's default too.
    groups = default_node_groups()
    assert groups["worker"]["labels"] == {"ode.dev/pool": "worker"}, groups
    assert 'merge({ "ode.dev/pool" = name }' in PLATFORM_MAIN.read_text(), "main.tf no longer labels each group by its pool"
    taint = system_taint()
    deployments = [doc for docs in base_documents().values() for doc in docs if doc["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {"ode-api", "ode-worker", "ode-viewer"}
    for doc in deployments:
        spec = doc["spec"]["template"]["spec"]
        name = doc["metadata"]["name"]
        assert spec.get("nodeSelector") == {"ode.dev/pool": "worker"}, f"{name}: {spec.get('nodeSelector')}"
        # The system nodes are for the cluster's own add-ons and controllers.
        assert not tolerates(spec.get("tolerations", []), taint), f"{name} tolerates the system group's taint"


def test_toleration_matching() -> None:
    taint = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}
    assert tolerates([{"key": "CriticalAddonsOnly", "operator": "Exists"}], taint)
    assert tolerates([{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}], taint)
    assert tolerates([{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}], taint)
    assert not tolerates([{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoExecute"}], taint)
    assert not tolerates([{"key": "CriticalAddonsOnly", "value": "false"}], taint)
    assert not tolerates([{"key": "dedicated", "operator": "Exists"}], taint)


# --- the controllers' Helm values, as the platform module renders them -----------------

# What the module's outputs look like; the role ARNs as ode_eks_stack names IRSA roles.
CONTROLLER_SAMPLES = {
    "cluster_name": "ode-production-cluster",
    "region": "us-east-1",
    "vpc_id": "vpc-0123456789abcdef0",
    "image_tag": "v1.35.0",
    "node_selector": {"ode.dev/pool": "system"},
}
CONTROLLERS = {
    # template -> (output, the controllers.tf local naming its service account)
    "aws-load-balancer-controller.values.yaml.tftpl": ("load_balancer_controller_helm_values", "load_balancer_controller_account"),
    "cluster-autoscaler.values.yaml.tftpl": ("cluster_autoscaler_helm_values", "cluster_autoscaler_account"),
}


def controller_account(local: str) -> tuple[str, str]:
    namespace, name = unquote(platform_hcl("locals")[local]).split("/")
    return namespace, name


def template_arguments(output: str) -> set[str]:
    """The variables the module's output passes to templatefile()."""
    text = "".join(p.read_text() for p in sorted(PLATFORM.glob("*.tf")))
    block = re.search(rf'^output "{output}" \{{\n(.*?)^\}}', text, re.M | re.S)
    assert block, f"modules/platform has no output {output}"
    call = re.search(r"templatefile\([^,]+,\s*\{(.*?)\}\)", block.group(1), re.S)
    assert call, f"output {output} renders no template"
    return set(re.findall(r"^\s*(\w+)\s*=", call.group(1), re.M))


def rendered_controller_values(template: str) -> dict[str, Any]:
    output, local = CONTROLLERS[template]
    namespace, name = controller_account(local)
    variables = dict(
        CONTROLLER_SAMPLES,
        service_account=name,
        role_arn=f"arn:aws:iam::123456789012:role/ode-production-cluster-sa-{namespace}-{name}",
    )
    text = (PLATFORM / "templates" / template).read_text()
    used = set(re.findall(r"\$\{(?:jsonencode\()?(\w+)\)?\}", text))
    # The module passes exactly what the template reads (templatefile fails on a
    # variable it is not given; one it does not read is a mistake too).
    assert used == template_arguments(output), (template, used)
    rendered = render_template(text, {k: variables[k] for k in used})
    assert "${" not in rendered and "%{" not in rendered, rendered
    (values,) = load_documents(rendered, template)
    return values


def service_account_the_chart_makes(template: str, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The chart's service account settings, and the ServiceAccount they make."""
    settings = values["serviceAccount"] if "serviceAccount" in values else values["rbac"]["serviceAccount"]
    namespace, _ = controller_account(CONTROLLERS[template][1])
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": settings["name"], "namespace": namespace, "annotations": settings["annotations"]},
    }
    return settings, account


@pytest.mark.parametrize("template", sorted(CONTROLLERS))
def test_controller_values_valid(no_network: None, template: str) -> None:
    values = rendered_controller_values(template)
    # Their pods' placement as Kubernetes reads it: a Pod with those fields, strictly.
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "placement"},
        "spec": {
            "containers": [{"name": "controller", "image": "controller:1"}],
            "nodeSelector": values["nodeSelector"],
            "tolerations": values["tolerations"],
        },
    }
    assert validate(pod) == "1.35"
    settings, account = service_account_the_chart_makes(template, values)
    assert settings["create"] is True
    assert validate(account) == "1.35"
    # The chart's account is the one the platform's role trusts, annotated with it.
    assert (account["metadata"]["namespace"], account["metadata"]["name"]) == controller_account(CONTROLLERS[template][1])
    assert ROLE_ARN.fullmatch(account["metadata"]["annotations"][ROLE_ARN_ANNOTATION])
    # On the system nodes: selected by their pool label, tolerating their taint.
    assert values["nodeSelector"] == default_node_groups()["system"]["labels"]
    assert tolerates(values["tolerations"], system_taint())
    mutated = copy.deepcopy(pod)
    mutated["spec"]["tolerations"][0]["operater"] = "Exists"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(mutated)


def test_controller_values_name_the_cluster() -> None:
    alb = rendered_controller_values("aws-load-balancer-controller.values.yaml.tftpl")
    assert (alb["clusterName"], alb["region"], alb["vpcId"]) == ("ode-production-cluster", "us-east-1", "vpc-0123456789abcdef0")
    assert alb["replicaCount"] >= 2 and alb["podDisruptionBudget"] == {"maxUnavailable": 1}
    autoscaler = rendered_controller_values("cluster-autoscaler.values.yaml.tftpl")
    assert autoscaler["cloudProvider"] == "aws" and autoscaler["awsRegion"] == "us-east-1"
    assert autoscaler["autoDiscovery"] == {"clusterName": "ode-production-cluster"}
    # The autoscaler's minor version is the cluster's.
    assert autoscaler["image"]["tag"] == CONTROLLER_SAMPLES["image_tag"]
    assert re.fullmatch(r"v1\.\d+\.\d+", autoscaler["image"]["tag"])
    # The workers write documents to an emptyDir: their nodes must stay removable.
    assert autoscaler["extraArgs"]["skip-nodes-with-local-storage"] is False


def test_controller_roles_and_templates_are_wired() -> None:
    """The outputs name the templates; the IRSA role keys are the controllers' accounts."""
    main = PLATFORM_MAIN.read_text()
    for template, (output, local) in CONTROLLERS.items():
        assert template in "".join(p.read_text() for p in PLATFORM.glob("*.tf")), f"no output renders {template}"
        assert f"(local.{local})" in main, f"main.tf makes no IRSA role keyed by local.{local}"


# --- the queue-depth metric path -----------------------------------------------------


def helm_installs() -> dict[str, dict[str, str]]:
    """release -> {chart, namespace, values} of every `helm upgrade --install` in the README."""
    text = README.read_text().replace("\\\n", " ")
    found = {}
    for match in re.finditer(r"helm upgrade --install (\S+) (\S+)([^\n]*)", text):
        release, chart, rest = match.groups()
        namespace = re.search(r"--namespace (\S+)", rest)
        values = re.search(r"--values (\S+)", rest)
        assert namespace and values, f"{release}: namespace and values file expected: {match.group(0)}"
        found[release] = {"chart": chart, "namespace": namespace.group(1), "values": values.group(1)}
    return found


def test_readme_installs_the_controllers_and_the_metrics_path() -> None:
    installs = helm_installs()
    assert {i["chart"] for i in installs.values()} == {
        "eks/aws-load-balancer-controller",
        "autoscaler/cluster-autoscaler",
        "prometheus-community/prometheus",
        "prometheus-community/prometheus-adapter",
    }, installs
    for template, (output, local) in CONTROLLERS.items():
        (install,) = [i for i in installs.values() if i["chart"].endswith("/" + template.split(".")[0])]
        # Into the namespace of the account the role trusts, with the values the output renders.
        assert install["namespace"] == controller_account(local)[0], install
        assert f"tf output -raw {output} > {install['values']}" in README.read_text(), install
    for install in installs.values():
        if install["chart"].startswith("prometheus-community/"):
            assert (K8S / install["values"]).is_file(), install
    # Every values file under k8s/ is installed.
    assert {str(p.relative_to(K8S)) for p in METRICS.glob("*" + HELM_VALUES_SUFFIX)} <= {i["values"] for i in installs.values()}


def test_readme_outputs_exist() -> None:
    """`tf output` in the README reads examples/production/2-platform's outputs, which
    re-export the platform module's."""
    named = set(re.findall(r"tf output -(?:raw|json) (\w+)", README.read_text()))
    assert {"update_kubeconfig_command", "kubernetes_secret_manifest", "service_account_role_arns"} <= named
    production = set(re.findall(r'^output "(\w+)"', PRODUCTION_OUTPUTS.read_text(), re.M))
    assert named <= production, f"not outputs of examples/production/2-platform: {sorted(named - production)}"
    assert named <= set(platform_hcl("output")), f"not outputs of modules/platform: {sorted(named - set(platform_hcl('output')))}"


def metrics_values(name: str) -> dict[str, Any]:
    (values,) = load_documents((METRICS / name).read_text(), name)
    return values


def test_adapter_serves_the_metric_the_worker_hpa_reads() -> None:
    hpa = next(doc for doc in base_documents()["04-hpa.yaml"] if doc["metadata"]["name"] == "ode-worker")
    (metric,) = [m["external"]["metric"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "External"]
    adapter = metrics_values("prometheus-adapter.values.yaml")
    # Only the rules written here: no default rules that could serve the name too.
    assert adapter["rules"]["default"] is False
    served = [rule for rule in adapter["rules"]["external"] if rule["name"]["as"] == metric]
    assert len(served) == 1, adapter["rules"]
    rule = served[0]
    # From the series the workers export under that name, in the HPA's namespace.
    assert re.match(rf"{metric}\{{", rule["seriesQuery"]), rule
    assert rule["resources"]["overrides"]["namespace"] == {"resource": "namespace"}
    assert "<<.LabelMatchers>>" in rule["metricsQuery"] and "<<.Series>>" in rule["metricsQuery"]
    # Every worker reports the one shared queue: the largest report, not the sum.
    assert rule["metricsQuery"].startswith("max(")


def test_adapter_reads_the_prometheus_the_readme_installs() -> None:
    installs = helm_installs()
    (prometheus,) = [(r, i) for r, i in installs.items() if i["chart"] == "prometheus-community/prometheus"]
    release, install = prometheus
    (adapter_install,) = [i for i in installs.values() if i["chart"] == "prometheus-community/prometheus-adapter"]
    adapter = metrics_values("prometheus-adapter.values.yaml")
    # The chart names the server's service <release>-server, on port 80.
    assert adapter["prometheus"]["url"] == f"http://{release}-server.{install['namespace']}.svc"
    assert adapter["prometheus"]["port"] == 80
    assert adapter_install["namespace"] == install["namespace"]
    server = metrics_values("prometheus.values.yaml")["server"]
    assert "resources" in server and validate(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "prometheus"},
            "spec": {"containers": [{"name": "server", "image": "prometheus:1", "resources": server["resources"]}]},
        }
    )


def test_workers_are_annotated_for_the_scrape() -> None:
    """The chart's default pod scrape job reads prometheus.io/scrape and prometheus.io/port."""
    worker = find("Deployment", "ode-worker")["spec"]["template"]
    annotations = worker["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == port_named(container("ode-worker"), "metrics")
