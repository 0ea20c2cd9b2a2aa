# Shared settings for the project's scripts. Source it; it defines paths only.
ODE_CACHE="${ODE_CACHE:-$HOME/.cache/ode}"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ODE_CACHE/target}"
TOOLS="$ODE_CACHE/tools"
TOFU="$TOOLS/tofu-1.12.6/tofu"
VENV_PY="$TOOLS/venv/bin/python"
PROVIDER_VERSION="0.1.0"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# layout_mirror BIN DIR: an unpacked filesystem mirror holding BIN as ode/ode
# $PROVIDER_VERSION, and DIR/cli.tfrc pointing a core at it (never ~/.terraformrc).
layout_mirror() {
  local bin="$1" dir="$2"
  local pkg="$dir/mirror/registry.terraform.io/ode/ode/$PROVIDER_VERSION/linux_amd64"
  rm -rf "$dir/mirror"
  mkdir -p "$pkg"
  cp "$bin" "$pkg/terraform-provider-ode_v$PROVIDER_VERSION"
  chmod +x "$pkg/terraform-provider-ode_v$PROVIDER_VERSION"
  cat >"$dir/cli.tfrc" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$dir/mirror"
    include = ["registry.terraform.io/ode/*"]
  }
  direct {
    exclude = ["registry.terraform.io/ode/*"]
  }
}
TFRC
}
