#!/bin/sh
# Captures ipmitool -I lan (IPMI 1.5 sessions) talking to ipmi_sim on 127.0.0.1 into Fixtures/ipmitool-lan-*.txt
# (one datagram per line: C console→BMC, B BMC→console, UDP payload in hex; RMCP ASF pings left out).
# Run from the package root as root (tcpdump): sh Tests/IPMITests/Vectors/capture_lan15.sh
set -eu
port=${PORT:-19631}
work=$(mktemp -d /tmp/lan15cap.XXXXXX)
bmc=$(Tests/Lab/start-bmc.sh "$port" "$work/bmc" | sed 's/^ipmi_sim pid \([0-9]*\).*/\1/')
sleep 1
capture() {  # name, ipmitool arguments...
    name=$1; shift
    tcpdump -i lo -U -w "$work/$name.pcap" udp port "$port" >/dev/null 2>&1 &
    dump=$!
    sleep 1
    ipmitool -I lan -H 127.0.0.1 -p "$port" -U admin -P password "$@" >/dev/null
    sleep 1
    kill "$dump"; wait "$dump" || true
    python3 - "$work/$name.pcap" "$port" > "Tests/IPMITests/Fixtures/ipmitool-lan-$name.txt" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read(); port = int(sys.argv[2]); offset = 24
while offset + 16 <= len(data):
    _, _, length, _ = struct.unpack('<IIII', data[offset:offset + 16]); offset += 16
    frame = data[offset:offset + length]; offset += length
    ip = frame[14:] if frame[12:14] == b'\x08\x00' else frame[16:]  # Ethernet or Linux cooked
    header = (ip[0] & 0x0F) * 4
    source = struct.unpack('>H', ip[header:header + 2])[0]
    payload = ip[header + 8:]
    if len(payload) > 3 and payload[3] & 0x1F == 0x06:
        continue  # ASF presence ping / pong
    print(('B ' if source == port else 'C ') + payload.hex())
PY
}
capture md5 -A MD5 -L ADMINISTRATOR raw 6 1
capture password -A PASSWORD -L ADMINISTRATOR raw 6 1
capture none -A NONE -L USER raw 6 1 || true
kill "$bmc" || true
