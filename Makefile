# Two commands do everything on a fresh machine with Swift installed:
#   make run   - start the exporter on a built-in default and print where to look
#   make test  - install what the tests need, build, lint and run every test
#   make package - dist/ipmi-exporter_VERSION_amd64.deb and dist/ipmi-exporter-VERSION-linux-amd64.tar.gz, a
#                  release build that needs no Swift on the target (scripts/package.sh)
SWIFT ?= swift
BUILD_FLAGS ?=

.PHONY: deps build release run test lint format unit tsan package

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(BUILD_FLAGS)

# The version and commit baked in (--version, ipmi_exporter_build_info) come from scripts/version.sh; see
# scripts/package.sh for what the packages hold. Only the CBuildInfo C file is rebuilt for a new version.
package: deps
	bash scripts/package.sh

run: release
	bash scripts/run-default.sh $(ARGS)

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests bench/ExchangeFloor

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests bench/ExchangeFloor

test: deps lint
	bash scripts/test.sh

# The suites that start threads (client, transport and its loop, simulator sessions, session cache, coordinator,
# HTTP), built with ThreadSanitizer; any report fails the run. Its own scratch path keeps the normal build intact.
tsan: deps
	bash scripts/tsan.sh
