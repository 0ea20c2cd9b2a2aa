#!/usr/bin/env bash
# Release packaging for terraform-provider-ode: the files the Terraform and OpenTofu
# registries (and a GitHub release) expect, reproducible and signed.
#
#   release.sh all     --version V [--out DIR] [--target TRIPLE]
#       What `make release VERSION=V` runs: `build`, then `finish`, then `verify`, into
#       DIR (default $ODE_CACHE/dist/V). This version's files already in DIR are removed
#       first, so the result is exactly this host's package. Slow: a cold release build.
#   release.sh build   --version V [--out DIR] [--target TRIPLE]
#       `cargo build --locked --release --bin terraform-provider-ode` (paths remapped, see
#       below) for the host or TRIPLE, then `package` of the result for the platform of
#       TRIPLE. V must be the workspace version in Cargo.toml.
#   release.sh package --version V --os OS --arch ARCH --binary PATH --out DIR
#       Adds (or replaces) DIR/terraform-provider-ode_V_OS_ARCH.zip holding PATH as
#       terraform-provider-ode_vV (.exe on windows). Any binary will do (a debug build is
#       fine for tests); a recognised executable (ELF, Mach-O, PE) of another OS or ARCH is
#       refused. Prints the zip's path.
#   release.sh finish  --version V --out DIR [--require-key]
#       Over every terraform-provider-ode_V_*_*.zip in DIR writes
#         terraform-provider-ode_V_manifest.json      {"version":1,"metadata":{"protocol_versions":["6.0"]}}
#                                                     (exactly these bytes plus one "\n")
#         terraform-provider-ode_V_SHA256SUMS         sha256sum format ("HEX  NAME"), every
#                                                     zip and the manifest, sorted by name
#         terraform-provider-ode_V_SHA256SUMS.sig     detached binary signature (gpg)
#         terraform-provider-ode_V_signing_key.asc    the signer's ASCII-armored public key
#         terraform-provider-ode_V_signing_key.id     its key id (16 hex digits, upper case)
#       then runs `verify`. --require-key refuses the development key (the release
#       workflow passes it).
#   release.sh verify  --version V --out DIR
#       Checks a finished DIR the way a registry client does: the manifest's bytes, every
#       checksum, every zip listed and holding just the binary (mode 0755), and the
#       signature against the exported public key alone, in a throwaway keyring; the
#       signature must be RSA (Terraform up to at least 1.5 verifies with
#       golang.org/x/crypto/openpgp, which knows no EdDSA) over SHA-256 or SHA-512.
#
#   V is a version without the leading "v": 1.2.3 or 1.2.3-rc.1. OS is linux, darwin,
#   windows, freebsd or openbsd; ARCH amd64, arm64, 386 or arm (Go's names).
#
# Signing key. With ODE_GPG_KEY_ID set (fingerprint, key id or user id naming exactly
# one secret key), that key of the user's keyring signs (GNUPGHOME honoured); its
# passphrase, if any, comes from ODE_GPG_PASSPHRASE (fed to gpg through a pipe, never
# a command line) or else from the agent's pinentry. Without it (a clean clone), a
# development key is created on first use, or reused, in its own keyring
# $ODE_DEV_GNUPGHOME (default $ODE_CACHE/gnupg, i.e. ~/.cache/ode/gnupg): RSA 4096, no
# passphrase, user id "ODE development release key (DEVELOPMENT ONLY, not for
# publishing)"; GNUPGHOME is not used for it, so a real keyring never gets it. Every
# use of it is announced on stderr. Only public keys are ever exported or printed.
#
# Reproducibility.
#   Zips: the same binary gives byte-identical zips. One entry, the binary; time stamp
#   SOURCE_DATE_EPOCH if set, else the commit time of HEAD, else 1980-01-01 (clamped to
#   zip's 1980..2107 range, UTC); mode 0100755 with "made by Unix" on every OS; no extra
#   fields, no comment; deflate at level 6 by Python's zipfile and its zlib. A different
#   zlib (zlib-ng, say) may compress differently, so identical bytes across machines
#   need the same Python build; the release workflow pins the Python version.
#   Binary: [profile.release] has strip = "symbols" (no symbol table, no debug info),
#   codegen-units = 16 and thin LTO (deterministic for a given rustc), and Cargo.lock
#   is used with --locked. `build` adds --remap-path-prefix for CARGO_HOME (-> /cargo),
#   the repository (-> /src) and CARGO_TARGET_DIR (-> /target), so panic locations and
#   include!d generated code (OUT_DIR) carry no machine paths; aws-lc-sys maps its C
#   sources' paths itself (-ffile-prefix-map) in optimised builds. The same bytes then
#   still need the same rustc, C compiler and linker (the same runner image), and for
#   Windows the remapping is best effort (paths are converted with cygpath -m).
#   Shared target dir: cargo (checked with 1.95) hashes RUSTFLAGS into artifact file
#   names but not into -C metadata, so symbols do not change (a toy crate built this
#   way gave the same bytes from two target dirs and CARGO_HOMEs), and the remapped
#   release units sit next to `make bench`'s unremapped ones in
#   CARGO_TARGET_DIR/release: neither invalidates the other, nor the
#   debug builds (target/debug), but the first `build` is a cold release build (~37
#   minutes on 2 cores) even after `make bench`, and the release dir holds both sets.
#   The flags go in CARGO_ENCODED_RUSTFLAGS (added to RUSTFLAGS if that is set), which
#   hides any build.rustflags of a cargo config file. The signature carries its own time
#   stamp and is not reproducible; SHA256SUMS and the manifest are.
#
# Needs bash (3.2 is enough), Python 3.8+ ($PYTHON, else python3, else python), and gpg
# for finish and verify; cargo for build. Progress and warnings go to stderr.
set -euo pipefail

PROVIDER=terraform-provider-ode
MANIFEST='{"version":1,"metadata":{"protocol_versions":["6.0"]}}'
DEV_KEY_UID='ODE development release key (DEVELOPMENT ONLY, not for publishing)'
KNOWN_OS=" linux darwin windows freebsd openbsd "
KNOWN_ARCH=" amd64 arm64 386 arm "

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODE_CACHE=${ODE_CACHE:-$HOME/.cache/ode}
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ODE_CACHE/target}
DEV_GNUPGHOME=${ODE_DEV_GNUPGHOME:-$ODE_CACHE/gnupg}

log() { printf 'release: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() {
  # The header above, up to the signing key notes.
  sed -n '2,/^# Signing key/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------
VERSION="" OUT="" TARGET="" PKG_OS="" PKG_ARCH="" BINARY="" REQUIRE_KEY=0

parse_args() {
  while (($# > 0)); do
    local opt=$1 val=""
    case $opt in
      --require-key) REQUIRE_KEY=1; shift; continue ;;
      -h | --help) usage ;;
      --*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
      --*)
        (($# >= 2)) || die "$opt needs a value"
        val=$2
        shift 2
        ;;
      *) die "unexpected argument '$opt' (see --help)" ;;
    esac
    case $opt in
      --version) VERSION=$val ;;
      --out) OUT=$val ;;
      --target) TARGET=$val ;;
      --os) PKG_OS=$val ;;
      --arch) PKG_ARCH=$val ;;
      --binary) BINARY=$val ;;
      *) die "unknown option '$opt' (see --help)" ;;
    esac
  done
}

need_version() {
  [[ -n $VERSION ]] || die "--version is required (make release VERSION=x.y.z)"
  [[ $VERSION != v* ]] || die "--version '$VERSION': give it without the leading 'v'"
  [[ $VERSION =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?$ ]] ||
    die "--version '$VERSION' is not a version like 1.2.3 or 1.2.3-rc.1"
}

need_out() {
  [[ -n $OUT ]] || die "--out DIR is required"
}

# Only what a subcommand uses may be given to it.
only_options() {
  local sub=$1
  shift
  local allowed=" $* "
  [[ -z $OUT || $allowed == *" out "* ]] || die "$sub takes no --out"
  [[ -z $TARGET || $allowed == *" target "* ]] || die "$sub takes no --target"
  [[ -z $PKG_OS || $allowed == *" os "* ]] || die "$sub takes no --os"
  [[ -z $PKG_ARCH || $allowed == *" arch "* ]] || die "$sub takes no --arch"
  [[ -z $BINARY || $allowed == *" binary "* ]] || die "$sub takes no --binary"
  [[ $REQUIRE_KEY == 0 || $allowed == *" require-key "* ]] || die "$sub takes no --require-key"
}

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
PY=""
find_python() {
  [[ -z $PY ]] || return 0
  local cand
  for cand in ${PYTHON:+"$PYTHON"} python3 python; do
    # Windows has a python3 that only opens the Store: run it to be sure.
    if command -v "$cand" >/dev/null 2>&1 &&
      "$cand" -c 'import sys, zipfile, zlib; sys.exit(sys.version_info < (3, 8))' >/dev/null 2>&1; then
      PY=$cand
      return 0
    fi
  done
  die "no Python 3.8+ found (set PYTHON)"
}

need_gpg() {
  command -v gpg >/dev/null 2>&1 || die "gpg is not on PATH"
}

# The zip time stamp, seconds since the epoch.
source_date_epoch() {
  if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
    [[ $SOURCE_DATE_EPOCH =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH '$SOURCE_DATE_EPOCH' is not a number"
    printf '%s\n' "$SOURCE_DATE_EPOCH"
  elif git -C "$REPO_ROOT" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    git -C "$REPO_ROOT" log -1 --format=%ct HEAD
  else
    printf '%s\n' 315532800 # 1980-01-01T00:00:00Z, zip's first representable time
  fi
}

workspace_version() {
  sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$REPO_ROOT/Cargo.toml" | head -n 1
}

# TRIPLE -> "OS ARCH" in Go's names.
triple_platform() {
  local triple=$1 os arch
  case $triple in
    x86_64-*) arch=amd64 ;;
    aarch64-* | arm64-*) arch=arm64 ;;
    i686-* | i586-*) arch=386 ;;
    arm-* | armv7-*) arch=arm ;;
    *) die "no release platform for target '$triple'" ;;
  esac
  case $triple in
    *-linux-*) os=linux ;;
    *-apple-darwin) os=darwin ;;
    *-windows-*) os=windows ;;
    *-freebsd) os=freebsd ;;
    *-openbsd) os=openbsd ;;
    *) die "no release platform for target '$triple'" ;;
  esac
  printf '%s %s\n' "$os" "$arch"
}

# A path as the native tools see it (Windows: C:/..., elsewhere unchanged).
native_path() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -m "$1"; else printf '%s\n' "$1"; fi
}

# The Python half: zip writing, checksums and checks, all byte-exact on every OS.
py() {
  find_python
  "$PY" - "$@" <<'PYTHON'
import hashlib, os, struct, sys, time, zipfile

def die(msg):
    sys.stderr.write("release: error: %s\n" % msg)
    sys.exit(1)

# What kind of executable: (os family, arch) or None when it is none we know.
ELF_ARCH = {62: "amd64", 183: "arm64", 3: "386", 40: "arm"}
MACHO_ARCH = {0x01000007: "amd64", 0x0100000C: "arm64", 7: "386", 12: "arm"}
PE_ARCH = {0x8664: "amd64", 0xAA64: "arm64", 0x14C: "386", 0x1C4: "arm"}

def identify(data):
    if data[:4] == b"\x7fELF" and len(data) >= 20:
        endian = "<" if data[5] == 1 else ">"
        return "elf", ELF_ARCH.get(struct.unpack(endian + "H", data[18:20])[0], "?")
    if data[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe") and len(data) >= 8:
        return "macho", MACHO_ARCH.get(struct.unpack("<I", data[4:8])[0], "?")
    if data[:4] == b"\xca\xfe\xba\xbe":
        return "macho", "universal"
    if data[:2] == b"MZ" and len(data) >= 64:
        off = struct.unpack("<I", data[60:64])[0]
        if data[off:off + 4] == b"PE\0\0":
            return "pe", PE_ARCH.get(struct.unpack("<H", data[off + 4:off + 6])[0], "?")
    return None

NAMES = {"elf": "ELF", "macho": "Mach-O", "pe": "PE"}
FAMILY = {"linux": "elf", "freebsd": "elf", "openbsd": "elf", "darwin": "macho", "windows": "pe"}

def cmd_zip(binary, arcname, out, epoch, want_os, want_arch):
    with open(binary, "rb") as f:
        data = f.read()
    kind = identify(data)
    if kind is None:
        sys.stderr.write("release: warning: %s is no ELF, Mach-O or PE executable; packaged as %s/%s anyway\n"
                         % (binary, want_os, want_arch))
    else:
        family, arch = kind
        if family != FAMILY[want_os] or arch not in (want_arch, "universal"):
            die("%s is an %s %s executable, not one for %s/%s" % (binary, NAMES[family], arch, want_os, want_arch))
    # Zip holds 1980..2107 in local time without a zone; UTC, 2-second steps.
    stamp = time.gmtime(min(max(int(epoch), 315532800), 4354819198))[:6]
    info = zipfile.ZipInfo(arcname, date_time=stamp)
    info.create_system = 3                       # Unix, so the mode below is honoured
    info.external_attr = (0o100755 & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    os.replace(tmp, out)

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

def cmd_sums(out, *paths):
    # sha256sum's text format; names sorted by their bytes, as LC_ALL=C sort does.
    names = sorted(os.path.basename(p) for p in paths)
    lines = "".join("%s  %s\n" % (sha256(os.path.join(os.path.dirname(out), n)), n) for n in names)
    tmp = out + ".tmp"
    with open(tmp, "w", newline="\n") as f:
        f.write(lines)
    os.replace(tmp, out)

def cmd_check_zip(path, binary_name):
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if [i.filename for i in infos] != [binary_name]:
            die("%s holds %s, not just %s" % (path, [i.filename for i in infos], binary_name))
        mode = infos[0].external_attr >> 16
        if infos[0].create_system != 3 or mode != 0o100755:
            die("%s: %s has mode %o (made by system %d), not 100755 (Unix)"
                % (path, binary_name, mode, infos[0].create_system))
        bad = zf.testzip()
        if bad:
            die("%s: %s is corrupt" % (path, bad))

def cmd_check_sums(sums, *expected):
    directory = os.path.dirname(sums)
    listed = []
    with open(sums, "rb") as f:
        for raw in f.read().decode("ascii").splitlines():
            digest, sep, name = raw.partition("  ")
            if not sep or len(digest) != 64 or "/" in name:
                die("%s: malformed line %r" % (sums, raw))
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                die("%s lists %s, which is missing" % (sums, name))
            if sha256(path) != digest:
                die("%s: checksum mismatch for %s" % (sums, name))
            listed.append(name)
    if listed != sorted(listed):
        die("%s is not sorted by file name" % sums)
    want = sorted(os.path.basename(p) for p in expected)
    if listed != want:
        die("%s lists %s, expected %s" % (sums, listed, want))

def cmd_check_bytes(path, text):
    with open(path, "rb") as f:
        if f.read() != (text + "\n").encode():
            die("%s is not exactly %s plus a newline" % (path, text))

{"zip": cmd_zip, "sums": cmd_sums, "check-zip": cmd_check_zip,
 "check-sums": cmd_check_sums, "check-bytes": cmd_check_bytes}[sys.argv[1]](*sys.argv[2:])
PYTHON
}

# This version's zips in OUT, one per line.
release_zips() {
  local f name
  for f in "$OUT/${PROVIDER}_${VERSION}_"*.zip; do
    [[ -f $f ]] || continue
    name=${f##*/}
    [[ $name =~ ^${PROVIDER}_${VERSION//./\\.}_([a-z0-9]+)_([a-z0-9]+)\.zip$ ]] ||
      die "unexpected file $name in $OUT"
    printf '%s\n' "$f"
  done
}

binary_name() { # OS
  if [[ $1 == windows ]]; then printf '%s_v%s.exe\n' "$PROVIDER" "$VERSION"; else printf '%s_v%s\n' "$PROVIDER" "$VERSION"; fi
}

# ---------------------------------------------------------------------------
# Signing keys
# ---------------------------------------------------------------------------
SIGN_FPR="" SIGN_KEYID="" DEV_KEY=0

# secret_keys WHO: "FPR KEYID CAPS" of every secret key matching WHO (or all).
secret_keys() {
  gpg --batch --with-colons --list-secret-keys ${1:+-- "$1"} 2>/dev/null |
    awk -F: '$1 == "sec" { keyid = $5; caps = $12; want = 1; next }
             $1 == "fpr" && want { print $10, keyid, caps; want = 0 }'
}

use_configured_key() {
  local matches
  matches=$(secret_keys "$ODE_GPG_KEY_ID") || true
  [[ -n $matches ]] || die "ODE_GPG_KEY_ID=$ODE_GPG_KEY_ID: no such secret key in ${GNUPGHOME:-~/.gnupg}"
  (($(printf '%s\n' "$matches" | wc -l) == 1)) ||
    die "ODE_GPG_KEY_ID=$ODE_GPG_KEY_ID names more than one secret key; give its fingerprint"
  local caps
  read -r SIGN_FPR SIGN_KEYID caps <<<"$matches"
  [[ $caps == *S* ]] || die "key $SIGN_KEYID cannot sign (expired, revoked or no signing capability)"
  log "signing with key $SIGN_KEYID (ODE_GPG_KEY_ID) from ${GNUPGHOME:-~/.gnupg}"
}

use_dev_key() {
  ((REQUIRE_KEY == 0)) || die "--require-key: ODE_GPG_KEY_ID is not set; refusing the development key"
  export GNUPGHOME=$DEV_GNUPGHOME
  mkdir -p "$GNUPGHOME"
  chmod 700 "$GNUPGHOME"
  # The agent first, so that it does not inherit the lock below and hold it forever.
  gpgconf --launch gpg-agent >/dev/null 2>&1 || true
  # One creator at a time where flock exists (Linux); elsewhere a race makes two keys,
  # and the first one listed is used.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$GNUPGHOME/release-key.lock"
    flock -w 300 9 || die "timed out waiting for $GNUPGHOME/release-key.lock"
  fi
  local found err
  found=$(secret_keys "$DEV_KEY_UID" | awk '$3 ~ /S/' | head -n 1) || true
  if [[ -z $found ]]; then
    log "creating a development release key (RSA 4096) in $GNUPGHOME"
    err=$(gpg --batch --quiet --passphrase '' --quick-generate-key "$DEV_KEY_UID" rsa4096 sign never 2>&1) ||
      die "gpg could not create the development key in $GNUPGHOME: $err"
    found=$(secret_keys "$DEV_KEY_UID" | awk '$3 ~ /S/' | head -n 1) || true
    [[ -n $found ]] || die "the new development key is not in $GNUPGHOME"
  fi
  if command -v flock >/dev/null 2>&1; then exec 9>&-; fi
  read -r SIGN_FPR SIGN_KEYID _ <<<"$found"
  DEV_KEY=1
  dev_key_banner
}

dev_key_banner() {
  log "**********************************************************************"
  log "*  SIGNED WITH A DEVELOPMENT KEY: ODE_GPG_KEY_ID is not set.          *"
  log "*  key $SIGN_KEYID in $GNUPGHOME"
  log "*  Registries and users must not trust it. Do not publish this release:"
  log "*  set ODE_GPG_KEY_ID to the release key (see README, Releasing).     *"
  log "**********************************************************************"
}

sign() { # FILE -> FILE.sig
  local file=$1
  rm -f "$file.sig"
  if [[ -n ${ODE_GPG_PASSPHRASE:-} ]]; then
    gpg --batch --yes --quiet --pinentry-mode loopback --passphrase-fd 3 \
      --local-user "$SIGN_FPR" --digest-algo SHA256 --detach-sign --output "$file.sig" "$file" \
      3< <(printf '%s' "$ODE_GPG_PASSPHRASE")
  else
    gpg --batch --yes --quiet --local-user "$SIGN_FPR" --digest-algo SHA256 \
      --detach-sign --output "$file.sig" "$file"
  fi || die "gpg could not sign $file with key $SIGN_KEYID (a passphrase? set ODE_GPG_PASSPHRASE)"
}

# ---------------------------------------------------------------------------
# Subcommands
# ---------------------------------------------------------------------------
cmd_package() {
  need_version
  need_out
  [[ -n $PKG_OS && -n $PKG_ARCH ]] || die "package needs --os and --arch"
  [[ $KNOWN_OS == *" $PKG_OS "* ]] || die "--os '$PKG_OS' is not one of:$KNOWN_OS"
  [[ $KNOWN_ARCH == *" $PKG_ARCH "* ]] || die "--arch '$PKG_ARCH' is not one of:$KNOWN_ARCH"
  [[ -n $BINARY ]] || die "package needs --binary PATH"
  [[ -f $BINARY ]] || die "--binary $BINARY: no such file"
  mkdir -p "$OUT"
  local zip="$OUT/${PROVIDER}_${VERSION}_${PKG_OS}_${PKG_ARCH}.zip" epoch
  epoch=$(source_date_epoch)
  py zip "$BINARY" "$(binary_name "$PKG_OS")" "$zip" "$epoch" "$PKG_OS" "$PKG_ARCH"
  log "packaged $BINARY as ${zip##*/} ($(binary_name "$PKG_OS"), time stamp $epoch)"
  printf '%s\n' "$zip"
}

cmd_build() {
  need_version
  local crate_version
  crate_version=$(workspace_version)
  [[ $VERSION == "$crate_version" ]] ||
    die "--version $VERSION is not the workspace version in Cargo.toml ($crate_version); bump it first"
  command -v cargo >/dev/null 2>&1 || die "cargo is not on PATH"
  OUT=${OUT:-$ODE_CACHE/dist/$VERSION}

  local triple=$TARGET platform
  if [[ -z $triple ]]; then
    triple=$(rustc -vV | sed -n 's/^host: //p')
    [[ -n $triple ]] || die "could not tell the host target from rustc -vV"
  fi
  platform=$(triple_platform "$triple")
  read -r PKG_OS PKG_ARCH <<<"$platform"

  # Path remapping (see the header): the last matching prefix wins in rustc, so the
  # most specific (the target dir, often inside the repository) goes last.
  local sep=$'\x1f' flags="" prefix
  local cargo_home=${CARGO_HOME:-$HOME/.cargo}
  mkdir -p "$CARGO_TARGET_DIR"
  for prefix in "$cargo_home=/cargo" "$REPO_ROOT=/src" "$CARGO_TARGET_DIR=/target"; do
    local from=${prefix%=*} to=${prefix##*=} real
    flags+="${flags:+$sep}--remap-path-prefix=$(native_path "$from")=$to"
    real=$(cd "$from" 2>/dev/null && pwd -P) || real=$from
    [[ $real == "$from" ]] || flags+="$sep--remap-path-prefix=$(native_path "$real")=$to"
  done
  local encoded
  if [[ -n ${CARGO_ENCODED_RUSTFLAGS:-} ]]; then
    encoded="$CARGO_ENCODED_RUSTFLAGS$sep$flags"
  elif [[ -n ${RUSTFLAGS:-} ]]; then
    local word
    encoded=""
    for word in $RUSTFLAGS; do encoded+="$word$sep"; done
    encoded+=$flags
  else
    encoded=$flags
  fi

  local cargo_args=(build --locked --release --bin "$PROVIDER")
  local bin_dir="$CARGO_TARGET_DIR/release"
  if [[ -n $TARGET ]]; then
    cargo_args+=(--target "$TARGET")
    bin_dir="$CARGO_TARGET_DIR/$TARGET/release"
  fi
  log "cargo ${cargo_args[*]} (CARGO_TARGET_DIR=$CARGO_TARGET_DIR, paths remapped)"
  (cd "$REPO_ROOT" && env -u RUSTFLAGS CARGO_TARGET_DIR="$CARGO_TARGET_DIR" \
    CARGO_ENCODED_RUSTFLAGS="$encoded" cargo "${cargo_args[@]}") || die "cargo build failed"

  BINARY="$bin_dir/$PROVIDER"
  [[ $PKG_OS != windows ]] || BINARY+=".exe"
  [[ -f $BINARY ]] || die "cargo built no $BINARY"
  cmd_package
}

cmd_finish() {
  need_version
  need_out
  need_gpg
  [[ -d $OUT ]] || die "--out $OUT: no such directory"
  local zips=() f
  while IFS= read -r f; do zips+=("$f"); done < <(release_zips)
  ((${#zips[@]} > 0)) || die "no ${PROVIDER}_${VERSION}_OS_ARCH.zip in $OUT: run package first"

  # The key first: a missing or refused key leaves OUT as it was.
  if [[ -n ${ODE_GPG_KEY_ID:-} ]]; then use_configured_key; else use_dev_key; fi

  local base="$OUT/${PROVIDER}_${VERSION}"
  rm -f "${base}_SHA256SUMS" "${base}_SHA256SUMS.sig" "${base}_signing_key.asc" "${base}_signing_key.id"
  printf '%s\n' "$MANIFEST" >"${base}_manifest.json.tmp"
  mv -f "${base}_manifest.json.tmp" "${base}_manifest.json"
  py sums "${base}_SHA256SUMS" "${zips[@]}" "${base}_manifest.json"

  sign "${base}_SHA256SUMS"
  gpg --batch --armor --export-options export-minimal --export "$SIGN_FPR" >"${base}_signing_key.asc.tmp" ||
    die "gpg could not export the public key $SIGN_KEYID"
  [[ -s ${base}_signing_key.asc.tmp ]] || die "gpg exported nothing for $SIGN_KEYID"
  mv -f "${base}_signing_key.asc.tmp" "${base}_signing_key.asc"
  printf '%s\n' "$SIGN_KEYID" >"${base}_signing_key.id"
  log "signed ${base##*/}_SHA256SUMS with key $SIGN_KEYID (fingerprint $SIGN_FPR)"

  # A release that does not verify (an EdDSA key, say) is not left looking finished.
  (cmd_verify) || {
    rm -f "${base}_SHA256SUMS.sig" "${base}_signing_key.asc" "${base}_signing_key.id"
    die "the release in $OUT does not verify; signature removed"
  }
  ((DEV_KEY == 0)) || dev_key_banner
}

cmd_verify() {
  need_version
  need_out
  need_gpg
  local base="$OUT/${PROVIDER}_${VERSION}" f name zips=()
  for f in _manifest.json _SHA256SUMS _SHA256SUMS.sig _signing_key.asc _signing_key.id; do
    [[ -f $base$f ]] || die "missing ${base##*/}$f in $OUT"
  done
  while IFS= read -r f; do zips+=("$f"); done < <(release_zips)
  ((${#zips[@]} > 0)) || die "no ${PROVIDER}_${VERSION}_OS_ARCH.zip in $OUT"

  py check-bytes "${base}_manifest.json" "$MANIFEST"
  py check-sums "${base}_SHA256SUMS" "${zips[@]}" "${base}_manifest.json"
  for f in "${zips[@]}"; do
    name=${f##*/}
    name=${name#"${PROVIDER}_${VERSION}_"}
    py check-zip "$f" "$(binary_name "${name%%_*}")"
  done

  # The signature against the published key only, as a registry client checks it.
  local home status keyid
  home=$(mktemp -d "${TMPDIR:-/tmp}/ode-release-verify.XXXXXX")
  chmod 700 "$home"
  status=$(
    GNUPGHOME=$home gpg --batch --quiet --import "${base}_signing_key.asc" 2>/dev/null &&
      GNUPGHOME=$home gpg --batch --status-fd 1 --verify "${base}_SHA256SUMS.sig" "${base}_SHA256SUMS" 2>/dev/null
  ) || status="FAILED"
  GNUPGHOME=$home gpgconf --kill all >/dev/null 2>&1 || true
  rm -rf "$home"
  # VALIDSIG fpr date ts expire version reserved pubkey-algo hash-algo class primary-fpr
  local validsig
  validsig=$(printf '%s\n' "$status" | awk '$2 == "VALIDSIG" { print $9, $10, $12 }')
  [[ -n $validsig ]] || die "the signature ${base##*/}_SHA256SUMS.sig does not verify with ${base##*/}_signing_key.asc"
  local algo hash primary
  read -r algo hash primary <<<"$validsig"
  [[ $algo == 1 ]] || die "the signature uses public key algorithm $algo, not RSA (1): Terraform cannot verify it"
  [[ $hash == 8 || $hash == 10 ]] || die "the signature uses hash algorithm $hash, not SHA-256 (8) or SHA-512 (10)"
  keyid=$(tr -d '[:space:]' <"${base}_signing_key.id")
  [[ $primary == *"$keyid" && ${#keyid} == 16 ]] ||
    die "${base##*/}_signing_key.id ($keyid) is not the signing key ($primary)"
  log "verified $OUT: manifest, ${#zips[@]} zip(s), SHA256SUMS, RSA signature by $keyid"
}

cmd_all() {
  need_version
  OUT=${OUT:-$ODE_CACHE/dist/$VERSION}
  if [[ -d $OUT ]]; then
    log "removing this version's files from $OUT"
    rm -f "$OUT/${PROVIDER}_${VERSION}_"*
  fi
  cmd_build >/dev/null
  cmd_finish
  log "release $VERSION in $OUT:"
  for f in "$OUT/${PROVIDER}_${VERSION}_"*; do
    log "  $(wc -c <"$f" | tr -d ' ') ${f##*/}"
  done
}

(($# > 0)) || usage
sub=$1
shift
parse_args "$@"
case $sub in
  all) only_options all out target && cmd_all ;;
  build) only_options build out target && cmd_build ;;
  package) only_options package out os arch binary && cmd_package ;;
  finish) only_options finish out require-key && cmd_finish ;;
  verify) only_options verify out && cmd_verify ;;
  -h | --help | help) usage ;;
  *) log "unknown subcommand '$sub'" && usage ;;
esac
