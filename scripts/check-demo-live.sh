#!/usr/bin/env bash
# Starts `ipmi-exporter demo` (simulated BMCs + exporter, all on 127.0.0.1) and runs the live dashboard and
# rule check against it with a real Prometheus, in the multi-target pattern of deploy/prometheus.
#
#   scripts/check-demo-live.sh [PATH_TO_IPMI_EXPORTER]
set -euo pipefail
cd "$(dirname "$0")/.."
exe="${1:-.build/debug/ipmi-exporter}"
[ -x "$exe" ] || { echo "check-demo-live: $exe not built" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
free_udp_range() {
  # three consecutive free UDP ports
  python3 - <<'PY'
import socket, random
for _ in range(200):
    base = random.randint(20000, 60000)
    socks = []
    try:
        for p in range(base, base + 3):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}

web=$(free_port)
base=$(free_udp_range)
log=$(mktemp)
"$exe" demo --bmcs 3 --sim.base-port "$base" --web.listen-address "127.0.0.1:$web" >"$log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$web/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
# The default simulated server has an analog sensor of type processor (CPU1 Usage) for the ipmi_sensor_value
# panels, so every panel must return data; ALLOW_EMPTY="title,…" lists exceptions when needed.
set +e
ALLOW_EMPTY="${ALLOW_EMPTY:-}" \
  bash scripts/check-dashboards-live.sh "http://127.0.0.1:$web" \
  "127.0.0.1:$base" "127.0.0.1:$((base + 1))" "127.0.0.1:$((base + 2))"
live=$?
# Every metric name the dashboards and rules read (the Kubernetes PrometheusRule holds the same rules) is
# in what this exporter really serves: its own /metrics and a BMC's /ipmi exposition.
python3 -B scripts/deploy_tools.py used-exported "http://127.0.0.1:$web/metrics" \
  "http://127.0.0.1:$web/ipmi?target=127.0.0.1:$base" >"$log.names"
names=$?
cat "$log.names"
echo "used-exported checks: $(grep -c '^ok - ' "$log.names") passed, $(grep -c '^FAIL - ' "$log.names") failed"
rm -f "$log.names"
set -e
[ "$live" -eq 0 ] && [ "$names" -eq 0 ]
