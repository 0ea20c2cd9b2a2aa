#!/usr/bin/env bash
# Installs checkov, the scanner the custom policies in policies/checkov are written for,
# into ${ODE_CACHE:-$HOME/.cache/ode}/tools/checkov-venv:
#
#   checkov-venv/bin/checkov   checkov pinned by requirements-checkov.txt
#
# checkov gets a venv of its own because it pins boto3, botocore and others at versions
# that would fight the ones requirements-test.txt pins for the emulator. The venv is
# made by the same python3 as scripts/install-tools.sh uses for the test venv.
#
# Idempotent: the venv records the hash of requirements-checkov.txt it was installed
# from, and a run that finds the same hash and a working checkov only says so (about
# two seconds, most of them `checkov --version`). A changed requirements file or a
# broken checkov is installed again. A failed install fails the script (exit 1) and
# records nothing, so the next run tries again. Progress goes to stderr.
# tests/lint/test_checkov.py runs the checkov installed here.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODE_CACHE=${ODE_CACHE:-$HOME/.cache/ode}
TOOLS=$ODE_CACHE/tools
VENV=$TOOLS/checkov-venv
REQ=$REPO_ROOT/requirements-checkov.txt
STAMP=$VENV/.requirements.sha256

log() { printf 'install-checkov: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

command -v python3 >/dev/null 2>&1 || die "'python3' is not on PATH; install it first"
[[ -f $REQ ]] || die "$REQ is missing"

mkdir -p "$TOOLS"

# The version line of the installed checkov, or nothing when it is missing or broken.
checkov_version() {
  [[ -x $VENV/bin/checkov ]] || return 0
  "$VENV/bin/checkov" --version 2>/dev/null | head -n 1 || true
}

install_checkov() {
  local want found
  want=$(sha256sum "$REQ" | cut -d' ' -f1)
  found=$(checkov_version)
  if [[ -f $STAMP && $(<"$STAMP") == "$want" && -n $found ]]; then
    log "checkov $found: up to date ($VENV/bin/checkov)"
    return
  fi
  # The stamp goes first: an interrupted or failed install leaves no stamp behind, so
  # the next run installs again.
  rm -f "$STAMP"
  if [[ ! -x $VENV/bin/python ]]; then
    log "creating $VENV with $(command -v python3) ($(python3 --version 2>&1))"
    python3 -m venv "$VENV"
  fi
  log "installing requirements-checkov.txt into $VENV (a minute or two on a cold pip cache)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
  found=$(checkov_version)
  [[ -n $found ]] || die "checkov was installed but '$VENV/bin/checkov --version' fails"
  echo "$want" >"$STAMP"
  log "checkov $found: installed ($VENV/bin/checkov)"
}

# One install at a time (the same lock-file convention as install-tools.sh).
(
  flock 9
  install_checkov
) 9>"$TOOLS/.checkov.lock"
