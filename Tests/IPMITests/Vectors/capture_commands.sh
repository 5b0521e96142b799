#!/bin/sh
# Captures the command fixtures of Tests/IPMITests/Fixtures/ipmitool-commands*.txt: ipmitool (lanplus, cipher
# suite 3) talking to an ipmi_sim BMC on 127.0.0.1 with the lab SDRs, a small FRU (common header and a board
# area), one SEL entry and LAN parameters set through ipmitool itself. Run from the package root:
#   sh Tests/IPMITests/Vectors/capture_commands.sh
set -eu
lab=$PWD/Tests/Lab
out=$PWD/Tests/IPMITests/Fixtures
state=$(mktemp -d /tmp/capture-commands.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$state/ipmi_sim/testbmc"
sed "s/PORT/$port/" "$lab/lan.conf.template" > "$state/lan.conf"
sdrcomp -o "$state/ipmi_sim/testbmc/sdr.20.main" "$lab/sdrs/main.sdrs"
# FRU (Platform Management FRU Information Storage Definition v1.0 §8, §11): header with the board area at 8,
# board area: version, length 5 × 8, English, unspecified date, "Acme", "Board X", "SN123", "PN-1", no FRU file
# ID, end marker, padding, checksum.
fru="0x01 0x00 0x00 0x01 0x00 0x00 0x00 0xfe 0x01 0x05 0x00 0x00 0x00 0x00 0xc4 0x41 0x63 0x6d 0x65 0xc7 0x42 0x6f
0x61 0x72 0x64 0x20 0x58 0xc5 0x53 0x4e 0x31 0x32 0x33 0xc4 0x50 0x4e 0x2d 0x31 0xc0 0xc1 0x00 0x00 0x00 0x00
0x00 0x00 0x00 0x5c"
cat > "$state/bmc.emu" <<END
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0x0f02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_add_fru_data 0x20 0 48 data $(echo $fru)
include "$lab/sensors.emu"
sel_add 0x20 0x02 0x00 0x00 0x00 0x00 0x20 0x00 0x04 0x01 0x30 0x01 0x09 0xff 0xff
mc_enable 0x20
END
ipmi_sim -n -c "$state/lan.conf" -f "$state/bmc.emu" -s "$state" </dev/null >"$state/ipmi_sim.log" 2>&1 &
pid=$!
trap 'kill $pid; rm -rf "$state"' EXIT
sleep 2
I="ipmitool -I lanplus -C 3 -H 127.0.0.1 -p $port -U admin -P password"
$I lan set 1 ipsrc static >/dev/null
$I lan set 1 ipaddr 127.0.0.5 >/dev/null
$I lan set 1 netmask 255.0.0.0 >/dev/null
$I lan set 1 defgw ipaddr 127.0.0.1 >/dev/null
$I lan set 1 macaddr 02:00:5e:10:20:30 >/dev/null
$I lan set 1 vlan id 42 >/dev/null

# One line per exchange: name | request data | response data (hex, after the completion code).
raw() {
    name=$1
    netfn=$2
    command=$3
    shift 3
    response=$($I raw "$netfn" "$command" "$@" | tr '\n' ' ' | sed 's/  */ /g; s/^ //; s/ $//')
    request=$(for byte in "$@"; do printf '%02x ' "$byte"; done)
    echo "$name | ${request% } | $response"
}
{
    echo "# ipmitool 1.8.19 -I lanplus -C 3 against ipmi_sim (Debian openipmi 2.0.33); see ../Vectors/capture_commands.sh"
    raw get-device-id 0x06 0x01
    raw get-system-guid 0x06 0x37
    raw get-chassis-status 0x00 0x01
    raw get-sel-info 0x0a 0x40
    raw get-sel-entry-first 0x0a 0x43 0 0 0 0 0 0xff
    raw get-sel-entry-last 0x0a 0x43 0 0 0xff 0xff 0 0xff
    raw get-watchdog-timer 0x06 0x25
    raw lan-ip-address 0x0c 0x02 1 3 0 0
    raw lan-ip-address-source 0x0c 0x02 1 4 0 0
    raw lan-mac-address 0x0c 0x02 1 5 0 0
    raw lan-subnet-mask 0x0c 0x02 1 6 0 0
    raw lan-default-gateway 0x0c 0x02 1 12 0 0
    raw lan-vlan-id 0x0c 0x02 1 20 0 0
    raw get-fru-inventory-area-info 0x0a 0x10 0
    raw read-fru-data-0 0x0a 0x11 0 0 0 0x20
    raw read-fru-data-32 0x0a 0x11 0 0x20 0 0x20
} > "$out/ipmitool-commands.txt"
# What ipmitool prints for the same BMC, the independent reading the tests compare with.
for command in "mc info" "mc guid" "chassis status" "sel info" "sel get 1" "mc watchdog get" "lan print 1" \
    "fru print 0"; do
    echo "== $command"
    $I $command 2>&1
done > "$out/ipmitool-commands-print.txt"
