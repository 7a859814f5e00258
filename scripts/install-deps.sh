#!/usr/bin/env bash
# Installs the system packages lastmile builds and runs with, when missing: libcsv-dev, libpq-dev and the
# PostgreSQL server (for the embedded warehouse and the test cluster), and openssl (the TLS test makes its
# own CA). Uses sudo when not root.
set -euo pipefail

packages=(libcsv-dev libpq-dev postgresql openssl)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # Don't let the package create and start Debian's own cluster: lastmile runs its own private one.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        $sudo mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    fi
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "error: the Swift toolchain (6.1 or later) is not on PATH; install it from swift.org and retry" >&2
    exit 69
fi
