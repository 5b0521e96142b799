#!/usr/bin/env bash
# The fleet spread over several exporters, live: deploy/prometheus/prometheus-sharded.yml (its hashmod relabelling
# and rules as shipped, only the exporter addresses made 127.0.0.1 ports and the intervals shortened) in a real
# Prometheus, 300 BMCs of `ipmi-exporter simulate` and 3 `ipmi-exporter serve`.
#
#   scripts/check-sharded-live.sh [PATH_TO_IPMI_EXPORTER]     (default .build/debug/ipmi-exporter)
#
# Checks: every BMC is scraped through exactly one exporter; each exporter's ipmi_exporter_sessions_open equals
# its share and the simulator holds one session on every BMC, no more; every ipmi_up is 1. One exporter stopped:
# only its BMCs go down (up 0) and IPMIExporterDown fires for it and for them alone in Prometheus' rule evaluation
# (rules loaded with `for:` 0s); the simulator sees its sessions closed. Started again: its BMCs are up within two
# scrape intervals, and stay warm (one handshake per BMC, sessions = share). Prints the shares and the recovery.
#
# Environment: INTERVAL=seconds (scrape and evaluation interval, default 10), BMCS=300, KEEP=1 keeps the temporary
# directory. Only loopback traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
exe="${1:-.build/debug/ipmi-exporter}"
[ -x "$exe" ] || { echo "check-sharded-live: $exe not built" >&2; exit 1; }
for tool in prometheus promtool python3; do
  command -v "$tool" >/dev/null || { echo "check-sharded-live: $tool is needed (scripts/install-deps.sh)" >&2; exit 1; }
done
exec python3 -B scripts/sharded_live.py "$exe"
