#!/bin/sh
# Fuzzes the pure IPMI target (packet decoders, routing, session state machine) with libFuzzer.
# Usage: scripts/fuzz-ipmi.sh [seconds]   (default 60). Needs libssl-dev. Crashes land in .build/fuzz/.
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-60}"
mkdir -p .build/fuzz/corpus
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name IPMI \
    -Xcc -fmodule-map-file=Sources/CLibCrypto/module.modulemap -I Sources/CLibCrypto -lcrypto \
    Sources/IPMI/*.swift Tests/Fuzz/IPMIFuzz.swift -o .build/fuzz/ipmi-fuzz
# Seed with the captured ipmitool/ipmi_sim datagrams.
for f in Tests/IPMITests/Fixtures/ipmitool-lanplus-*.txt; do
    n=0
    while read -r _ bytes; do
        n=$((n + 1))
        python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$bytes" \
            > ".build/fuzz/corpus/$(basename "$f" .txt)-$n"
    done < "$f"
done
cd .build/fuzz && ./ipmi-fuzz -max_total_time="$seconds" -max_len=512 corpus
