#!/usr/bin/env bash
# deb-smoke.sh — installs the .deb into a fresh Debian 12 root (debootstrap) and runs it there: the package's
# Depends are enough on a clean system, postinst makes the user and folders, the binary needs no Swift
# toolchain, the sample pipelines validate, and purge cleans up. Not part of `make test` (needs root and the
# network, takes minutes). Prints each step's seconds and the sizes.
#
# Usage: sudo scripts/deb-smoke.sh [DEB]           (default: the newest .build/deb/lastmile_*.deb)
#   MIRROR               the Debian mirror (default: the first URIs of /etc/apt/sources.list.d/debian.sources,
#                        else http://deb.debian.org/debian)
#   WITH_RECOMMENDS=1    install Recommends too (PostgreSQL for the embedded warehouse; slower)
#   KEEP_ROOT=1          leave the root folder behind for a look around
#   BASE_TARBALL=FILE    reuse the debootstrap root saved in FILE (made there by the first run that names it)
set -euo pipefail

cd "$(dirname "$0")/.."
say() { printf 'deb-smoke: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
(($(id -u) == 0)) || fail "run as root (debootstrap and chroot)"
command -v debootstrap >/dev/null || fail "apt-get install debootstrap"

deb=${1:-$(ls -t .build/deb/lastmile_*.deb 2>/dev/null | head -1)}
[[ -f $deb ]] || fail "no .deb (make deb first)"
mirror=${MIRROR:-$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d "${TMPDIR:-/var/tmp}/lastmile-smoke.XXXXXX")
cleanup() {
    umount "$root/proc" 2>/dev/null || true
    if mountpoint -q "$root/proc"; then say "$root/proc is still mounted: not removing $root"; return; fi
    if [[ -z ${KEEP_ROOT:-} ]]; then rm -rf "$root"; else say "root kept in $root"; fi
}
trap cleanup EXIT

step_started=0
step() { step_started=$SECONDS; say "$*"; }
took() { say "  … $((SECONDS - step_started)) s"; }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

if [[ -n ${BASE_TARBALL:-} && -f $BASE_TARBALL ]]; then
    step "unpack the Debian 12 root saved in $BASE_TARBALL"
    tar -xzf "$BASE_TARBALL" -C "$root"
else
    step "debootstrap --variant=minbase bookworm from $mirror"
    log=$root.debootstrap.log
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$log" 2>&1 ||
        { tail -20 "$log" >&2; fail "debootstrap could not build the root from $mirror (log: $log)"; }
    rm -f "$log"
    [[ -z ${BASE_TARBALL:-} ]] || tar -czf "$BASE_TARBALL" -C "$root" .
fi
took
chmod 0755 "$root" # the new system's / (made by mktemp, or from the tarball): every user must enter it
base_kib=$(du -skx "$root" | cut -f1)
mount -t proc proc "$root/proc"
# Services are not started inside a chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"

step "apt-get install ./$(basename "$deb")"
cp "$deb" "$root/tmp/"
recommends=--no-install-recommends
[[ -n ${WITH_RECOMMENDS:-} ]] && recommends=
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $recommends "/tmp/$(basename "$deb")" \
    >"$root/tmp/install.log" 2>&1 || { tail -30 "$root/tmp/install.log" >&2; fail "apt-get install"; }
grep -E '^(The following NEW|Need to get|After this)' -A1 "$root/tmp/install.log" >&2 || true
took
installed=$(sed -n 's/^After this operation, \(.*\) of additional disk space.*/\1/p' "$root/tmp/install.log")

step "lastmile --version"
version=$(in_root lastmile --version) || fail "lastmile --version"
say "  $version"
expected=$(dpkg-deb -f "$deb" Version)
[[ $expected == "$version"-* ]] || fail "--version printed $version, the package is $expected"

step "lastmile validate --pipelines /usr/share/lastmile/pipelines (as the lastmile user)"
in_root runuser -u lastmile -- lastmile validate --pipelines /usr/share/lastmile/pipelines >&2 ||
    fail "validate"
took

step "the user, folders, files"
in_root getent passwd lastmile >&2 || fail "no user lastmile"
in_root stat -c '  %A %U:%G %n' /var/lib/lastmile /var/log/lastmile /etc/lastmile /etc/lastmile/lastmile.env \
    /run/lock/lastmile /etc/cron.d/lastmile >&2
check_mode() { # path expected "%a %U:%G"
    local got
    got=$(in_root stat -c '%a %U:%G' "$1")
    [[ $got == "$2" ]] || fail "$1 is $got, expected $2"
}
check_mode /var/lib/lastmile "750 lastmile:lastmile"
check_mode /var/log/lastmile "750 lastmile:lastmile"
check_mode /etc/lastmile "750 root:lastmile"
check_mode /etc/lastmile/lastmile.env "640 root:lastmile"
check_mode /run/lock/lastmile "750 lastmile:lastmile"
if grep -Ev '^[[:space:]]*(#|$|[A-Z_]+=)' "$root/etc/cron.d/lastmile"; then fail "a cron.d job line is enabled"; fi
in_root ldd /usr/bin/lastmile >&2
in_root runuser -u lastmile -- lastmile-cron --help >/dev/null || fail "lastmile-cron --help"

step "lastmile-cron -- validate (lock, log, env file as the lastmile user)"
in_root runuser -u lastmile -- lastmile-cron -- validate --pipelines /usr/share/lastmile/pipelines ||
    fail "lastmile-cron -- validate"
tail -3 "$root/var/log/lastmile/lastmile.log" >&2

step "apt-get purge lastmile"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q lastmile >/dev/null || fail "purge"
for path in /usr/bin/lastmile /etc/lastmile /var/log/lastmile /var/lib/lastmile /etc/cron.d/lastmile; do
    [[ ! -e $root$path ]] || fail "$path left after purge"
done
took

say "OK: .deb $(du -k "$deb" | cut -f1) KiB; installed with its dependencies ${installed:-?} (apt)" \
    "on a $((base_kib / 1024)) MiB minbase root; total $SECONDS s"
