#!/usr/bin/env bash
# Installs the tools the demo and the tests need into ${ODE_CACHE:-$HOME/.cache/ode}/tools.
#
#   usage: install-tools.sh [TOOL...]     (no TOOL: venv, tofu, terraform, actionlint)
#          install-tools.sh --demo-core   (which core the demo would run; builds nothing)
#
#   venv        venv/                      Python venv with requirements-test.txt (the
#                                          emulator, pytest, ...)
#   tofu        tofu-1.12.6/tofu           OpenTofu, built from the Go module proxy
#   terraform   terraform-1.5.7/terraform  Terraform, built with `go install`
#   actionlint  actionlint-1.7.12/actionlint
#                                          GitHub Actions workflow linter, `go install`
#   demo-core   nothing, or tofu-1.12.6/tofu
#                                          The core `make demo` runs (below); asked for
#                                          by name only
#
# `make tools` (and so `make test`) asks for the four pinned tools: the tests always run
# the pinned cores. scripts/demo.sh asks for demo-core before it runs a core, so the
# demo builds no core on a machine that has a supported one.
#
# The demo's core, the first that applies (each candidate's `version` is run and read):
#   1. ODE_DEMO_CORE, when set: a path, a command name on PATH, or `pinned` for the
#      pinned OpenTofu. A forced choice is never replaced by another: when it is missing
#      or its version is not supported, the script says why and exits 1.
#   2. While the demo exists, the core that made its state (recorded by scripts/demo.sh
#      in $ODE_CACHE/demo/core): a core refuses state written by a newer one.
#   3. `tofu` on PATH, then `terraform` on PATH, when its version is supported
#      (OpenTofu >= 1.6, Terraform >= 1.5; the name it reports counts, not the file's
#      name). One that is too old or does not answer is named, with the reason, and
#      skipped.
#   4. The pinned OpenTofu, built when missing (the only case that needs Go).
# `--demo-core` prints the choice on stdout as one tab-separated line (path, OpenTofu
# or Terraform, version; the pinned path even while it is not built), the reasons on
# stderr.
#
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
# Asked for by name only.
NAMED_TOOLS=(demo-core)
# The oldest core versions the demo accepts (major minor): OpenTofu 1.6 is its first
# release; the examples need Terraform 1.5 (`check` blocks, `optional()` defaults).
MIN_OPENTOFU=(1 6)
MIN_TERRAFORM=(1 5)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODE_CACHE=${ODE_CACHE:-$HOME/.cache/ode}
TOOLS=$ODE_CACHE/tools
# Where scripts/demo.sh records the core it ran.
DEMO_CORE_RECORD=$ODE_CACHE/demo/core

log() { printf 'install-tools: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() {
  printf 'usage: %s [%s]...  (no argument: all but %s)\n       %s --demo-core\n' \
    "$0" "$(IFS='|' && echo "${ALL_TOOLS[*]}|${NAMED_TOOLS[*]}")" "${NAMED_TOOLS[*]}" "$0" >&2
  exit 2
}

# core_version BIN: "OpenTofu 1.11.2" or "Terraform 1.5.7" from the first line of
# `BIN version`, or nothing when BIN does not run or says something else. No CLI
# configuration is read and no update check is made; a binary that hangs is given up on.
core_version() {
  local out
  out=$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null timeout 30 "$1" version 2>/dev/null) || true
  out=${out%%$'\n'*}
  if [[ $out =~ ^(OpenTofu|Terraform)\ v([0-9]+\.[0-9]+\.[0-9]+[^[:space:]]*)$ ]]; then
    printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  fi
}

# supported NAME VERSION: whether the demo can run with that core.
supported() {
  local name=$1 version=$2 major minor rest
  local -a min
  IFS=. read -r major minor rest <<<"$version"
  case $name in
    OpenTofu) min=("${MIN_OPENTOFU[@]}") ;;
    Terraform) min=("${MIN_TERRAFORM[@]}") ;;
    *) return 1 ;;
  esac
  ((major > min[0] || (major == min[0] && minor >= min[1])))
}

# check_core BIN: prints "NAME VERSION" and returns 0 when BIN is a supported core;
# otherwise prints why not and returns 1.
check_core() {
  local bin=$1 found name version
  found=$(core_version "$bin")
  if [[ -z $found ]]; then
    echo "it does not report an OpenTofu or Terraform version"
    return 1
  fi
  read -r name version <<<"$found"
  if ! supported "$name" "$version"; then
    echo "$name $version is too old (the demo needs OpenTofu >= ${MIN_OPENTOFU[0]}.${MIN_OPENTOFU[1]} or Terraform >= ${MIN_TERRAFORM[0]}.${MIN_TERRAFORM[1]})"
    return 1
  fi
  echo "$found"
}

# select_demo_core: the demo's core (see the header) as "PATH<TAB>NAME<TAB>VERSION" on
# stdout, the reasons on stderr. Returns 1 when ODE_DEMO_CORE names no supported core.
select_demo_core() {
  local pinned=$TOOLS/tofu-$TOFU_VERSION/tofu forced=${ODE_DEMO_CORE:-} candidate bin verdict
  if [[ $forced == pinned ]]; then
    log "demo-core: the pinned OpenTofu $TOFU_VERSION ($pinned), as ODE_DEMO_CORE asks"
    printf '%s\tOpenTofu\t%s\n' "$pinned" "$TOFU_VERSION"
    return 0
  fi
  if [[ -n $forced ]]; then
    bin=$forced
    [[ $bin == */* ]] || bin=$(command -v -- "$bin" 2>/dev/null) || bin=
    if [[ -z $bin || ! -f $bin || ! -x $bin ]]; then
      log "error: ODE_DEMO_CORE=$forced is not an executable file or a command on PATH"
      return 1
    fi
    if ! verdict=$(check_core "$bin"); then
      [[ $bin == "$forced" ]] || forced="$forced ($bin)"
      log "error: ODE_DEMO_CORE=$forced: $verdict"
      return 1
    fi
    log "demo-core: ${verdict% *} ${verdict#* } at $bin (as ODE_DEMO_CORE asks)"
    printf '%s\t%s\t%s\n' "$bin" "${verdict% *}" "${verdict#* }"
    return 0
  fi
  # The core that made the demo's state (scripts/demo.sh records it; `make
  # demo-destroy` removes it): a core refuses state written by a newer one.
  if [[ -s $DEMO_CORE_RECORD ]]; then
    bin=$(<"$DEMO_CORE_RECORD")
    if [[ -x $bin ]] && verdict=$(check_core "$bin"); then
      log "demo-core: ${verdict% *} ${verdict#* } at $bin (it made the demo's state; ODE_DEMO_CORE chooses another)"
      printf '%s\t%s\t%s\n' "$bin" "${verdict% *}" "${verdict#* }"
      return 0
    fi
    log "demo-core: $bin made the demo's state but is gone or no longer supported: choosing another"
  fi
  for candidate in tofu terraform; do
    bin=$(command -v -- "$candidate" 2>/dev/null) || continue
    [[ $bin == */* ]] || continue # a shell function or alias, not a binary
    if verdict=$(check_core "$bin"); then
      log "demo-core: ${verdict% *} ${verdict#* } at $bin (found on PATH)"
      printf '%s\t%s\t%s\n' "$bin" "${verdict% *}" "${verdict#* }"
      return 0
    fi
    log "demo-core: not using $bin: $verdict"
  done
  log "demo-core: no supported tofu or terraform on PATH; the pinned OpenTofu $TOFU_VERSION ($pinned)"
  printf '%s\tOpenTofu\t%s\n' "$pinned" "$TOFU_VERSION"
}

if [[ ${1:-} == --demo-core ]]; then
  (($# == 1)) || usage
  select_demo_core
  exit
fi

# The tools asked for, in installation order.
selected=()
if (($# == 0)); then
  selected=("${ALL_TOOLS[@]}")
else
  for arg in "$@"; do
    [[ " ${ALL_TOOLS[*]} ${NAMED_TOOLS[*]} " == *" $arg "* ]] || { log "unknown tool '$arg'"; usage; }
  done
  for tool in "${ALL_TOOLS[@]}" "${NAMED_TOOLS[@]}"; do
    [[ " $* " == *" $tool "* ]] && selected+=("$tool")
  done
fi

# need CMD...: fail unless every CMD is on PATH.
need() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is not on PATH; install it first"
  done
}
# Go only for what is built with it (demo-core checks for itself): the demo with a
# core on PATH needs none.
need python3 cargo
for tool in "${selected[@]}"; do
  case $tool in
    tofu | terraform | actionlint) need go ;;
  esac
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

# The demo's core: nothing to install when a supported one is on PATH (or forced);
# otherwise the pinned OpenTofu.
install_demo_core() {
  local path name version
  IFS=$'\t' read -r path name version < <(select_demo_core) || return 1
  [[ -n $path ]] || return 1
  if [[ $path != "$TOOLS/tofu-$TOFU_VERSION/tofu" ]]; then
    return 0
  fi
  if [[ $(tofu_version "$path") != "OpenTofu v$TOFU_VERSION" ]]; then
    command -v go >/dev/null 2>&1 || {
      log "demo-core: 'go' is not on PATH: install it, or put OpenTofu >= ${MIN_OPENTOFU[0]}.${MIN_OPENTOFU[1]} or Terraform >= ${MIN_TERRAFORM[0]}.${MIN_TERRAFORM[1]} on PATH"
      return 1
    }
  fi
  # Under the tofu lock, as if `tofu` had been asked for.
  install tofu
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
    "install_${tool//-/_}"
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
