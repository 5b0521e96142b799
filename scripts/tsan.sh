#!/usr/bin/env bash
# ThreadSanitizer over the suites that start threads: the client and its transport (DatagramLoop, LaneOutbox,
# sessions against the in-process simulated BMC), the session cache, the scrape coordinator and the HTTP server.
# A report fails the run (halt_on_error), and so does any failing test. Code these suites reach uses NIO's
# pthread-based locks: this toolchain's ThreadSanitizer does not see Synchronization.Mutex (a futex) and reports
# false races on what it guards.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-tsan
suites='IPMIClientTests|IPMISimulatorTests.ClientTests|LifecycleStressTests|ColdStartQueueTests|ColdStartCoordinatorTests|ScrapeCoordinatorTests|FaultToleranceTests|HTTPServerTests|HTTPChannelTests'

swift build --build-tests --sanitize=thread --scratch-path "$scratch"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
swift test --skip-build --sanitize=thread --scratch-path "$scratch" --no-parallel --filter "$suites"
