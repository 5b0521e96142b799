#!/usr/bin/env bash
# The SEL collectors on a simulated BMC with 2,000 SEL entries: ours against Debian's prometheus-ipmi-exporter and
# FreeIPMI's ipmi-sel (warm scrape latency, CPU and UDP packets per scrape).
#   bench/sel.sh [--sel-entries 2000] [--our-scrapes 500] [--reference-scrapes 50] …   (see bench/sel.py -h)
# Builds the release binary, then runs bench/sel.py, which starts the simulator and both exporters on free
# 127.0.0.1 ports and stops all of them when it ends, also on failure. BENCH_SKIP_BUILD=1 skips the build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
for tool in python3 prometheus-ipmi-exporter ipmi-sel tcpdump; do
    command -v "$tool" >/dev/null || echo "warning: $tool not found" >&2
done
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    (cd "$root" && swift build -c release --product ipmi-exporter >&2)
fi
bin=$(cd "$root" && swift build -c release --show-bin-path)/ipmi-exporter
exec timeout --kill-after=10 "${BENCH_TIMEOUT:-900}" python3 "$here/sel.py" --exporter "$bin" "$@"
