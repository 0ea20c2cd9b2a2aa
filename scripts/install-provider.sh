#!/usr/bin/env bash
# install-provider.sh BIN [MIRROR]: places the provider binary BIN in a filesystem
# mirror (default ~/.terraform.d/plugins, which Terraform and OpenTofu both search
# without any configuration) as registry.terraform.io/ode/ode at this project's
# version, for this machine's platform. `make install` runs it with the built
# provider; docs/guides/installing-before-the-registry-release.md explains the rest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin="${1:?usage: install-provider.sh BIN [MIRROR]}"
mirror="${2:-$HOME/.terraform.d/plugins}"
[[ -x "$bin" ]] || { echo "install-provider: $bin is not an executable (run make build)" >&2; exit 1; }

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "install-provider: unsupported OS $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-provider: unsupported CPU $(uname -m)" >&2; exit 1 ;;
esac

dir="$mirror/registry.terraform.io/ode/ode/$PROVIDER_VERSION/${os}_${arch}"
mkdir -p "$dir"
install -m 0755 "$bin" "$dir/terraform-provider-ode_v$PROVIDER_VERSION"
echo "installed ode/ode $PROVIDER_VERSION (${os}_${arch}) in $mirror"
