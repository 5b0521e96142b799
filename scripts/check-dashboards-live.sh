#!/usr/bin/env bash
# Live check of the dashboards and rules against a running exporter:
#
#   scripts/check-dashboards-live.sh EXPORTER_URL [BMC_ADDRESS...]
#
# Starts a real Prometheus (Debian package prometheus) on a free 127.0.0.1 port
# with a temporary storage directory and a scrape config pointing at the
# exporter, waits for a few scrapes, then through the Prometheus HTTP API:
#   - runs every panel query of dashboards/*.json (template variables
#     substituted: job, instance = the BMC with the most metrics, exporter_job,
#     $__rate_interval) and every recording rule, and fails on one that returns
#     no data;
#   - checks that every sensor in warning or critical state has a firing alert
#     with its labels, and that there is at least one of each.
# Then stops Prometheus and removes its data.
#
# EXPORTER_URL: the exporter's base URL, e.g. http://127.0.0.1:9290.
#   With BMC addresses, Prometheus scrapes EXPORTER_URL/ipmi?target=BMC (the
#   multi-target pattern of deploy/prometheus/prometheus.yml); without, it
#   scrapes EXPORTER_URL/metrics, which lists every BMC of the exporter's
#   `targets:` with a `target` label (made into `instance`) next to the
#   exporter's own metrics. A URL with a path (e.g. .../ipmi) is used as the
#   metrics path of the BMC job, its query (e.g. ?target=...) as parameters.
#   Otherwise the exporter's own /metrics is
#   scraped as job "ipmi-exporter".
#
# Environment:
#   MODULE=name        module for ?module= (default: none, i.e. "default")
#   SCRAPES=n          scrapes to wait for (default 4)
#   INTERVAL=2s        scrape and rule evaluation interval (default 2s)
#   INSTANCE=addr      BMC for the detail dashboard (default: the richest)
#   LENIENT=1          a panel passes when any of its queries returns data
#   REQUIRE_ALERTS=0   do not require a warning and a critical sensor
#   ALLOW_EMPTY=regex  queries whose source (dashboard, panel title, rule name)
#                      or expression matches may return no data (reported as
#                      "skip"), e.g. 'ipmi_dcmi_' for BMCs without DCMI
#   KEEP=1             keep the temporary directory (config, data, log)
#
# The rules are loaded with every `for:` set to 0s, so alerts fire at the first
# evaluation instead of after minutes; their expressions are unchanged.
# Only loopback traffic. Prints "live checks: N passed, M failed, K skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 2
fi
url=$1
shift
bmcs=("$@")

scrapes=${SCRAPES:-4}
interval=${INTERVAL:-2s}

PYTHON=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then PYTHON=$p; break; fi
done
[ -n "$PYTHON" ] || { echo "python3 with PyYAML needed (Debian: python3-yaml)" >&2; exit 2; }
command -v prometheus >/dev/null || { echo "prometheus needed (Debian: prometheus)" >&2; exit 2; }

# Split the URL into scheme, host:port and path.
read -r scheme hostport path query < <("$PYTHON" -c '
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(u.scheme or "http", u.netloc, u.path.rstrip("/") or "-", u.query or "-")' "$url")

tmp=$(mktemp -d)
prom_pid=""
cleanup() {
  if [ -n "$prom_pid" ] && kill -0 "$prom_pid" 2>/dev/null; then
    kill "$prom_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Rules with `for:` 0s and the groups evaluated every $interval.
mkdir -p "$tmp/rules"
for f in deploy/prometheus/rules/*.yml; do
  "$PYTHON" - "$f" "$tmp/rules/$(basename "$f")" "$interval" <<'PY'
import sys, yaml
src, dst, interval = sys.argv[1:4]
doc = yaml.safe_load(open(src))
for g in doc["groups"]:
    g["interval"] = interval
    for r in g["rules"]:
        if "for" in r:
            r["for"] = "0s"
yaml.safe_dump(doc, open(dst, "w"), sort_keys=False)
PY
done

# Scrape config: the BMCs through the exporter, and the exporter itself.
"$PYTHON" - "$tmp/prometheus.yml" "$scheme" "$hostport" "$path" "$query" "$interval" "${MODULE:-}" "${bmcs[@]}" <<'PY'
import sys, urllib.parse, yaml
out, scheme, hostport, path, query, interval, module, *bmcs = sys.argv[1:]
job = {"job_name": "ipmi", "scheme": scheme, "scrape_interval": interval, "scrape_timeout": interval}
if query != "-":
    job["params"] = {k: v for k, v in urllib.parse.parse_qs(query).items()}
if bmcs:
    job["metrics_path"] = path if path != "-" else "/ipmi"
    job["static_configs"] = [{"targets": bmcs}]
    job["relabel_configs"] = [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": hostport},
    ]
    if module:
        job.setdefault("params", {})["module"] = [module]
else:
    job["metrics_path"] = path if path != "-" else "/metrics"
    job["static_configs"] = [{"targets": [hostport]}]
    job["metric_relabel_configs"] = [
        {"source_labels": ["target"], "regex": "(.+)", "target_label": "instance"},
        {"regex": "target", "action": "labeldrop"},
    ]
    if module:
        job.setdefault("params", {})["module"] = [module]
jobs = [job]
if bmcs or job["metrics_path"] != "/metrics":
    # the exporter's own /metrics, unless the BMC job scrapes it already
    jobs.append({"job_name": "ipmi-exporter", "scheme": scheme, "metrics_path": "/metrics",
                 "static_configs": [{"targets": [hostport]}]})
config = {
    "global": {"scrape_interval": interval, "evaluation_interval": interval},
    "rule_files": ["rules/*.yml"],
    "scrape_configs": jobs,
}
yaml.safe_dump(config, open(out, "w"), sort_keys=False)
PY

promtool check config "$tmp/prometheus.yml" >/dev/null

prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn </dev/null >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
prom="http://127.0.0.1:$port"

for _ in $(seq 100); do
  if curl -fsS "$prom/-/ready" >/dev/null 2>&1; then break; fi
  kill -0 "$prom_pid" 2>/dev/null || { cat "$tmp/prometheus.log" >&2; echo "prometheus did not start" >&2; exit 1; }
  sleep 0.2
done

# Wait until every BMC target has been scraped $scrapes times (at most a minute
# plus the scrapes themselves).
echo "# prometheus on $prom scraping $url ${bmcs[*]:-}; waiting for $scrapes scrapes"
deadline=$((SECONDS + 60 + scrapes * ${interval%s}))
while :; do
  n=$(curl -fsS "$prom/api/v1/query" --data-urlencode "query=min(count_over_time(up{job=\"ipmi\"}[10m]))" |
    "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(int(float(r[0]["value"][1])) if r else 0)')
  [ "$n" -ge "$scrapes" ] && break
  if [ $SECONDS -gt $deadline ]; then echo "only $n scrapes after waiting; see $tmp/prometheus.log" >&2; KEEP=1; exit 1; fi
  sleep 1
done
# One more rule evaluation so recording rules and alerts see the last scrape.
sleep "${interval%s}"

set +e
exporter_job=ipmi-exporter
grep -q 'job_name: ipmi-exporter' "$tmp/prometheus.yml" || exporter_job=ipmi
"$PYTHON" -B scripts/deploy_tools.py live "$prom" ipmi "$exporter_job" | tee "$tmp/results.txt"
rc=${PIPESTATUS[0]}
set -e
passed=$(grep -c '^ok - ' "$tmp/results.txt" || true)
failed=$(grep -c '^FAIL - ' "$tmp/results.txt" || true)
skipped=$(grep -c "^skip - " "$tmp/results.txt" || true)
echo "live checks: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
