#!/usr/bin/env bash
# The whole test suite: Swift unit and integration tests (the integration tests
# start their own ipmi_sim BMCs, Prometheus and Pushgateway on 127.0.0.1), then
# the checks of deployment files.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests
swift test --skip-build --parallel --num-workers 2

if [ -x scripts/check-deploy.sh ]; then
  bash scripts/check-deploy.sh
fi
