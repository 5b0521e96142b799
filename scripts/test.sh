#!/usr/bin/env bash
# The whole test suite: Swift unit and integration tests (the integration tests
# start their own ipmi_sim BMCs, Prometheus and Pushgateway on 127.0.0.1), then
# the checks of the deployment files, then every dashboard query and rule run by
# a real Prometheus against `ipmi-exporter demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

# ipmi_sim ignores SIGTERM, and a test process that dies (a crash, a killed run) never stops the BMCs it started:
# they keep their CPU and ports and have made the next run's session set-ups time out. Such a BMC's parent is then
# init, so only those are killed, before and after the run; BMCs of a run still going have their test as parent.
reap_orphaned_bmcs() {
    local pid parent
    for pid in $(pgrep -f 'ipmi_sim -c .*/ipmisim-' || true); do
        parent=$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')
        if [ "$parent" = 1 ]; then
            echo "test.sh: killing ipmi_sim $pid left behind by an earlier run" >&2
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
}
reap_orphaned_bmcs
trap reap_orphaned_bmcs EXIT

swift build --build-tests
# Suites that load the machine for many seconds (a thousand lossy scrapes, fifty concurrent collections) or that
# assert wall-clock bounds run one test at a time after the rest: run in parallel with everything else on a 2-core
# machine they starve the few threads every other test's sessions need, and bounds meant for the code measure the
# scheduler instead.
heavy='IPMISimulatorTests.FaultTests|ExpositionFixtureTests|ScrapeCoordinatorTests|ColdStartCoordinatorTests|ColdStartSimulatorTests|ColdStartBoundSimulatorTests|HostileInputTests|DuplicationTests|FaultToleranceTests|DegradationTests|WorkaroundFlagTests|IPMI15WorkaroundFlagTests|IPMI15OracleTests|HTTPServerTests|PushgatewayClientTests|ServiceQueueTests|RealisticProfileToolTests|BridgedSensorsAgainstToolsTests|RealisticWindowTests|SingleBufferWindowTests|IPMISimulatorTests.ClientTests|HTTPChannelTests|SELOEMAgainstIpmiSelTests|SELOEMFujitsuAgainstIpmiSelTests|SELEventDataAgainstIpmiSelTests|SELEventDataAgainstFreeIPMITests|SELCacheAgainstIpmiSimTests|SELOEMIntelWindmillAgainstFreeIPMITests|SELOEMFujitsuAgainstFreeIPMITests|SELOEMIntelS5500WBAgainstFreeIPMITests|SELOEMIntelS2600AgainstFreeIPMITests|SELOEMIntelNodeManagerAgainstFreeIPMITests|SELOEMQSSCS4RAgainstFreeIPMITests|SELOEMInventecQuantaAgainstFreeIPMITests|SELOEMIntelE52600v3AgainstFreeIPMITests|SELOEMDellAgainstFreeIPMITests|SELOEMSupermicroWistronGigabyteAgainstFreeIPMITests|SELGenericAgainstFreeIPMITests|ClientIntegrationTests|CommandLineTests'
swift test --skip-build --parallel --num-workers 2 --skip "$heavy"
swift test --skip-build --no-parallel --filter "$heavy"

# The libFuzzer harnesses are built outside SwiftPM (fuzz/run.sh compiles the pure targets into one module); building
# the one that takes in every pure source keeps that build from rotting without running a campaign.
FUZZ_BUILD_ONLY=1 bash fuzz/run.sh 1 simulator

# The manufacturer names are generated from the installed FreeIPMI: the committed table must still be its.
python3 scripts/generate-iana-names.py --check
# So are the SEL states of the `sel-events` collector (FreeIPMI's default SEL interpretation).
python3 scripts/generate-sel-states.py --check

bash scripts/check-deploy.sh
# Local mode on a real /dev/ipmi0: a QEMU guest whose KCS interface is backed by ipmi_sim runs our binary, ipmitool
# and FreeIPMI in-band (about 50 s; the guest's fixed part is cached in .build/qemu-local). Under CI=true a missing
# qemu, kernel or busybox is a failure.
python3 scripts/qemu-local-test.py
# The packages on a Debian bookworm root that never had Swift (debootstrap, cached in ~/.cache/ipmi-exporter):
# reuses dist/ when `make package` already made this commit's .deb, else makes it: a release build with the Swift
# runtime linked in (about 20 minutes from scratch on 2 busy cores; 1.5-2 minutes when the release build is there and
# only the version changed, xz compression of the 74 MB binary included). The check itself: 15-30 s with the
# root cached, 2-3 minutes more the first time (debootstrap).
bash scripts/check-package.sh
# 300 simulated BMCs over 3 exporters through deploy/prometheus/prometheus-sharded.yml in a real Prometheus, one
# exporter stopped and started again: about 70 s.
bash scripts/check-sharded-live.sh .build/debug/ipmi-exporter
bash scripts/check-demo-live.sh .build/debug/ipmi-exporter

# The suites that start threads again, under ThreadSanitizer (`make tsan`): a build of its own, about 11 minutes
# from scratch on 2 cores, and 2 minutes of tests.
bash scripts/tsan.sh
