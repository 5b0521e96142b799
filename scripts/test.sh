#!/usr/bin/env bash
# The whole test suite: Swift unit and integration tests (the integration tests
# start their own ipmi_sim BMCs, Prometheus and Pushgateway on 127.0.0.1), then
# the checks of the deployment files, then every dashboard query and rule run by
# a real Prometheus against `ipmi-exporter demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests
# Suites that load the machine for many seconds (a thousand lossy scrapes, fifty concurrent collections) or that
# assert wall-clock bounds run one test at a time after the rest: run in parallel with everything else on a 2-core
# machine they starve the few threads every other test's sessions need, and bounds meant for the code measure the
# scheduler instead.
heavy='IPMISimulatorTests.FaultTests|ScrapeCoordinatorTests|ColdStartCoordinatorTests|ColdStartSimulatorTests|FaultToleranceTests|HTTPServerTests|PushgatewayClientTests'
swift test --skip-build --parallel --num-workers 2 --skip "$heavy"
swift test --skip-build --no-parallel --filter "$heavy"

bash scripts/check-deploy.sh
bash scripts/check-demo-live.sh .build/debug/ipmi-exporter
