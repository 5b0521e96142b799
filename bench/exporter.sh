#!/usr/bin/env bash
# Side-by-side benchmark of swift-ipmi-exporter and Debian's prometheus-ipmi-exporter on ipmi_sim BMCs, or on
# simulated BMCs with --bmc-profile realistic (one request at a time, a BMC's service times, a round trip).
#   bench/exporter.sh [--bmc-profile realistic] [--scrapes 50] [--our-scrapes 1000] [--targets 50] [--window N]
#                     [--only-ours] [--simulator BIN] …   (see bench/exporter.py -h)
# Builds the release binary, then runs bench/exporter.py, which starts the BMCs and both exporters on free
# 127.0.0.1 ports and stops all of them when it ends, also on failure. BENCH_SKIP_BUILD=1 skips the build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
for tool in ipmi_sim sdrcomp python3 prometheus-ipmi-exporter tcpdump; do
    command -v "$tool" >/dev/null || echo "warning: $tool not found" >&2
done
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    (cd "$root" && swift build -c release --product ipmi-exporter >&2)
fi
bin=$(cd "$root" && swift build -c release --show-bin-path)/ipmi-exporter
# The whole run is bounded: the driver cleans up after itself; timeout stops a hung run (SIGTERM → cleanup).
exec timeout --kill-after=10 "${BENCH_TIMEOUT:-600}" python3 "$here/exporter.py" --exporter "$bin" --lab "$root/Tests/Lab" "$@"
