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
# Errors in the command file are silent with -n: check it first.
if ipmi_sim -c "$state/lan.conf" -f "$here/main.emu" -s "$state" -x quit </dev/null 2>&1 | grep '^\*\*'; then
    echo "main.emu has errors" >&2
    exit 1
fi
ipmi_sim -n -c "$state/lan.conf" -f "$here/main.emu" -s "$state" </dev/null >"$state/ipmi_sim.log" 2>&1 &
echo "ipmi_sim pid $! on 127.0.0.1:$port, state in $state"
