#!/usr/bin/env bash
# The package on a machine that never had Swift: a clean Debian bookworm root (debootstrap --variant=minbase),
# `apt-get install ./ipmi-exporter_….deb` inside it with chroot (apt resolves the Depends: as on a fresh server),
# `ipmi-exporter demo` run inside it, its /metrics and a BMC's /ipmi read from outside on 127.0.0.1 (a chroot
# shares the host's network), and `systemd-analyze verify` of the installed units.
#
#   scripts/check-package.sh [--prepare-only] [DEB]
#
# DEB defaults to dist/ipmi-exporter_VERSION_amd64.deb of this checkout's version (scripts/version.sh), made by
# `make package` (scripts/package.sh) when it is not there yet. The pristine root is made once and kept in
# ${IPMI_EXPORTER_CACHE:-~/.cache/ipmi-exporter}/bookworm-minbase (with the .debs apt fetched, so a rerun downloads
# nothing); each run works on a copy. --prepare-only makes that cache and stops. Needs root (sudo otherwise).
# Only loopback traffic, apart from debootstrap and apt fetching from the configured Debian archive.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

prepare_only=0
if [ "${1:-}" = --prepare-only ]; then prepare_only=1; shift; fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
for tool in debootstrap chroot systemd-analyze curl python3; do
  PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null ||
    { echo "check-package: $tool is needed (scripts/install-deps.sh)" >&2; exit 1; }
done
export PATH=$PATH:/usr/sbin:/sbin

cache=${IPMI_EXPORTER_CACHE:-$HOME/.cache/ipmi-exporter}
pristine="$cache/bookworm-minbase"
mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}

# 1. The pristine root, made once: debootstrap into a temporary directory, then renamed, so an interrupted run
# leaves no half root behind.
if [ ! -e "$pristine/.complete" ]; then
  t0=$SECONDS
  $SUDO mkdir -p "$cache"
  $SUDO rm -rf "$pristine.new" "$pristine"
  echo "check-package: debootstrap --variant=minbase bookworm from $mirror (once; cached in $pristine)"
  $SUDO debootstrap --variant=minbase bookworm "$pristine.new" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  $SUDO mv "$pristine.new" "$pristine"
  $SUDO touch "$pristine/.complete"
  echo "check-package: root made in $((SECONDS - t0)) s"
fi
[ "$prepare_only" = 1 ] && exit 0
# A machine that never had Swift.
if $SUDO find "$pristine" -name 'libswiftCore*' -print -quit | grep -q . || [ -e "$pristine/usr/bin/swift" ]; then
  echo "check-package: $pristine has Swift in it" >&2
  exit 1
fi

# 2. The package: the one given, or this checkout's in dist/ (made when missing).
deb=${1:-}
if [ -z "$deb" ]; then
  version=$(bash scripts/version.sh | head -1)
  deb="dist/ipmi-exporter_${version}_amd64.deb"
  if [ ! -f "$deb" ]; then
    echo "check-package: $deb not there; running scripts/package.sh"
    bash scripts/package.sh
  else
    echo "check-package: using $deb from an earlier make package"
  fi
fi
[ -f "$deb" ] || { echo "check-package: no package $deb" >&2; exit 1; }
version=$(dpkg-deb -f "$deb" Version)
echo "check-package: $deb ($(du -k "$deb" | cut -f1) KB), Depends: $(dpkg-deb -f "$deb" Depends)"

# 3. A fresh copy of the root for this run (cp -a: a reflink or plain copy, a few seconds).
t0=$SECONDS
run=$(mktemp -d /tmp/check-package.XXXXXX)
root="$run/root"
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ]; then
    $SUDO kill -INT "$demo_pid" 2>/dev/null || true
    for _ in $(seq 50); do $SUDO kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.1; done
    $SUDO kill -KILL "$demo_pid" 2>/dev/null || true
  fi
  if mountpoint -q "$root/proc" 2>/dev/null; then $SUDO umount -l "$root/proc" || true; fi
  # Keep the packages apt fetched, so the next run downloads nothing.
  if [ -d "$root/var/cache/apt/archives" ]; then
    $SUDO find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' ! -name 'ipmi-exporter_*' \
      -exec cp -n {} "$pristine/var/cache/apt/archives/" \; 2>/dev/null || true
  fi
  $SUDO rm -rf "$run"
}
trap cleanup EXIT
$SUDO cp -a --reflink=auto "$pristine" "$root"
$SUDO cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
$SUDO mount -t proc proc "$root/proc"
echo "check-package: fresh root copied in $((SECONDS - t0)) s"

# 4. apt-get install ./the.deb: dependencies come from the Debian archive as on a new server. The lists are
# fetched once into the pristine root; when its lists have gone stale (a package moved on), fetch them again.
t0=$SECONDS
$SUDO cp "$deb" "$root/tmp/"
in_root() { $SUDO chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
if [ -z "$(ls "$pristine/var/lib/apt/lists/" 2>/dev/null | grep -v -e lock -e partial)" ]; then
  in_root apt-get update -qq
  $SUDO cp -a "$root/var/lib/apt/lists/." "$pristine/var/lib/apt/lists/"
fi
install_log="$run/apt.log"
if ! in_root apt-get install -y --no-install-recommends "/tmp/$(basename "$deb")" >"$install_log" 2>&1; then
  echo "check-package: install failed; refreshing the package lists and trying again"
  in_root apt-get update -qq
  $SUDO cp -a "$root/var/lib/apt/lists/." "$pristine/var/lib/apt/lists/"
  in_root apt-get install -y --no-install-recommends "/tmp/$(basename "$deb")" >"$install_log" 2>&1 ||
    { cat "$install_log" >&2; exit 1; }
fi
pulled=$(awk '/NEW packages will be installed/{f=1; next} /^[^ ]/{f=0} f' "$install_log" | xargs)
echo "check-package: installed with apt in $((SECONDS - t0)) s; new packages: $pulled"

fail=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then echo "ok - $what"; else echo "FAIL - $what"; fail=1; fi
}
check "no Swift runtime in the root after the install" \
  bash -c "! $SUDO find '$root' -path '$root/proc' -prune -o -name 'libswift*' -print -quit | grep -q ."
check "ldd finds every library of /usr/bin/ipmi-exporter" \
  bash -c "in_out=\$($SUDO chroot '$root' /usr/bin/ldd /usr/bin/ipmi-exporter) && ! grep -q 'not found' <<<\"\$in_out\""
check "ipmi-exporter --version says $version" \
  bash -c "$SUDO chroot '$root' /usr/bin/ipmi-exporter --version | grep -q '^ipmi-exporter, version $version (revision: '"
check "system user ipmi-exporter made by postinst" bash -c "$SUDO chroot '$root' getent passwd ipmi-exporter >/dev/null"
check "/etc/ipmi_exporter/credentials is root-only" \
  bash -c "[ \"\$($SUDO stat -c %a '$root/etc/ipmi_exporter/credentials')\" = 700 ]"
for f in /usr/bin/ipmi-exporter /etc/ipmi_exporter/ipmi.yml /etc/ipmi_exporter/push.yml \
  /lib/systemd/system/ipmi-exporter.service /lib/systemd/system/ipmi-exporter-push.service \
  /lib/systemd/system/ipmi-exporter-push.timer /usr/share/man/man1/ipmi-exporter.1.gz \
  /usr/share/bash-completion/completions/ipmi-exporter /usr/share/zsh/vendor-completions/_ipmi-exporter \
  /usr/share/fish/vendor_completions.d/ipmi-exporter.fish; do
  check "$f installed (dpkg -L)" bash -c "$SUDO chroot '$root' dpkg -L ipmi-exporter | grep -qx '$f'"
done
zcat "$root/usr/share/man/man1/ipmi-exporter.1.gz" >"$run/man.1"
for sub in serve push sensors raw demo simulate; do
  check "the man page documents ipmi-exporter $sub" grep -qx "\.It Em $sub" "$run/man.1"
done

# The tarball made with the .deb holds the same binary and files.
tarball="$(dirname "$deb")/ipmi-exporter-$version-linux-amd64.tar.gz"
if [ -f "$tarball" ]; then
  tar -tzf "$tarball" >"$run/tar.txt"
  for f in ipmi-exporter systemd/ipmi-exporter.service systemd/ipmi-exporter-push.timer config/ipmi.yml \
    man/ipmi-exporter.1.gz completions/ipmi-exporter.bash completions/_ipmi-exporter completions/ipmi-exporter.fish; do
    check "tarball has $f" grep -qx "ipmi-exporter-$version-linux-amd64/$f" "$run/tar.txt"
  done
  check "tarball's binary is the package's" bash -c "cmp -s <(tar -xzOf '$tarball' 'ipmi-exporter-$version-linux-amd64/ipmi-exporter') '$root/usr/bin/ipmi-exporter'"
else
  check "tarball $tarball made with the .deb" false
fi

# 5. ipmi-exporter demo inside the root; /metrics and /ipmi read from outside.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
web=$(free_port)
base=$(python3 -c '
import socket, random
for _ in range(200):
    b = random.randint(20000, 60000); socks = []
    try:
        for p in range(b, b + 3):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", p)); socks.append(s)
        print(b); break
    except OSError: pass
    finally:
        for s in socks: s.close()')
$SUDO chroot "$root" /usr/bin/ipmi-exporter demo --bmcs 3 --sim.base-port "$base" \
  --web.listen-address "127.0.0.1:$web" </dev/null >"$run/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 150); do
  curl -fsS "http://127.0.0.1:$web/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$web/metrics" >"$run/metrics.txt" || true
curl -fsS "http://127.0.0.1:$web/ipmi?target=127.0.0.1:$base" >"$run/ipmi.txt" || true
check "demo in the root serves /metrics with build_info version=\"$version\"" \
  grep -q "^ipmi_exporter_build_info{version=\"$version\",revision=\"" "$run/metrics.txt"
check "demo in the root answers /ipmi for a simulated BMC with ipmi_up 1" \
  bash -c "grep -q '^ipmi_up{collector=\"ipmi\"} 1' '$run/ipmi.txt' && ! grep -q '^ipmi_up{.*} 0' '$run/ipmi.txt'"
check "demo's BMC has temperature readings" grep -q '^ipmi_temperature_celsius{' "$run/ipmi.txt"
$SUDO kill -INT "$demo_pid" 2>/dev/null || true
wait "$demo_pid" 2>/dev/null || true
demo_pid=""

# 6. systemd-analyze verify on the installed units, by the systemd of the root: a server has systemd (and procps'
# /bin/kill, which ExecReload= uses), a minbase root has not, so they are installed now, after the package showed
# that it installs without them.
t0=$SECONDS
if in_root apt-get install -y --no-install-recommends systemd procps >"$run/apt-systemd.log" 2>&1; then
  verify_log="$run/verify.log"
  check "systemd-analyze verify of the installed units (systemd $(in_root systemctl --version | awk 'NR == 1 { print $2 }'))" \
    bash -c "$SUDO chroot '$root' systemd-analyze verify /lib/systemd/system/ipmi-exporter.service \
    /lib/systemd/system/ipmi-exporter-push.service /lib/systemd/system/ipmi-exporter-push.timer >'$verify_log' 2>&1"
  if [ -s "$verify_log" ]; then sed 's/^/  verify: /' "$verify_log"; fi
else
  cat "$run/apt-systemd.log"
  check "systemd and procps install in the root for systemd-analyze" false
fi
echo "check-package: systemd installed and units verified in $((SECONDS - t0)) s"

if [ "$fail" != 0 ]; then
  echo "--- demo log"; tail -20 "$run/demo.log"; echo "--- /metrics"; head -5 "$run/metrics.txt"
  echo "--- /ipmi"; grep '^ipmi_up' "$run/ipmi.txt" || true
fi

echo "check-package: $([ "$fail" = 0 ] && echo PASS || echo FAIL) in $((SECONDS - started)) s"
exit "$fail"
