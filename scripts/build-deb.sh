#!/usr/bin/env bash
# build-deb.sh — builds lastmile_<version>_<arch>.deb (make deb): the release binary with the Swift standard
# library linked statically, lastmile-cron, the packaging files under packaging/, the sample pipelines.
#
# Usage: scripts/build-deb.sh [OUTPUT-DIR]        (default: .build/deb)
#   SKIP_SWIFT_BUILD=1  package the binary already in .build/release (it must have been built as below)
#   DEB_REVISION        the Debian revision appended to the version (default 1)
# The version comes from one place: `version:` in Sources/lastmile/LastMile.swift (what `lastmile --version`
# prints). Needs dpkg-dev (dpkg-shlibdeps); runs lintian when it is installed.
set -euo pipefail

cd "$(dirname "$0")/.."
out_dir=${1:-.build/deb}
say() { printf 'build-deb: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

upstream=$(sed -n 's/^ *version: "\([0-9][^"]*\)",$/\1/p' Sources/lastmile/LastMile.swift)
[[ -n $upstream ]] || fail "no version: \"…\" in Sources/lastmile/LastMile.swift"
version="$upstream-${DEB_REVISION:-1}"
arch=$(dpkg --print-architecture)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Reproducible timestamps: the last commit's time, not the build's.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

# Full RELRO (-z now -z relro, lintian's hardening-no-bindnow); only the link step differs from `make build`.
build=(swift build -c release --product lastmile --static-swift-stdlib
    -Xlinker -z -Xlinker now -Xlinker -z -Xlinker relro)
if [[ -z ${SKIP_SWIFT_BUILD:-} ]]; then
    say "${build[*]}"
    "${build[@]}"
fi
binary="$(swift build -c release --show-bin-path)/lastmile"
[[ -x $binary ]] || fail "no release binary at $binary"

# The package must not need the toolchain: no Swift runtime library (libswift*, Foundation, dispatch) may
# be loaded from anywhere, and every library must resolve to a Debian path.
check_no_swift_runtime() {
    local libs
    libs=$(ldd "$binary") || fail "ldd $binary failed"
    if grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime|_FoundationICU|/opt/swift|not found' <<<"$libs"
    then
        printf '%s\n' "$libs" >&2
        fail "$binary needs the Swift toolchain at run time (build it with --static-swift-stdlib)"
    fi
}
check_no_swift_runtime

root=$(mktemp -d "${TMPDIR:-/tmp}/lastmile-deb.XXXXXX")
trap 'rm -rf "$root"' EXIT
stage=$root/lastmile_${version}_$arch
doc=$stage/usr/share/doc/lastmile

# Files, each with its mode; folders 0755 whatever the umask.
put() { # mode source destination-in-package
    install -D -m "$1" "$2" "$stage$3"
}
put_gzip() { # source destination-in-package (.gz added)
    install -d -m 0755 "$(dirname "$stage$2")"
    gzip -9n <"$1" >"$stage$2.gz"
    chmod 0644 "$stage$2.gz"
}
substitute() { # file → stdout with @VERSION@, @GIT_COMMIT@, @DATE@ filled in
    sed -e "s/@VERSION@/$version/g" -e "s/@GIT_COMMIT@/$commit/g" \
        -e "s/@DATE@/$(date -u -R -d "@$SOURCE_DATE_EPOCH")/g" "$1"
}

umask 022
put 0755 "$binary" /usr/bin/lastmile
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/lastmile"
put 0755 cron/lastmile-cron /usr/bin/lastmile-cron
put 0644 packaging/cron.d /etc/cron.d/lastmile
put 0644 packaging/logrotate /etc/logrotate.d/lastmile
put 0644 packaging/tmpfiles.conf /usr/lib/tmpfiles.d/lastmile.conf
for unit in packaging/systemd/*; do put 0644 "$unit" "/lib/systemd/system/$(basename "$unit")"; done
put 0644 packaging/lastmile.env.example /usr/share/lastmile/lastmile.env.example
put 0644 packaging/lintian-overrides /usr/share/lintian/overrides/lastmile
(cd pipelines && find . -type f) | while read -r file; do
    put 0644 "pipelines/$file" "/usr/share/lastmile/pipelines/${file#./}"
done
# The sample delivery command monday-absenteeism.yaml names (../scripts/deliver-to-drop.sh).
put 0755 scripts/deliver-to-drop.sh /usr/share/lastmile/scripts/deliver-to-drop.sh
# The sample school directories it names (../sample-data/schools-*.csv): reference data, no people.
for directory in sample-data/schools-*.csv; do
    put 0644 "$directory" "/usr/share/lastmile/sample-data/$(basename "$directory")"
done
put 0644 packaging/copyright /usr/share/doc/lastmile/copyright
put_gzip <(substitute packaging/changelog) /usr/share/doc/lastmile/changelog.Debian
put_gzip docs/operations.md /usr/share/doc/lastmile/operations.md
for page in packaging/man/*.1; do put_gzip <(substitute "$page") "/usr/share/man/man1/$(basename "$page")"; done
find "$stage" -type d -exec chmod 0755 {} +
[[ -d $doc ]] || fail "staging failed"

# Control files: Depends from the binary's libraries (dpkg-shlibdeps), sizes, checksums, scripts.
shlibs_depends() {
    local work=$root/shlibs
    mkdir -p "$work/debian"
    printf 'Source: lastmile\n\nPackage: lastmile\nArchitecture: any\n' >"$work/debian/control"
    (cd "$work" && dpkg-shlibdeps -O -e "$stage/usr/bin/lastmile" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}
depends=$(shlibs_depends)
[[ -n $depends ]] || fail "dpkg-shlibdeps found no dependencies (is dpkg-dev installed?)"
install -d -m 0755 "$stage/DEBIAN"
installed_size=$(du -k -s --apparent-size "$stage" | cut -f1)
substitute packaging/control.in | sed -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    -e "s/@SHLIBS_DEPENDS@/$depends/" >"$stage/DEBIAN/control"
install -m 0644 packaging/conffiles "$stage/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "packaging/$script" "$stage/DEBIAN/$script"; done
(cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | sort -z |
    xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
find "$stage" -newermt "@$SOURCE_DATE_EPOCH" -exec touch --no-dereference -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out_dir"
deb="$out_dir/lastmile_${version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
say "built $deb ($(du -k "$deb" | cut -f1) KiB; installed $installed_size KiB)"
say "Depends: adduser, $depends"

if command -v lintian >/dev/null; then
    say "lintian (remaining tags are explained in packaging/lintian-notes.md):"
    lintian --info --display-info --pedantic "$deb" || say "lintian reported errors"
else
    say "lintian not installed; apt-get install lintian to check the package"
fi
