#!/usr/bin/env bash
# make demo / make demo-destroy: examples/local (state backend, then the whole
# platform with remote state) on a local AWS emulator.
#   demo.sh up     start the emulator if needed, apply step 1 and step 2, print a summary
#   demo.sh down   destroy both steps and stop the emulator
#
# The core is the one scripts/install-tools.sh chooses for the demo: ODE_DEMO_CORE if
# set, else a supported `tofu` or `terraform` on PATH (OpenTofu >= 1.6, Terraform >=
# 1.5), else the pinned OpenTofu, built on first use. The demo says which it runs. Once
# the demo exists, later runs (and `down`) keep the core that made its state ($CORE_FILE,
# read by install-tools.sh), since a core refuses state written by a newer one;
# ODE_DEMO_CORE overrides that too.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DEMO="$ODE_CACHE/demo"
WORK="$DEMO/work"
PIDFILE="$DEMO/emulator.pid"
PORTFILE="$DEMO/emulator.port"
# Read by install-tools.sh --demo-core: keep the path in step with it.
CORE_FILE="$DEMO/core"
INSTALL_TOOLS="$REPO_ROOT/scripts/install-tools.sh"
STEP1="$WORK/examples/local/1-bootstrap"
STEP2="$WORK/examples/local/3-platform"
mkdir -p "$DEMO"

emulator_running() {
  [[ -f "$PIDFILE" && -f "$PORTFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

start_emulator() {
  if emulator_running; then
    return
  fi
  rm -f "$PORTFILE"
  # Detached from this shell and its output, so `make demo` returns while it runs.
  (cd "$REPO_ROOT" && exec setsid "$VENV_PY" -m tests.support.emulator --port 0 \
    --port-file "$PORTFILE" </dev/null >"$DEMO/emulator.log" 2>&1) &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    [[ -s "$PORTFILE" ]] && return
    sleep 0.1
  done
  echo "The emulator did not start; see $DEMO/emulator.log" >&2
  exit 1
}

# choose_core: set CORE (the binary), CORE_NAME (OpenTofu or Terraform) and
# CORE_VERSION as install-tools.sh chooses, building the pinned OpenTofu only when no
# other core is found; record the choice for the next runs.
choose_core() {
  local line
  line=$(bash "$INSTALL_TOOLS" --demo-core) || exit 1
  IFS=$'\t' read -r CORE CORE_NAME CORE_VERSION <<<"$line"
  if [[ ! -x $CORE ]]; then
    # Only the pinned OpenTofu can be missing: build it (several minutes, once).
    bash "$INSTALL_TOOLS" demo-core || exit 1
  fi
  echo "== core: $CORE_NAME $CORE_VERSION ($CORE)"
  echo "$CORE" >"$CORE_FILE"
}

# backend_example: the backend settings for the chosen core. Terraform 1.5's S3
# backend knows only the older flat endpoint settings.
backend_example() {
  if [[ $CORE_NAME == Terraform && $CORE_VERSION == 1.5.* ]]; then
    echo "$STEP2/backend-tf15.hcl.example"
  else
    echo "$STEP2/backend.hcl.example"
  fi
}

# core DIR ARGS...: run the chosen core in DIR with the demo's CLI config and credentials.
core() {
  local dir="$1"
  shift
  (cd "$dir" && env -u TF_CLI_CONFIG_FILE TF_CLI_CONFIG_FILE="$DEMO/cli.tfrc" TF_IN_AUTOMATION=1 \
    TF_INPUT=0 CHECKPOINT_DISABLE=1 AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo \
    AWS_REGION=us-east-1 TF_VAR_endpoint_url="$ENDPOINT" "$CORE" "$@")
}

prepare() {
  choose_core
  start_emulator
  ENDPOINT="http://127.0.0.1:$(cat "$PORTFILE")"
  layout_mirror "$CARGO_TARGET_DIR/debug/terraform-provider-ode" "$DEMO"
  # The example and the modules it sources, as in the repository; state and
  # the filled-in tfvars/backend files stay in the demo's work tree.
  mkdir -p "$WORK/examples"
  rm -rf "$WORK/modules"
  cp -R "$REPO_ROOT/modules" "$WORK/modules"
  mkdir -p "$STEP1" "$STEP2"
  cp "$REPO_ROOT"/examples/local/1-bootstrap/* "$STEP1/"
  cp "$REPO_ROOT"/examples/local/3-platform/* "$STEP2/"
  for step in "$STEP1" "$STEP2"; do
    [[ -f "$step/terraform.tfvars" ]] || cp "$step/terraform.tfvars.example" "$step/terraform.tfvars"
    # A rebuilt provider has a new checksum: let init record the current one.
    rm -f "$step/.terraform.lock.hcl"
  done
  sed "s|http://127.0.0.1:PORT|$ENDPOINT|" "$(backend_example)" >"$STEP2/backend.hcl"
  run_quiet "$STEP1" init -input=false -no-color >/dev/null
}

# run_quiet DIR ARGS...: run a core command; print its last line, or all of it on failure.
run_quiet() {
  local out
  if ! out=$(core "$@" 2>&1); then
    echo "$out" >&2
    exit 1
  fi
  echo "$out" | grep -E '^(Apply complete|No changes|Destroy complete)' || true
}

# Step 2's backend lives in step 1's bucket: initialise it once that exists.
init_step2() {
  run_quiet "$STEP2" init -input=false -no-color -reconfigure -backend-config=backend.hcl >/dev/null
}

case "${1:-up}" in
  up)
    prepare
    echo "== step 1: state backend (local state)"
    run_quiet "$STEP1" apply -auto-approve -input=false -no-color
    echo "== step 2: the platform (state in S3, locked in DynamoDB)"
    init_step2
    run_quiet "$STEP2" apply -auto-approve -input=false -no-color
    echo
    echo "== ode demo on the local AWS emulator ($ENDPOINT)"
    core "$STEP2" show -json -no-color | "$VENV_PY" "$REPO_ROOT/scripts/topology_tree.py"
    echo
    echo "-- outputs:"
    core "$STEP2" output -no-color
    echo
    echo "State:   step 1 locally in $STEP1/terraform.tfstate;"
    echo "         step 2 in s3://ode-terraform-state/ode/production/platform.tfstate (locked by ode-terraform-locks)."
    echo "Again:   make demo         (changes nothing when nothing changed)"
    echo "Destroy: make demo-destroy (destroys both steps and stops the emulator)"
    ;;
  down)
    if emulator_running && [[ -d "$STEP1" ]]; then
      prepare
      # Step 2 exists only if its backend bucket does.
      (init_step2 && run_quiet "$STEP2" destroy -auto-approve -input=false -no-color) ||
        echo "step 2: nothing to destroy"
      # The bucket now holds the network's state history: allow deleting it.
      run_quiet "$STEP1" apply -auto-approve -input=false -no-color -var force_destroy=true >/dev/null
      run_quiet "$STEP1" destroy -auto-approve -input=false -no-color -var force_destroy=true
    fi
    if emulator_running; then
      kill "$(cat "$PIDFILE")" 2>/dev/null || true
    fi
    rm -rf "$DEMO"
    echo "Demo destroyed; emulator stopped."
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
