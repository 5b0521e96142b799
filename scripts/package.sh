#!/usr/bin/env bash
# `make package`: a release build that runs without Swift, packed as a Debian package and a tarball.
#
#   scripts/package.sh [--skip-build]
#
# Writes dist/ipmi-exporter_VERSION_amd64.deb and dist/ipmi-exporter-VERSION-linux-amd64.tar.gz, VERSION from
# scripts/version.sh (git describe, else the VERSION file plus the commit count and id); the version and the commit
# are baked into the binary (`--version`, ipmi_exporter_build_info) through Package.swift's CBuildInfo target.
#
# - The Swift runtime and Foundation are linked statically (--static-swift-stdlib); the script fails when `ldd`
#   still lists a Swift library.
# - The package's Depends: are the Debian packages owning the shared libraries the binary links against (`ldd`,
#   `dpkg -S`), with the minimum versions their symbols files give (dpkg-shlibdeps), plus adduser for the system
#   user. Built with plain dpkg-deb.
# - Contents: /usr/bin/ipmi-exporter; the units of deploy/systemd with the package's paths; the example configs as
#   conffiles in /etc/ipmi_exporter/; a man page from swift-argument-parser's generate-manual (built offline
#   from the checkout); bash, zsh and fish completions from --generate-completion-script.
# --skip-build packs the binary already in .build/release (as built by this script for the same commit).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

skip_build=0
[ "${1:-}" = --skip-build ] && skip_build=1

for tool in dpkg-deb dpkg dpkg-shlibdeps ldd objdump gzip tar python3 strip; do
  command -v "$tool" >/dev/null || { echo "package: $tool is needed (scripts/install-deps.sh)" >&2; exit 1; }
done
arch=$(dpkg --print-architecture)
[ "$arch" = amd64 ] || { echo "package: only amd64 is packaged (this is $arch)" >&2; exit 1; }

{ read -r version; read -r revision; } < <(bash scripts/version.sh)
echo "package: ipmi-exporter $version (commit $revision)"

if [ "$skip_build" = 0 ]; then
  IPMI_EXPORTER_VERSION=$version IPMI_EXPORTER_REVISION=$revision \
    swift build -c release --static-swift-stdlib --product ipmi-exporter
fi
bin="$(swift build -c release --show-bin-path)/ipmi-exporter"
[ -x "$bin" ] || { echo "package: $bin not built" >&2; exit 1; }

# The binary must say what it is: a stale build of another commit would be packed under the wrong name.
says=$("$bin" --version)
case "$says" in
  "ipmi-exporter, version $version (revision: $revision)"*) ;;
  *) echo "package: $bin says '$says', expected version $version revision $revision" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exe="$work/ipmi-exporter"
cp "$bin" "$exe"
strip --strip-unneeded "$exe"

# No Swift runtime library may be needed: the target machine has none.
libs=$(ldd "$exe")
if grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|lib_Foundation|not found' <<<"$libs"; then
  echo "package: the binary still needs the libraries above" >&2
  exit 1
fi

# Depends: the Debian package owning each library the binary links against (its NEEDED entries, found where `ldd`
# resolves them, owner from `dpkg -S`), with the lowest version that has every symbol it uses, from the libraries'
# symbols files (dpkg-shlibdeps, as Debian's own packages get theirs). The two must name the same packages.
printf '%s\n' "$libs" >"$work/ldd.txt"
objdump -p "$exe" | awk '$1 == "NEEDED" { print $2 }' >"$work/needed.txt"
mkdir -p "$work/shlibdeps/debian/ipmi-exporter/DEBIAN" "$work/shlibdeps/debian/ipmi-exporter/usr/bin"
printf 'Source: ipmi-exporter\n\nPackage: ipmi-exporter\nArchitecture: amd64\n' >"$work/shlibdeps/debian/control"
cp "$exe" "$work/shlibdeps/debian/ipmi-exporter/usr/bin/"
(cd "$work/shlibdeps" && dpkg-shlibdeps -O -Tdebian/substvars debian/ipmi-exporter/usr/bin/ipmi-exporter 2>/dev/null) \
  >"$work/shlibdeps.txt"
depends=$(python3 - "$work/needed.txt" "$work/ldd.txt" "$work/shlibdeps.txt" <<'PY'
import os, re, subprocess, sys
needed = open(sys.argv[1]).read().split()
resolved = {}
for line in open(sys.argv[2]):
    m = re.match(r"\s*(\S+)\s+=>\s+(\S+)\s+\(", line) or re.match(r"\s*((/\S+))\s+\(", line)
    if m:
        resolved[os.path.basename(m.group(1))] = m.group(2)
owners = set()
for soname in needed:
    path = resolved.get(soname)
    if path is None:
        sys.exit(f"package: ldd does not resolve {soname}")
    for candidate in dict.fromkeys((path, os.path.realpath(path))):
        found = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if found.returncode == 0:
            owners.add(found.stdout.split(":")[0].strip())
            break
    else:
        sys.exit(f"package: no Debian package owns {path} ({soname})")
text = open(sys.argv[3]).read().strip()
if not text.startswith("shlibs:Depends="):
    sys.exit(f"package: dpkg-shlibdeps said {text!r}")
versioned = {d.split()[0]: d.strip() for d in text.split("=", 1)[1].split(",")}
if set(versioned) != owners:
    sys.exit(f"package: dpkg -S gives {sorted(owners)} but dpkg-shlibdeps {sorted(versioned)}")
print(", ".join(versioned[p] for p in sorted(owners)))
PY
)
depends="adduser, $depends"
echo "package: Depends: $depends"

# Man page and completions, from the binary's own argument parser.
mkdir -p "$work/gen"
# The page is swift-argument-parser's generate-manual tool (what its GenerateManual plugin runs) reading the binary
# being packed; the plugin itself would build the whole package again in its own configuration. Blank lines, which
# mdoc warns about, become paragraph breaks; the date is the commit's, so a rebuild gives the same page.
# (With the same flags and environment as the binary's build: any difference makes the next build of either
# recompile the shared modules.)
IPMI_EXPORTER_VERSION=$version IPMI_EXPORTER_REVISION=$revision \
  swift build -c release --static-swift-stdlib --product generate-manual >"$work/generate-manual.log" 2>&1 ||
  { cat "$work/generate-manual.log" >&2; exit 1; }
"$(swift build -c release --show-bin-path)/generate-manual" "$exe" --output-directory "$work/gen" \
  --date "$(git log -1 --format=%cs 2>/dev/null || date -u +%F)" >/dev/null
sed -i 's/^$/.Pp/' "$work/gen/ipmi-exporter.1"
"$exe" --generate-completion-script bash >"$work/gen/ipmi-exporter.bash"
"$exe" --generate-completion-script zsh >"$work/gen/_ipmi-exporter"
"$exe" --generate-completion-script fish >"$work/gen/ipmi-exporter.fish"
for f in "$work"/gen/*; do [ -s "$f" ] || { echo "package: $f is empty" >&2; exit 1; }; done

# A unit of deploy/systemd with the package's paths: the binary in /usr/bin, the configs in /etc/ipmi_exporter,
# and the static system user made by postinst (DynamicUser= uses a static user of the name when there is one).
adapt_unit() {
  {
    echo "# Installed by the ipmi-exporter package from deploy/systemd/$(basename "$1") of the source;"
    echo "# see /usr/share/doc/ipmi-exporter/deploy.md. Override with systemctl edit $(basename "$1")."
    sed -n '/^\[Unit\]/,$p' "$1" |
      sed -e 's|/usr/local/bin/ipmi-exporter|/usr/bin/ipmi-exporter|g' \
        -e 's|/etc/ipmi-exporter/ipmi-exporter.yml|/etc/ipmi_exporter/ipmi.yml|g' \
        -e 's|/etc/ipmi-exporter|/etc/ipmi_exporter|g' \
        -e 's|^DynamicUser=yes$|DynamicUser=yes\nUser=ipmi-exporter\nGroup=ipmi-exporter|'
  } >"$2"
}

# The file tree shared by the .deb and the tarball.
root="$work/root"
install -d "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/ipmi_exporter" \
  "$root/usr/share/man/man1" "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
  "$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/ipmi-exporter"
install -m 0755 "$exe" "$root/usr/bin/ipmi-exporter"
for unit in deploy/systemd/*.service deploy/systemd/*.timer; do
  adapt_unit "$unit" "$root/lib/systemd/system/$(basename "$unit")"
  chmod 0644 "$root/lib/systemd/system/$(basename "$unit")"
done
install -m 0644 deploy/config/ipmi-exporter.yml "$root/etc/ipmi_exporter/ipmi.yml"
install -m 0644 deploy/config/push.yml "$root/etc/ipmi_exporter/push.yml"
gzip -9n <"$work/gen/ipmi-exporter.1" >"$root/usr/share/man/man1/ipmi-exporter.1.gz"
install -m 0644 "$work/gen/ipmi-exporter.bash" "$root/usr/share/bash-completion/completions/ipmi-exporter"
install -m 0644 "$work/gen/_ipmi-exporter" "$root/usr/share/zsh/vendor-completions/_ipmi-exporter"
install -m 0644 "$work/gen/ipmi-exporter.fish" "$root/usr/share/fish/vendor_completions.d/ipmi-exporter.fish"
install -m 0644 README.md "$root/usr/share/doc/ipmi-exporter/README.md"
install -m 0644 deploy/README.md "$root/usr/share/doc/ipmi-exporter/deploy.md"
chmod -R go-w "$root"

mkdir -p dist
rm -f dist/ipmi-exporter_*_amd64.deb dist/ipmi-exporter-*-linux-amd64.tar.gz

# The Debian package.
install -d "$root/DEBIAN"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: ipmi-exporter
Version: $version
Architecture: amd64
Maintainer: swift-ipmi-exporter developers <ipmi-exporter@localhost>
Installed-Size: $installed_size
Depends: $depends
Section: net
Priority: optional
Homepage: https://github.com/swift-ipmi-exporter/swift-ipmi-exporter
Description: Prometheus exporter for server BMCs over IPMI v2.0 / RMCP+
 Speaks IPMI natively over UDP and keeps one RMCP+ session and the SDR
 repository of every BMC between scrapes. Serves the metric names, flags and
 YAML configuration of prometheus-community/ipmi_exporter.
 .
 Built from commit $revision.
EOF
printf '%s\n' /etc/ipmi_exporter/ipmi.yml /etc/ipmi_exporter/push.yml >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# A system user for the services (they run with DynamicUser=, which takes this static user when it exists), and
# the root-only directory the units load BMC passwords from with LoadCredential=. Nothing is started: the
# configuration needs the BMC password first (see /usr/share/doc/ipmi-exporter/deploy.md).
set -e
if [ "$1" = configure ]; then
  if ! getent passwd ipmi-exporter >/dev/null; then
    adduser --system --group --no-create-home --home /nonexistent --quiet ipmi-exporter
  fi
  install -d -m 0700 -o root -g root /etc/ipmi_exporter/credentials
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
  fi
fi
exit 0
EOF
cat >"$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop ipmi-exporter.service ipmi-exporter-push.timer ipmi-exporter-push.service >/dev/null 2>&1 || true
fi
exit 0
EOF
cat >"$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
if [ "$1" = purge ]; then
  rm -rf /etc/ipmi_exporter/credentials
fi
exit 0
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
deb="dist/ipmi-exporter_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
rm -rf "$root/DEBIAN"

# The tarball: the same files under one directory, for machines without dpkg.
name="ipmi-exporter-$version-linux-amd64"
mkdir -p "$work/tar/$name"
cp -a "$root/usr/bin/ipmi-exporter" "$work/tar/$name/"
mkdir -p "$work/tar/$name/systemd" "$work/tar/$name/config" "$work/tar/$name/man" "$work/tar/$name/completions"
cp -a "$root/lib/systemd/system/." "$work/tar/$name/systemd/"
cp -a "$root/etc/ipmi_exporter/." "$work/tar/$name/config/"
cp -a "$root/usr/share/man/man1/ipmi-exporter.1.gz" "$work/tar/$name/man/"
cp -a "$work/gen/ipmi-exporter.bash" "$work/gen/_ipmi-exporter" "$work/gen/ipmi-exporter.fish" "$work/tar/$name/completions/"
cp -a README.md "$work/tar/$name/"
cp -a deploy/README.md "$work/tar/$name/deploy.md"
tar -C "$work/tar" --owner=0 --group=0 --numeric-owner -czf "dist/$name.tar.gz" "$name"

ls -l "$deb" "dist/$name.tar.gz"
echo "package: done in $((SECONDS - started)) s"
