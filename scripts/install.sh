#!/usr/bin/env bash
# Installs keycustodyd, the keycustody CLI and the keycustody-hwsim simulator the way systemd/keycustodyd.service expects them. This script is the one
# description of the installed layout: scripts/build-deb.sh builds the Debian package from exactly this (adding only
# the Debian files: control, maintainer scripts, the configuration as a conffile); InstallTests installs with it into a
# scratch root and starts the installed daemon.
#
#   usr/lib/keycustody/keycustodyd                    the daemon: one native executable (Native AOT, scripts/build-native.sh)
#                                                     beside libsodium.so, its Ed25519; no .NET runtime needed
#   usr/lib/keycustody/cli/keycustody                 the CLI, in its own directory (its own dependency set)
#   usr/lib/keycustody/hwsim/keycustody-hwsim         the card simulator (development and CI: README.md, hw-sim/README.md),
#                                                     in its own directory too; it presses the button of keycustodyd
#                                                     --simulator's cards and prints their attestation root
#   usr/sbin/keycustodyd, usr/bin/keycustody, usr/bin/keycustody-hwsim   symbolic links to the three
#   usr/lib/systemd/system/keycustodyd.service        the hardened unit
#   usr/lib/systemd/system/keycustodyd.socket         its socket (socket activation: owner and mode live here)
#   usr/lib/sysusers.d/keycustody.conf                the keycustody user, the keycustody-clients group
#   usr/lib/tmpfiles.d/keycustody.conf                /etc/keycustody, its credentials directory, /var/lib/keycustody
#   usr/lib/udev/rules.d/70-keycustody.rules          the YubiHSM 2 USB device for the keycustody group
#   usr/share/polkit-1/rules.d/70-keycustody-pcscd.rules   pcsc-lite 2.x: the daemon may use pcscd and the cards
#   usr/share/man/man8/keycustodyd.8.gz, man1/keycustody.1.gz, man1/keycustody-hwsim.1.gz   the manual pages
#   usr/share/bash-completion/completions/keycustody  bash completion (the CLI's own [suggest] directive)
#   usr/share/doc/keycustody/                         README.md, architecture.md, threat-model.md, deployment.md,
#                                                     examples/keycustodyd.json.example
#
# The CLI and the simulator are framework-dependent: the .NET 10 runtime is not installed here; their apphosts find it
# in /usr/share/dotnet, or wherever DOTNET_ROOT points. The daemon needs no runtime.
#
# Usage: scripts/install.sh [--root DIR] [--no-build] [--configuration NAME] [--no-activate]
#   --root DIR            install under DIR instead of / (DESTDIR in the environment means the same; --root wins)
#   --no-build            publish the existing build (dotnet build KeyCustody.sln -c Release, and the daemon's
#                         scripts/build-native.sh) instead of building
#   --configuration NAME  Release (the default) or Debug
#   --no-activate         on /, do not run systemd-sysusers, systemd-tmpfiles, systemctl daemon-reload, udevadm
# Installing under another root only lays the files out; on / it also creates the user, groups and directories
# and reloads systemd and udev, then says what is left to do (configuration, credentials, enabling the unit).
set -euo pipefail
cd "$(dirname "$0")/.."

root=${DESTDIR:-/}
build=1
configuration=Release
activate=1
while (($#)); do
    case $1 in
    --root)
        [[ $# -ge 2 && -n $2 ]] || { echo "error: --root needs a directory" >&2; exit 2; }
        root=$2
        shift 2
        ;;
    --root=*) root=${1#--root=}; shift ;;
    --no-build) build=0; shift ;;
    --configuration)
        [[ $# -ge 2 && $2 =~ ^(Release|Debug)$ ]] || { echo "error: --configuration takes Release or Debug" >&2; exit 2; }
        configuration=$2
        shift 2
        ;;
    --no-activate) activate=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: '$1' is not understood (--root DIR, --no-build, --configuration NAME, --no-activate, --help)" >&2; exit 2 ;;
    esac
done

# Before anything is built: a target this user cannot write would otherwise show only after minutes of publishing.
if [[ $root == / ]] && ((EUID != 0)); then
    echo "error: installing into / needs root (sudo scripts/install.sh); to lay the files out elsewhere give --root DIR (or DESTDIR=DIR)" >&2
    exit 2
fi
if ! mkdir -p "$root" 2>/dev/null || [[ ! -w $root ]]; then
    echo "error: cannot write to $root as $(id -un): give --root DIR (or DESTDIR=DIR) with a directory you can write, or run as root" >&2
    exit 2
fi
root=$(cd "$root" && pwd)
[[ $root == / ]] && root=""
lib=$root/usr/lib/keycustody
doc=$root/usr/share/doc/keycustody

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
staging=$(mktemp -d /tmp/keycustody-install-XXXXXX)
trap 'rm -rf "$staging"' EXIT
publish() { # project, output directory
    # No build servers: nothing is left running after the install (it also runs inside the test suite).
    local flags=(-c "$configuration" -nologo -v quiet --disable-build-servers -o "$2")
    ((build)) || flags+=(--no-build)
    dotnet publish "$1" "${flags[@]}"
    # Only what runs here: no XML docs, IIS config or other platforms' native libraries.
    rm -f "$2"/*.xml "$2"/web.config "$2"/*.staticwebassets.endpoints.json
    local rid
    case $(uname -m) in
    x86_64) rid=linux-x64 ;;
    aarch64) rid=linux-arm64 ;;
    armv7l) rid=linux-arm ;;
    *) rid="" ;;
    esac
    if [[ -n $rid && -d "$2/runtimes/$rid" ]]; then
        find "$2/runtimes" -mindepth 1 -maxdepth 1 ! -name "$rid" -exec rm -rf {} +
    fi
}
# The daemon as compiled ahead of time: the executable and the native libraries beside it, not the compiler's debug
# symbols (keycustodyd.dbg), nor the .pdb/.xml of the assemblies it was compiled from.
if ((build)); then scripts/build-native.sh "$configuration"; fi
native=src/KeyCustody.Daemon/bin/$configuration/native
[[ -x $native/keycustodyd ]] || { echo "error: $native/keycustodyd is missing: scripts/build-native.sh $configuration compiles it (or leave out --no-build)" >&2; exit 2; }
mkdir -p "$staging/daemon"
cp "$native/keycustodyd" "$staging/daemon/"
find "$native" -maxdepth 1 -name '*.so' -exec cp {} "$staging/daemon/" \;
publish src/KeyCustody.Cli "$staging/cli"
publish hw-sim/KeyCustody.HwSim "$staging/hwsim"

# A reinstall replaces the programs as a whole: no DLL of an older version is left to be loaded.
rm -rf "$lib"
install -d -m 0755 "$lib" "$lib/cli" "$lib/hwsim" "$root/usr/bin" "$root/usr/sbin"
cp -R "$staging/daemon/." "$lib/"
cp -R "$staging/cli/." "$lib/cli/"
cp -R "$staging/hwsim/." "$lib/hwsim/"
find "$lib" -type d -exec chmod 0755 {} +
find "$lib" -type f -exec chmod 0644 {} +
chmod 0755 "$lib/keycustodyd" "$lib/cli/keycustody" "$lib/hwsim/keycustody-hwsim"
ln -sfn ../lib/keycustody/keycustodyd "$root/usr/sbin/keycustodyd"
ln -sfn ../lib/keycustody/cli/keycustody "$root/usr/bin/keycustody"
ln -sfn ../lib/keycustody/hwsim/keycustody-hwsim "$root/usr/bin/keycustody-hwsim"

install -D -m 0644 systemd/keycustodyd.service "$root/usr/lib/systemd/system/keycustodyd.service"
install -D -m 0644 systemd/keycustodyd.socket "$root/usr/lib/systemd/system/keycustodyd.socket"
install -D -m 0644 systemd/keycustodyd.sysusers "$root/usr/lib/sysusers.d/keycustody.conf"
install -D -m 0644 systemd/keycustodyd.tmpfiles "$root/usr/lib/tmpfiles.d/keycustody.conf"
install -D -m 0644 udev/70-keycustody.rules "$root/usr/lib/udev/rules.d/70-keycustody.rules"
install -D -m 0644 udev/keycustody-pcscd.rules "$root/usr/share/polkit-1/rules.d/70-keycustody-pcscd.rules"
install -D -m 0644 README.md "$doc/README.md"
install -D -m 0644 docs/architecture.md "$doc/architecture.md"
install -D -m 0644 docs/threat-model.md "$doc/threat-model.md"
install -D -m 0644 docs/deployment.md "$doc/deployment.md"
# Manual pages compressed as Debian policy wants them (-n: no name or time stamp, so the package is reproducible).
for page in packaging/man/keycustodyd.8 packaging/man/keycustody.1 packaging/man/keycustody-hwsim.1; do
    section=${page##*.}
    install -d -m 0755 "$root/usr/share/man/man$section"
    gzip -9n -c "$page" > "$root/usr/share/man/man$section/$(basename "$page").gz"
    chmod 0644 "$root/usr/share/man/man$section/$(basename "$page").gz"
done
install -D -m 0644 packaging/completion/keycustody.bash "$root/usr/share/bash-completion/completions/keycustody"
install -D -m 0644 systemd/keycustodyd.json.example "$doc/examples/keycustodyd.json.example"
echo "installed keycustodyd, keycustody and keycustody-hwsim under ${root:-/}"

if [[ -n $root || $activate -eq 0 ]]; then
    exit 0
fi

systemd-sysusers keycustody.conf
systemd-tmpfiles --create keycustody.conf
systemctl daemon-reload
udevadm control --reload-rules
udevadm trigger --subsystem-match=usb --attr-match=idVendor=1050 --attr-match=idProduct=0030
cat <<'EOF'
Left to do:
  1. /etc/keycustody/keycustodyd.json (start from /usr/share/doc/keycustody/examples/keycustodyd.json.example),
     mode 0640 root:keycustody;
  2. one file per secret the configuration names in /etc/keycustody/credentials/ (root:root 0600), the same names
     as the unit's LoadCredential= lines (change those in a drop-in: systemctl edit keycustodyd);
  3. callers into the socket's group: usermod -aG keycustody-clients NAME;
  4. Yubico's PIV attestation root CA (https://developers.yubico.com/PKI/) as /etc/keycustody/attestation/yubico-piv-ca.pem;
  5. CREDENTIALS_DIRECTORY=/etc/keycustody/credentials keycustodyd --check-config --config /etc/keycustody/keycustodyd.json
     (the secrets are systemd credentials: this names where the unit's LoadCredential= lines read them);
  6. systemctl enable --now keycustodyd.socket keycustodyd.service
EOF
