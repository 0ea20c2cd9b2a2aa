#!/usr/bin/env bash
# make demo / make demo-destroy: the example stack on a local AWS emulator.
#   demo.sh up     start the emulator (if not running) and apply the example
#   demo.sh down   destroy the example and stop the emulator
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DEMO="$ODE_CACHE/demo"
WORK="$DEMO/work/state-backend"
PIDFILE="$DEMO/emulator.pid"
PORTFILE="$DEMO/emulator.port"
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

core() {
  (cd "$WORK" && TF_CLI_CONFIG_FILE="$DEMO/cli.tfrc" TF_IN_AUTOMATION=1 TF_INPUT=0 \
    CHECKPOINT_DISABLE=1 AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo \
    AWS_REGION=us-east-1 TF_VAR_endpoint_url="$ENDPOINT" "$TOFU" "$@")
}

prepare() {
  start_emulator
  ENDPOINT="http://127.0.0.1:$(cat "$PORTFILE")"
  layout_mirror "$CARGO_TARGET_DIR/debug/terraform-provider-ode" "$DEMO"
  mkdir -p "$WORK"
  cp "$REPO_ROOT"/examples/state-backend/*.tf "$WORK/"
  # A rebuilt provider has a new checksum: let init record the current one.
  rm -f "$WORK/.terraform.lock.hcl"
  core init -input=false -no-color >/dev/null
}

case "${1:-up}" in
  up)
    prepare
    core apply -auto-approve -input=false -no-color | grep -E '^(Apply complete|No changes)' || true
    echo
    echo "== ode demo: state backend on the local emulator ($ENDPOINT)"
    core output -no-color
    echo
    echo "State of this demo: $WORK/terraform.tfstate"
    echo "Tear it down with:  make demo-destroy"
    ;;
  down)
    if emulator_running; then
      prepare
      core destroy -auto-approve -input=false -no-color | grep -E '^Destroy complete' || true
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
