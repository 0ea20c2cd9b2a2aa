#!/usr/bin/env bash
# Installs the ode provider from a GitHub release of terraform-provider-ode into a
# filesystem mirror under $RUNNER_TEMP, and points the core at it (TF_CLI_CONFIG_FILE in
# $GITHUB_ENV), for as long as registry.terraform.io/ode/ode is not published. Every
# other provider still comes from its registry.
#
# Copy to .github/scripts/ode-provider-mirror.sh; platform.yml runs it when the
# repository variable ODE_PROVIDER_REPO is set. Environment:
#   ODE_PROVIDER_REPO     owner/name of the repository whose releases hold the zips
#   ODE_PROVIDER_VERSION  the release, without the v (0.1.0)
#   GH_TOKEN              a token gh can read that repository's releases with
#   RUNNER_TEMP, GITHUB_ENV (set by GitHub Actions)
set -euo pipefail

: "${ODE_PROVIDER_REPO:?ODE_PROVIDER_REPO must name the repository of the provider releases (owner/terraform-provider-ode)}"
: "${ODE_PROVIDER_VERSION:?ODE_PROVIDER_REPO is set, so ODE_PROVIDER_VERSION must be too (for example 0.1.0)}"
: "${RUNNER_TEMP:?not running under GitHub Actions (RUNNER_TEMP is unset)}"
: "${GITHUB_ENV:?not running under GitHub Actions (GITHUB_ENV is unset)}"

version=${ODE_PROVIDER_VERSION#v}
case $(uname -s)/$(uname -m) in
  Linux/x86_64) platform=linux_amd64 ;;
  Linux/aarch64) platform=linux_arm64 ;;
  *) echo "::error::this script serves Linux runners, not $(uname -s)/$(uname -m)"; exit 1 ;;
esac

release="$RUNNER_TEMP/ode-release"
mirror="$RUNNER_TEMP/ode-mirror"
zip="terraform-provider-ode_${version}_${platform}.zip"
sums="terraform-provider-ode_${version}_SHA256SUMS"

echo "ode provider $version ($platform) from $ODE_PROVIDER_REPO"
gh release download "v$version" --repo "$ODE_PROVIDER_REPO" --dir "$release" \
  --clobber --pattern "$zip" --pattern "$sums"
# The zip must be the one the release's SHA256SUMS names. (The registry later serves
# the same package, so the h1: hash init records in the lock file stays valid.)
(cd "$release" && grep " $zip\$" "$sums" | sha256sum --check --strict)

# The packed layout of a filesystem mirror: HOSTNAME/NAMESPACE/TYPE/<release zip>.
mkdir -p "$mirror/registry.terraform.io/ode/ode"
mv "$release/$zip" "$mirror/registry.terraform.io/ode/ode/"

config="$RUNNER_TEMP/ode-provider.tfrc"
cat >"$config" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/ode/*"]
  }
  direct {
    exclude = ["registry.terraform.io/ode/*"]
  }
}
EOF
echo "TF_CLI_CONFIG_FILE=$config" >>"$GITHUB_ENV"
echo "TF_CLI_CONFIG_FILE=$config"
