#!/usr/bin/env bash
# The whole test suite: Swift unit and integration tests (the integration tests
# start their own ipmi_sim BMCs, Prometheus and Pushgateway on 127.0.0.1), then
# the checks of the deployment files, then every dashboard query and rule run by
# a real Prometheus against `ipmi-exporter demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests
swift test --skip-build --parallel --num-workers 2

bash scripts/check-deploy.sh
bash scripts/check-demo-live.sh .build/debug/ipmi-exporter
