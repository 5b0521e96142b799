#!/bin/sh
# Scrapes the lab BMC (Tests/Lab/start-bmc.sh, an ipmi_sim) with an ipmi-exporter binary and writes what it serves,
# with the timing values blanked, one file per scrape: record.sh BINARY OUTDIR.
#
# The committed files beside this script were written by the exporter built at commit 6658746 (see README.md), not
# by the code under test; ExpositionFixtureTests runs this script with the exporter just built and compares its files
# byte for byte with them.
#
# Ports: BMC_PORT (UDP) and HTTP_PORT (TCP) on 127.0.0.1, chosen free if unset.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:?usage: record.sh BINARY OUTDIR}
out=${2:?usage: record.sh BINARY OUTDIR}
free_port() {
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}
bmc_port=${BMC_PORT:-$(free_port udp)}
http_port=${HTTP_PORT:-$(free_port tcp)}
# A port nobody answers on, for the module whose scrape must time out.
dead_port=${DEAD_PORT:-$(free_port udp)}
work=$(mktemp -d /tmp/exposition.XXXXXX)
bmc_pid=
exporter_pid=
cleanup() {
    [ -n "$exporter_pid" ] && kill "$exporter_pid" 2>/dev/null && wait "$exporter_pid" 2>/dev/null
    [ -n "$bmc_pid" ] && kill -KILL "$bmc_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$out"

bmc_pid=$("$here/../start-bmc.sh" "$bmc_port" "$work/bmc" | sed -n 's/^ipmi_sim pid \([0-9]*\) .*/\1/p')
[ -n "$bmc_pid" ] || { echo "ipmi_sim did not start" >&2; exit 1; }

# default: ipmi_exporter's usual module; all: every collector; wrongpass: every collector down at once (the BMC refuses
# the session); unreachable: every collector down because the deadline came (nobody answers).
cat > "$work/ipmi.yml" <<END
modules:
  default: {user: admin, pass: password, privilege: admin, driver: LAN_2_0, timeout: 30000,
            collectors: [ipmi, dcmi, bmc, chassis, sel]}
  all: {user: admin, pass: password, privilege: admin, driver: LAN_2_0, timeout: 30000,
        collectors: [ipmi, bmc, bmc-watchdog, chassis, dcmi, sel, sel-events, sm-lan-mode]}
  wrongpass: {user: admin, pass: wrong, privilege: admin, driver: LAN_2_0, timeout: 30000,
              collectors: [ipmi, dcmi, bmc, chassis, sel]}
  unreachable: {user: admin, pass: password, privilege: admin, driver: LAN_2_0, timeout: 1000,
                collectors: [ipmi, bmc, chassis]}
END
"$binary" --config.file "$work/ipmi.yml" --web.listen-address "127.0.0.1:$http_port" --log.level error \
    </dev/null >"$work/exporter.log" 2>&1 &
exporter_pid=$!
ready=
for _ in $(seq 1 200); do
    if curl -s -o /dev/null "http://127.0.0.1:$http_port/"; then ready=1; break; fi
    sleep 0.05
done
[ -n "$ready" ] || { echo "the exporter did not answer; its log:" >&2; cat "$work/exporter.log" >&2; exit 1; }

# Timing values differ on every scrape; nothing else may.
blank() { sed -E 's/^(ipmi_scrape_duration_seconds) .*/\1 <blank>/'; }
scrape() {
    curl -sf --max-time 60 "http://127.0.0.1:$http_port/ipmi?target=127.0.0.1:$2&module=$1" | blank >"$out/$3.prom"
}
# The first scrape of a target is cold (handshake, SDR read), the second warm on the same session.
for module in default all; do
    scrape "$module" "$bmc_port" "$module-cold"
    scrape "$module" "$bmc_port" "$module-warm"
done
scrape wrongpass "$bmc_port" wrongpass
scrape unreachable "$dead_port" unreachable
