#!/usr/bin/env bash
# `make run`: the exporter on its built-in default, simulated BMCs on loopback (`ipmi-exporter demo`).
# Extra arguments go to the demo, e.g. `make run ARGS="--bmcs 10"`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .build/release/ipmi-exporter demo "$@"
