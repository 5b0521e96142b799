#!/usr/bin/env bash
# Builds the libFuzzer harnesses and runs a bounded campaign on each, growing fuzz/corpus/NAME.
#
#   fuzz/run.sh [LIMIT] [HARNESS...]
#
# LIMIT is seconds per harness (e.g. 60, the default) or a number of runs per harness with an "r" suffix
# (e.g. 250000r). HARNESS is any of: packet session sdr reading simulator fru (default: all). New corpus entries are merged
# (minimised) into fuzz/corpus/NAME; crashes are written to fuzz/.build/artifacts/NAME/ and make the script fail.
# Environment: FUZZ_JOBS (parallel workers per harness, default 1), FUZZ_BUILD_ONLY=1 (just build),
# FUZZ_SKIP_BUILD=1 (reuse binaries already built).
set -euo pipefail
# The braces make bash read the whole script before running it, so editing it during a campaign is safe.
{
cd "$(dirname "$0")/.."
root=$PWD
limit=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(packet session sdr reading simulator fru)
build=$root/fuzz/.build
mkdir -p "$build"

# The pure targets are compiled into one module with the harness; their `import IPMI` lines are dropped.
prepare_sources() {
    [ -n "${sources_ready:-}" ] && return
    sources_ready=1
    rm -rf "$build/src" && mkdir -p "$build/src" # always fresh: a stale copy would fuzz old code
    for f in $(find Sources/IPMI Sources/IPMISensors -name '*.swift' | sort); do
        case $f in
            # These two need swift-log and the async requester; the harnesses do not use them.
            */SensorReader.swift | */SDRRepositoryReader.swift) continue ;;
        esac
        sed -e '/^import IPMI$/d' -e '/^import IPMISensors$/d' -e '/^import NIOConcurrencyHelpers$/d' "$f" \
            >"$build/src/$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    # The pure target locks with NIO's NIOLock/NIOLockedValueBox: their source files (plain pthread code) from the
    # resolved swift-nio are compiled into the module too.
    [ -d .build/checkouts/swift-nio ] || swift package resolve >/dev/null
    for f in NIOLock.swift NIOLockedValueBox.swift lock.swift; do
        cp ".build/checkouts/swift-nio/Sources/NIOConcurrencyHelpers/$f" "$build/src/NIO-$f"
    done
    # The simulated BMC without its network service; its built-in YAML is turned into JSON so that Foundation's
    # JSONDecoder can stand in for Yams (the Codable model is the same).
    rm -rf "$build/src-sim" && mkdir -p "$build/src-sim"
    for f in Sources/IPMISimulator/*.swift; do
        case $f in */SimulatedBMCFleet*.swift | */DefaultServer.swift) continue ;; esac
        sed -e '/^import IPMI$/d' -e '/^import IPMISensors$/d' -e 's/^import Yams$/import Foundation/' \
            -e 's/try YAMLDecoder().decode(SimulatorConfiguration.self, from: yaml)/try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(yaml.utf8))/' \
            "$f" >"$build/src-sim/$(basename "$f")"
    done
    python3 - Sources/IPMISimulator/DefaultServer.swift "$build/src-sim/DefaultServer.swift" <<'PY'
import json, re, sys, textwrap, yaml
text = open(sys.argv[1]).read()
body = re.search(r'static let yaml = """\n(.*?)\n\s*"""', text, re.S).group(1)
data = yaml.safe_load(textwrap.dedent(body))
open(sys.argv[2], "w").write('enum DefaultServer {\n    static let yaml = #"' + json.dumps(data) + '"#\n}\n')
PY
}

for name in "${harnesses[@]}"; do
    [ "${FUZZ_SKIP_BUILD:-0}" = 1 ] && [ -x "$build/fuzz-$name" ] && continue
    upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
    binary=$build/fuzz-$name
    rm -f "$binary"
    prepare_sources
    echo "== building $name"
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
        -D FUZZ_STANDALONE -D "FUZZ_HARNESS_$upper" -module-name "Fuzz$upper" -package-name fuzz \
        -I Sources/CLibCrypto -lcrypto \
        "$build"/src/*.swift $([ "$name" = simulator ] && echo "$build"/src-sim/*.swift) \
        fuzz/Harnesses/*.swift fuzz/Entrypoints/Entrypoint.swift \
        -o "$binary" 2>&1 | { grep -v "Cannot export local symbol" || true; }
    [ -x "$binary" ] || { echo "!! $name did not build" >&2; exit 1; }
done
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

if [[ $limit == *r ]]; then budget=(-runs="${limit%r}"); else budget=(-max_total_time="$limit"); fi
status=0
for name in "${harnesses[@]}"; do
    binary=$build/fuzz-$name
    corpus=$root/fuzz/corpus/$name
    work=$build/work/$name
    artifacts=$build/artifacts/$name
    mkdir -p "$corpus" "$work" "$artifacts"
    echo "== fuzzing $name (${budget[*]})"
    # -timeout: a single input taking over 2 s is a hang; -rss_limit_mb / -malloc_limit_mb catch unbounded
    # allocation (one malloc over 64 MB is a finding: no IPMI datagram justifies it).
    jobs=()
    [ "${FUZZ_JOBS:-1}" -gt 1 ] && jobs=(-fork="$FUZZ_JOBS")
    if ! "$binary" "${budget[@]}" ${jobs[@]+"${jobs[@]}"} -timeout=2 -rss_limit_mb=1024 -malloc_limit_mb=64 \
        -max_len=1024 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$work" "$corpus" 2>"$build/$name.log"; then
        echo "!! $name: libFuzzer reported a failure, see $build/$name.log and $artifacts" >&2
        status=1
    fi
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$build/$name.log" | sed "s/^/$name /" || true
    # Keep the committed corpus small: merge only inputs that add coverage.
    mkdir -p "$work.min"
    "$binary" -merge=1 -max_len=1024 "$work.min" "$corpus" "$work" >/dev/null 2>&1 || true
    rm -rf "$corpus" && mv "$work.min" "$corpus"
done
exit $status
}
