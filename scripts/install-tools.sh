#!/usr/bin/env bash
# Installs the tools the demo and the tests need into ${ODE_CACHE:-$HOME/.cache/ode}/tools.
#
#   usage: install-tools.sh [TOOL...]     (no TOOL: all of them)
#
#   venv        venv/                      Python venv with requirements-test.txt (the
#                                          emulator, pytest, ...)
#   tofu        tofu-1.12.6/tofu           OpenTofu, built from the Go module proxy
#   terraform   terraform-1.5.7/terraform  Terraform, built with `go install`
#   actionlint  actionlint-1.7.12/actionlint
#                                          GitHub Actions workflow linter, `go install`
#
# `make demo` asks for `venv tofu`; `make tools` (and so `make test`) for everything.
# Every tool asked for is required: when one cannot be built, the compiler's messages
# (without go's "go: downloading" lines) are printed, the other tools are still built,
# and the script exits 1. Nothing records a failure: the next run tries again. Only a
# finished build is kept (built under a temporary name, then moved into place), and a
# tool already present is kept, so a warm run takes seconds. Progress goes to stderr.
set -euo pipefail

TOFU_VERSION=1.12.6
TERRAFORM_VERSION=1.5.7
ACTIONLINT_VERSION=1.7.12
# Every tool, in the order they are installed.
ALL_TOOLS=(venv tofu terraform actionlint)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODE_CACHE=${ODE_CACHE:-$HOME/.cache/ode}
TOOLS=$ODE_CACHE/tools

log() { printf 'install-tools: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() {
  printf 'usage: %s [%s]...  (no argument: all of them)\n' "$0" "$(IFS='|' && echo "${ALL_TOOLS[*]}")" >&2
  exit 2
}

# The tools asked for, in installation order.
selected=()
if (($# == 0)); then
  selected=("${ALL_TOOLS[@]}")
else
  for arg in "$@"; do
    [[ " ${ALL_TOOLS[*]} " == *" $arg "* ]] || { log "unknown tool '$arg'"; usage; }
  done
  for tool in "${ALL_TOOLS[@]}"; do
    [[ " $* " == *" $tool "* ]] && selected+=("$tool")
  done
fi

for cmd in go python3 cargo; do
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is not on PATH; install it first"
done

mkdir -p "$TOOLS"

# Scratch space for this run, removed on exit whatever happens.
SCRATCH=$(mktemp -d "$TOOLS/.scratch.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# go_run LOG CMD...: run CMD with its output in LOG. On failure, print LOG to stderr
# without go's "go: downloading MODULE" progress lines, which would bury the compiler's
# messages, and return 1.
go_run() {
  local buildlog=$1
  shift
  if "$@" >"$buildlog" 2>&1; then
    return 0
  fi
  grep -v '^go: downloading ' "$buildlog" >&2 || true
  return 1
}

# The first line of `tofu version`, or nothing when the binary is missing or broken.
tofu_version() {
  [[ -x $1 ]] || return 0
  CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$1" version 2>/dev/null | head -n 1 || true
}

install_tofu() {
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
  local info=$SCRATCH/tofu-download.json errors=$SCRATCH/tofu-download.log src
  if ! (cd "$SCRATCH" && GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@v$TOFU_VERSION") \
    >"$info" 2>"$errors"; then
    # The reason is in the JSON's "Error" field or on stderr.
    cat "$info" "$errors" >&2
    log "tofu $TOFU_VERSION: downloading the module failed (messages above)"
    return 1
  fi
  src=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["Dir"])' "$info")
  mkdir -p "$(dirname "$dest")"
  # Build to a temporary name first so that an interrupted build never leaves a
  # half-written binary where the next run would take it as installed.
  local tmp=$dest.tmp.$$
  # version.dev=no, as in OpenTofu's release builds: without it the binary calls itself
  # a "-dev" prerelease.
  if ! (cd "$src" && go_run "$SCRATCH/tofu-build.log" env GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-X github.com/opentofu/opentofu/version.dev=no" -o "$tmp" ./cmd/tofu); then
    rm -f "$tmp"
    log "tofu $TOFU_VERSION: build failed (compiler messages above)"
    return 1
  fi
  mv -f "$tmp" "$dest"
  log "tofu $TOFU_VERSION: installed ($dest)"
}

# go_install NAME VERSION PACKAGE: `go install PACKAGE@vVERSION` into
# $TOOLS/NAME-VERSION/NAME, unless that binary is there already. Built through a
# temporary GOBIN, so that a failed or interrupted build leaves nothing behind. On
# failure, prints the compiler's messages and returns 1.
go_install() {
  local name=$1 version=$2 package=$3
  local dir=$TOOLS/$name-$version
  if [[ -x $dir/$name ]]; then
    log "$name $version: present ($dir/$name)"
    return
  fi
  log "$name $version: building with go install"
  local gobin=$SCRATCH/$name-bin
  # Run outside any module, so that `go install pkg@version` builds exactly the pinned
  # module graph.
  if ! (cd "$SCRATCH" && go_run "$SCRATCH/$name-build.log" env GOBIN="$gobin" go install "$package@v$version"); then
    log "$name $version: build failed (compiler messages above)"
    return 1
  fi
  mkdir -p "$dir"
  mv -f "$gobin/$name" "$dir/$name"
  log "$name $version: installed ($dir/$name)"
}

install_terraform() {
  # Several minutes on a cold module cache.
  go_install terraform "$TERRAFORM_VERSION" github.com/hashicorp/terraform
}

install_actionlint() {
  go_install actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
}

install_venv() {
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

# install TOOL: install_TOOL holding an exclusive lock named after the tool, so that two
# concurrent runs never build the same tool twice. Runs in a subshell with errexit on,
# so that any failing command inside fails the tool; returns its exit status.
install() {
  local tool=$1
  (
    set -e
    flock 9
    "install_$tool"
  ) 9>"$TOOLS/.$tool.lock"
}

failed=()
for tool in "${selected[@]}"; do
  # Not `install "$tool" || ...`: bash ignores errexit in everything a `||` list runs.
  set +e
  install "$tool"
  status=$?
  set -e
  ((status == 0)) || failed+=("$tool")
done
if ((${#failed[@]})); then
  die "could not install: ${failed[*]} (see the messages above); nothing was recorded, so the next run tries again"
fi
log "done (${selected[*]}); tools are in $TOOLS"
