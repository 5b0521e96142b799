#!/usr/bin/env bash
# ThreadSanitizer over the suites that start threads: the client and its transport (DatagramLoop, LaneOutbox,
# sessions against the in-process simulated BMC), the session cache, the scrape coordinator and the HTTP server.
# A report fails the run (halt_on_error), and so does any failing test. Code these suites reach uses NIO's
# pthread-based locks: this toolchain's ThreadSanitizer does not see Synchronization.Mutex (a futex) and reports
# false races on what it guards.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-tsan
# ColdStartSimulatorTests is the one threaded suite left out: it asserts that two dozen cold targets are warm within a
# few scrape rounds, a capacity bound that ThreadSanitizer's slowdown breaks (it reports no race); the session cache
# and cold-start queue it drives run here under ColdStartQueueTests, ColdStartCoordinatorTests and the coordinator's.
suites='IPMIClientTests|IPMISimulatorTests.ClientTests|DuplicationTests|LifecycleStressTests|ColdStartQueueTests|ColdStartCoordinatorTests|ScrapeCoordinatorTests|FaultToleranceTests|HTTPServerTests|HTTPChannelTests'

swift build --build-tests --sanitize=thread --scratch-path "$scratch"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
swift test --skip-build --sanitize=thread --scratch-path "$scratch" --no-parallel --filter "$suites"
