#!/usr/bin/env bash
# Checks of the deployment files (deploy/, dashboards/): Prometheus configs and
# rules with promtool (including the alert unit tests), YAML/JSON parsing,
# dashboard structure, metric names against deploy/metric-names.txt, Kubernetes
# manifests and the systemd units. Fast (a few seconds), no network.
# Prints one line per check and a summary: "deploy checks: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
note() { printf '%s\n' "$*"; }
pass() { passed=$((passed + 1)); note "ok - $*"; }
fail() { failed=$((failed + 1)); note "FAIL - $*"; }

# Runs a command; on failure shows its output.
run_check() {
  local what=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    pass "$what"
  else
    fail "$what"
    printf '%s\n' "$out" | sed 's/^/    /'
  fi
}

# A python3 with PyYAML (Debian: python3-yaml).
PYTHON=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then
    PYTHON=$p
    break
  fi
done

# --- Prometheus --------------------------------------------------------------
if command -v promtool >/dev/null 2>&1; then
  for f in deploy/prometheus/prometheus*.yml; do
    # check config also checks the rule files the config refers to
    run_check "promtool check config $f" promtool check config "$f"
  done
  for f in deploy/prometheus/rules/*.yml; do
    run_check "promtool check rules $f" promtool check rules "$f"
  done
  for f in deploy/prometheus/tests/*.yml; do
    run_check "promtool test rules $f" promtool test rules "$f"
  done
else
  fail "promtool not found (Debian package prometheus; scripts/install-deps.sh installs it)"
fi

# --- YAML/JSON, dashboards, metric names, manifests ----------------------------
if [ -n "$PYTHON" ]; then
  for sub in parse dashboards metric-names alert-tests operator-rules manifests example-config; do
    out=$("$PYTHON" -B scripts/deploy_tools.py "$sub" 2>&1)
    while IFS= read -r line; do
      case "$line" in
        "ok - "*) pass "${line#ok - }" ;;
        "FAIL - "*) fail "${line#FAIL - }" ;;
        *) note "    $line" ;;
      esac
    done <<<"$out"
  done
else
  fail "python3 with PyYAML not found (Debian package python3-yaml)"
fi

# --- systemd -----------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify needs the binary to exist: point the units at an empty stand-in.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir "$tmp/bin"
  printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/ipmi-exporter"
  chmod +x "$tmp/bin/ipmi-exporter"
  for f in deploy/systemd/*; do
    sed "s|/usr/local/bin/ipmi-exporter|$tmp/bin/ipmi-exporter|g" "$f" >"$tmp/$(basename "$f")"
  done
  for f in deploy/systemd/*; do
    b=$(basename "$f")
    out=$(cd "$tmp" && systemd-analyze verify "./$b" 2>&1)
    if [ $? -eq 0 ] && [ -z "$out" ]; then
      pass "systemd-analyze verify $f"
    else
      fail "systemd-analyze verify $f"
      printf '%s\n' "$out" | sed 's/^/    /'
    fi
  done
  # Exposure score of the hardened services ("1.2 OK"); fail above 2.0.
  # --offline and --threshold need systemd >= 250.
  security_units=(ipmi-exporter.service ipmi-exporter-push.service ipmi-exporter-local.service)
  if ! systemd-analyze security --help 2>/dev/null | grep -q -- '--threshold'; then
    note "skip - systemd-analyze security: this systemd has no --offline/--threshold"
    security_units=()
  fi
  for b in "${security_units[@]}"; do
    if out=$(cd "$tmp" && systemd-analyze security --offline=yes --threshold=20 --no-pager "./$b" 2>&1); then
      pass "systemd-analyze security deploy/systemd/$b: $(printf '%s\n' "$out" | grep -o 'Overall exposure level.*' | sed 's/^Overall exposure level for [^:]*: //' | awk '{print $1, $2}')"
    else
      fail "systemd-analyze security deploy/systemd/$b exposure above 2.0"
      printf '%s\n' "$out" | tail -3 | sed 's/^/    /'
    fi
  done
else
  note "skip - systemd-analyze not available: systemd units not verified"
fi

note "deploy checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
