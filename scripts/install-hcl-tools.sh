#!/usr/bin/env bash
# HCL tooling for the module checks (filled in by the module-checks work).
set -euo pipefail
