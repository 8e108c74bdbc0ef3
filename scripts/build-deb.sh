#!/usr/bin/env bash
# Builds the Debian package keycustody_VERSION_ARCH.deb with dpkg-deb. The layout is scripts/install.sh's, installed
# into a staging root (that script stays the one description of what goes where); this adds only what is Debian's:
# the example configuration as the conffile /etc/keycustody/keycustodyd.json, the control file, the maintainer
# scripts (packaging/deb/), the copyright file, the changelog, README.Debian and the lintian overrides.
#
# The daemon is native code (Native AOT: scripts/build-native.sh), so its runtime's security fixes come with a rebuild of
# this package. The CLI and the simulator are framework-dependent: the package depends on dotnet-runtime-10.0
# (Microsoft's Debian repository; Debian 12 has no .NET 10).
#
# Usage: scripts/build-deb.sh [--output DIR] [--version VERSION] [--no-build] [--configuration NAME]
#   --output DIR     where the .deb goes (default: the current directory); its path is printed last
#   --version V      the package version (default: VersionPrefix of Directory.Build.props, +git<commit>: the version
#                    the programs' --version print)
#   --no-build       package the existing build (dotnet build KeyCustody.sln -c Release)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
output=$PWD
version=""
install_flags=()
while (($#)); do
    case $1 in
    --output) output=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --no-build) install_flags+=(--no-build); shift ;;
    --configuration) install_flags+=(--configuration "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: '$1' is not understood (--output DIR, --version V, --no-build, --configuration NAME)" >&2; exit 2 ;;
    esac
done
if [[ -z $version ]]; then
    # The one version source, as the programs' --version show it (Directory.Build.props).
    prefix=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$here/Directory.Build.props")
    [[ -n $prefix ]] || { echo "error: no <VersionPrefix> in $here/Directory.Build.props" >&2; exit 2; }
    version="$prefix+git$(git -C "$here" rev-parse --short=10 HEAD 2>/dev/null || echo unknown)"
fi

arch=$(dpkg --print-architecture)
mkdir -p "$output"
output=$(cd "$output" && pwd)
stage=$(mktemp -d /tmp/keycustody-deb-XXXXXX)
trap 'rm -rf "$stage"' EXIT
root=$stage/keycustody

"$here/scripts/install.sh" --root "$root" "${install_flags[@]}" >/dev/null

doc=$root/usr/share/doc/keycustody
# 0600 root:root in the archive (--root-owner-group): from unpacking until postinst gives it root:keycustody 0640, it
# is nobody else's to read (it is the access policy).
install -D -m 0600 "$here/systemd/keycustodyd.json.example" "$root/etc/keycustody/keycustodyd.json"
install -D -m 0644 "$here/packaging/deb/copyright" "$doc/copyright"
install -D -m 0644 "$here/packaging/deb/README.Debian" "$doc/README.Debian"
install -D -m 0644 "$here/packaging/deb/lintian-overrides" "$root/usr/share/lintian/overrides/keycustody"
# dpkg compresses nothing itself: documentation over 4 kB and the changelog go compressed, as policy asks.
# README.md stays as it is: the unit's Documentation=file: names it (systemctl help keycustodyd).
gzip -9n "$doc/architecture.md" "$doc/threat-model.md" "$doc/deployment.md"
date=$(git -C "$here" log -1 --format=%aD 2>/dev/null || date -R)
printf 'keycustody (%s) unstable; urgency=medium\n\n  * Built from the KeyCustody repository (scripts/build-deb.sh).\n\n -- KeyCustody maintainers <keycustody-maintainers@example.org>  %s\n' "$version" "$date" \
    | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

install -d -m 0755 "$root/DEBIAN"
for script in postinst prerm postrm; do
    install -m 0755 "$here/packaging/deb/$script" "$root/DEBIAN/$script"
done
echo /etc/keycustody/keycustodyd.json > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's| \./| |') > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: keycustody
Version: $version
Architecture: $arch
Maintainer: KeyCustody maintainers <keycustody-maintainers@example.org>
Installed-Size: $size
Depends: dotnet-runtime-10.0, libc6 (>= 2.28), libssl3, zlib1g, libpcsclite1, systemd (>= 252), init-system-helpers (>= 1.58)
Recommends: pcscd
Suggests: softhsm2, ykcs11, yubikey-manager, opensc
Section: admin
Priority: optional
Description: hardware-backed key custody for Matrix cross-signing keys
 keycustodyd keeps Matrix cross-signing private keys (master, self-signing,
 user-signing) and homeserver signing keys on hardware tokens (YubiKey PIV,
 PKCS#11 v3 tokens and HSMs) and signs canonical Matrix JSON over gRPC for
 callers its access rules allow, after a touch or an operator's approval,
 writing every decision to a hash-chained audit log first.
 .
 keycustody is its command-line client. keycustody-hwsim simulates YubiKey
 and Nitrokey cards (keys in software) for development, demos and CI. The
 service is installed but not started: see
 /usr/share/doc/keycustody/README.Debian.
CONTROL
chmod 0644 "$root/DEBIAN/control"

deb=$output/keycustody_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
