#!/bin/sh
# Starts the test BMC by hand: start-bmc.sh PORT [STATEDIR]. Stop it with kill (its PID is printed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
port=${1:?usage: start-bmc.sh PORT [STATEDIR]}
state=${2:-$(mktemp -d /tmp/testbmc.XXXXXX)}
mkdir -p "$state/ipmi_sim/testbmc"
sed "s/PORT/$port/" "$here/lan.conf.template" > "$state/lan.conf"
# ipmi_sim loads the main SDR repository of an MC added with persist_sdr from STATEDIR/ipmi_sim/<name>/sdr.<mc>.main.
sdrcomp -o "$state/ipmi_sim/testbmc/sdr.20.main" "$here/sdrs/main.sdrs"
cat > "$state/bmc.emu" <<END
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0x0f02 persist_sdr
sel_enable 0x20 1000 0x0a
include "$here/sensors.emu"
mc_enable 0x20
END
# Errors in command files are printed as "**..." and stop the file; with -n they are silent, so check first.
if ipmi_sim -c "$state/lan.conf" -f "$state/bmc.emu" -s "$state" -x quit </dev/null 2>&1 | grep '^\*\*'; then
    echo "sensors.emu has errors" >&2
    exit 1
fi
ipmi_sim -n -c "$state/lan.conf" -f "$state/bmc.emu" -s "$state" </dev/null >"$state/ipmi_sim.log" 2>&1 &
echo "ipmi_sim pid $! on 127.0.0.1:$port, state in $state"
