#!/usr/bin/env bash
# The exporter's CPU per warm scrape next to the bare cost of the same exchanges (exchange-floor), on one ipmi_sim BMC.
#   bench/floor.sh [--scrapes 1000] [--rounds 4] [--window 16] [--sensors 46] [--coalesce-us 100]
#                  [--coalesce-window 16]   (see bench/floor.py -h)
# Builds both release binaries unless BENCH_SKIP_BUILD=1; everything runs on 127.0.0.1 and is stopped at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    (cd "$root" && swift build -c release --product ipmi-exporter >&2 && swift build -c release --product exchange-floor >&2)
fi
bin=$(cd "$root" && swift build -c release --show-bin-path)
exec timeout --kill-after=10 "${BENCH_TIMEOUT:-900}" python3 "$here/floor.py" --exporter "$bin/ipmi-exporter" \
    --floor "$bin/exchange-floor" --lab "$root/Tests/Lab" "$@"
