#!/usr/bin/env bash
# Installs the tools the end-to-end tests need into ${ODE_CACHE:-$HOME/.cache/ode}/tools:
#   tofu-1.12.6/tofu          OpenTofu, built from the Go module proxy
#   terraform-1.5.7/terraform Terraform, built with `go install` (best effort: when the
#                             build fails, the error is kept in terraform-1.5.7.failed,
#                             the tests skip that core, and later runs do not retry
#                             until the file is deleted)
#   actionlint-1.7.12/actionlint
#                             GitHub Actions workflow linter, built with `go install`
#                             (best effort, like terraform: a failed build is kept in
#                             actionlint-1.7.12.failed and its test is skipped)
#   venv/                     Python venv with requirements-test.txt
# Anything already present is kept, so a warm run takes seconds. Progress goes to stderr.
set -euo pipefail

TOFU_VERSION=1.12.6
TERRAFORM_VERSION=1.5.7
ACTIONLINT_VERSION=1.7.12

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODE_CACHE=${ODE_CACHE:-$HOME/.cache/ode}
TOOLS=$ODE_CACHE/tools

log() { printf 'install-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for cmd in go python3 cargo; do
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is not on PATH; install it first"
done

mkdir -p "$TOOLS"

# Scratch space for this run, removed on exit whatever happens.
SCRATCH=$(mktemp -d "$TOOLS/.scratch.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# Runs "$@" while holding an exclusive lock named $1, so that two concurrent runs of
# this script never build the same tool twice.
with_lock() {
  local name=$1
  shift
  (
    flock 9
    "$@"
  ) 9>"$TOOLS/.$name.lock"
}

# The first line of `tofu version`, or nothing when the binary is missing or broken.
tofu_version() {
  [[ -x $1 ]] || return 0
  CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$1" version 2>/dev/null | head -n 1 || true
}

build_tofu() {
  local dest=$TOOLS/tofu-$TOFU_VERSION/tofu
  local found
  found=$(tofu_version "$dest")
  if [[ $found == "OpenTofu v$TOFU_VERSION" ]]; then
    log "tofu $TOFU_VERSION: present ($dest)"
    return
  fi
  [[ -z $found ]] || log "tofu $TOFU_VERSION: rebuilding $dest, which reports '$found'"
  log "tofu $TOFU_VERSION: building from the Go module proxy (several minutes)"
  # `go install module@version` refuses modules whose go.mod has replace directives,
  # which OpenTofu's has: download the module source and build inside it instead.
  local src
  src=$(cd "$SCRATCH" && GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@v$TOFU_VERSION" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  mkdir -p "$(dirname "$dest")"
  # Build to a temporary name first so that an interrupted build never leaves a
  # half-written binary where the next run would take it as installed.
  local tmp=$dest.tmp.$$
  # version.dev=no, as in OpenTofu's release builds: without it the binary calls itself
  # a "-dev" prerelease.
  if ! (cd "$src" && GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-X github.com/opentofu/opentofu/version.dev=no" -o "$tmp" ./cmd/tofu); then
    rm -f "$tmp"
    die "building tofu $TOFU_VERSION failed (see the go output above)"
  fi
  mv -f "$tmp" "$dest"
  log "tofu $TOFU_VERSION: installed ($dest)"
}

# go_install_best_effort NAME VERSION PACKAGE: `go install PACKAGE@vVERSION` into
# $TOOLS/NAME-VERSION/NAME. When the build fails, the compiler's messages are kept in
# $TOOLS/NAME-VERSION.failed, the tests skip what needs the tool, and later runs do not
# retry until that file is deleted.
go_install_best_effort() {
  local name=$1 version=$2 package=$3
  local dir=$TOOLS/$name-$version
  local failed=$TOOLS/$name-$version.failed
  if [[ -x $dir/$name ]]; then
    log "$name $version: present ($dir/$name)"
    return
  fi
  if [[ -f $failed ]]; then
    log "$name $version: skipped, an earlier build failed (see $failed; delete it to retry)"
    return
  fi
  log "$name $version: building with go install"
  local gobin=$SCRATCH/$name-bin buildlog=$SCRATCH/$name-build.log
  if (cd "$SCRATCH" && GOBIN=$gobin go install "$package@v$version") >"$buildlog" 2>&1; then
    mkdir -p "$dir"
    mv -f "$gobin/$name" "$dir/$name"
    log "$name $version: installed ($dir/$name)"
  else
    # Keep the compiler's messages, not the long list of downloaded modules.
    grep -v '^go: downloading ' "$buildlog" >"$failed" || true
    log "$name $version: build failed, continuing without it (error kept in $failed)"
  fi
}

build_terraform() {
  # Several minutes on a cold module cache.
  go_install_best_effort terraform "$TERRAFORM_VERSION" github.com/hashicorp/terraform
}

build_actionlint() {
  go_install_best_effort actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
}

setup_venv() {
  local venv=$TOOLS/venv req=$REPO_ROOT/requirements-test.txt
  local stamp=$venv/.requirements.sha256 want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
    log "venv: up to date ($venv)"
    return
  fi
  log "venv: installing requirements-test.txt into $venv"
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
  log "venv: ready"
}

with_lock venv setup_venv
with_lock tofu build_tofu
with_lock terraform build_terraform
with_lock actionlint build_actionlint
log "done; tools are in $TOOLS"
