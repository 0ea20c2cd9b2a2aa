#!/usr/bin/env bash
# test-aws.sh BIN: the opt-in acceptance run on a real AWS account (`make test-aws`).
#
# Refuses to run unless ODE_ACC_AWS=1 and ODE_ACC_ACCOUNT_ID names the account the
# credentials belong to (STS GetCallerIdentity), so that it never runs by accident or
# on the wrong account. Then it applies tests/acceptance/aws (every composite at its
# smallest size, named odeacc-<run>), checks that a second plan is empty, and always
# destroys, whatever happened (a killed run's leftovers: scripts/sweep --stack-prefix
# odeacc-). Cost: about 0.25 USD an hour of AWS charges while the stack exists (a NAT
# gateway, an EKS control plane, one t3.small node, a db.t4g.micro, a cache.t4g.micro);
# a run takes 30 to 45 minutes on AWS.
#
# Environment: ODE_ACC_AWS, ODE_ACC_ACCOUNT_ID (required); AWS_REGION (us-east-1);
# ODE_ACC_CORE (the core binary: terraform or tofu from PATH, else the project's tofu).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin="${1:?usage: test-aws.sh PROVIDER_BIN}"
log() { printf 'test-aws: %s\n' "$*" >&2; }
refuse() {
  log "refusing: $*"
  exit 2
}

[[ ${ODE_ACC_AWS:-} == 1 ]] || refuse "this creates real (billed) AWS resources; set ODE_ACC_AWS=1 to run it"
[[ ${ODE_ACC_ACCOUNT_ID:-} =~ ^[0-9]{12}$ ]] ||
  refuse "set ODE_ACC_ACCOUNT_ID to the 12-digit id of the account to use"
region=${AWS_REGION:-us-east-1}
actual=$("$VENV_PY" -c 'import sys, boto3; print(boto3.client("sts", region_name=sys.argv[1]).get_caller_identity()["Account"])' "$region" 2>&1) ||
  refuse "cannot tell which account the credentials belong to: $(tail -n 1 <<<"$actual")"
[[ $actual == "$ODE_ACC_ACCOUNT_ID" ]] ||
  refuse "the credentials are for account $actual, not ODE_ACC_ACCOUNT_ID=$ODE_ACC_ACCOUNT_ID"

core=${ODE_ACC_CORE:-$(command -v terraform || command -v tofu || echo "$TOFU")}
[[ -x $core ]] || refuse "no core: set ODE_ACC_CORE to a terraform or tofu binary"

run=$(date -u +%Y%m%d%H%M%S)
work=$(mktemp -d)
layout_mirror "$bin" "$work"
cp "$REPO_ROOT/tests/acceptance/aws/main.tf" "$work/"
export TF_CLI_CONFIG_FILE=$work/cli.tfrc TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export TF_VAR_run=$run TF_VAR_region=$region
log "account $actual, region $region, run odeacc-$run, core $core; about 0.25 USD an hour while it exists"

applied=0
destroy() {
  local status=$?
  if ((applied)); then
    log "destroying odeacc-$run"
    if ! (cd "$work" && "$core" destroy -input=false -auto-approve -no-color); then
      log "destroy failed: scripts/sweep --stack-prefix odeacc-$run --delete removes what is left"
      status=1
    fi
  fi
  rm -rf "$work"
  exit "$status"
}
trap destroy EXIT
trap 'exit 130' INT TERM

cd "$work"
"$core" init -input=false -no-color >/dev/null
applied=1
"$core" apply -input=false -auto-approve -no-color
set +e
"$core" plan -input=false -detailed-exitcode -no-color
planned=$?
set -e
((planned == 0)) || { log "the plan after apply is not empty (exit $planned)"; exit 1; }
log "applied, and the second plan is empty"
