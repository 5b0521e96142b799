#!/usr/bin/env bash
# Runs scripts/check-dashboards-live.sh against Debian's prometheus-ipmi-exporter
# (the reference implementation whose metric names we share) scraping two
# ipmi_sim BMCs started here, all on 127.0.0.1. It shows that the dashboards and
# rules work for users of the reference exporter too, and gives the live check
# a target before `ipmi-exporter demo` exists.
#
# BMC "a" has a fan below its lower critical threshold, a lost power supply
# redundancy (critical) and a degraded fan redundancy (warning); BMC "b" is
# healthy. Sensor records are written byte by byte as full sensor records
# (IPMI v2.0 section 43.1) for ipmi_sim's main_sdr_add.
#
# Queries allowed to be empty here, because of the reference or ipmi_sim:
#   ipmi_dcmi_*                  ipmi_sim does not implement DCMI power readings
#   ipmi_fan_speed_ratio         no simulated fan reports percent
#   ipmi_chassis_*_fault_state   newer than Debian's prometheus-ipmi-exporter 1.6.1
#   ipmi_exporter_*              our exporter's own metrics
#   ipmi_sensor_threshold        our opt-in thresholds collector (the reference has none)
#   ipmi_fru_*, ipmi_bmc_lan_*   our opt-in fru and lan collectors, which the reference does not have
# Needs: openipmi (ipmi_sim), freeipmi-tools, prometheus-ipmi-exporter, prometheus.
set -euo pipefail
cd "$(dirname "$0")/.."

for c in ipmi_sim prometheus-ipmi-exporter prometheus ipmimonitoring; do
  command -v "$c" >/dev/null || { echo "$c not found (scripts/install-deps.sh)" >&2; exit 2; }
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { # $1: tcp or udp
  python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

write_emu() { # $1: variant a (faulty) or b (healthy)
  python3 - "$1" <<'PY'
import sys
faulty = sys.argv[1] == "a"
lines = ["mc_setbmc 0x20",
         "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr",
         "sel_enable 0x20 1000 0x0a",
         "sensor_add 0x20 0 0 35 0x6f event-only"]

def sdr(num, stype, code, name, unit=0, m=1, rexp=0, thresholds=(0,) * 6):
    analog = code == 0x01
    body = [0x20, 0x00, num, 0x07, 0x01,          # owner, LUN, number, entity 7.1 (system board)
            0x7f, 0x48 if analog else 0x40,       # initialisation; capabilities (auto re-arm, thresholds settable)
            stype, code, 0, 0, 0, 0,              # type, event/reading type, event masks
            0x3f if analog else 0xff, 0x3f if analog else 0x7f,
            0x00, unit, 0x00, 0x00,               # units 1-3, linear
            m & 0xff, (m >> 8) << 6, 0, 0, 0,     # M, tolerance, B, accuracy
            (rexp & 0xf) << 4,                    # R exponent, B exponent 0
            0, 0, 0, 0, 0xff, 0x00,               # characteristics, nominal/normal, sensor max/min
            *thresholds, 0, 0, 0, 0, 0,           # UNR UC UNC LNR LC LNC, hysteresis, reserved, OEM
            0xc0 | len(name), *name.encode()]
    lines.append("main_sdr_add 0x20 " + " ".join(f"0x{b:02x}" for b in [0, 0, 0x51, 0x01, len(body)] + body))

def analog(num, stype, name, unit, m, rexp, raw, enabled, thresholds):
    sdr(num, stype, 0x01, name, unit, m, rexp, thresholds)
    lines.append(f"sensor_add 0x20 0 {num} {stype} 0x01")
    lines.append(f"sensor_set_threshold 0x20 0 {num} settable {enabled} " + " ".join(str(t) for t in thresholds))
    lines.append(f"sensor_set_value 0x20 0 {num} {raw} 0")

def discrete(num, stype, code, name, bit):
    sdr(num, stype, code, name)
    lines.append(f"sensor_add 0x20 0 {num} {stype} {code}")
    lines.append(f"sensor_set_bit_clr_rest 0x20 0 {num} {bit} 0")

# units: 1 degrees C, 4 volts, 5 amperes, 6 watts, 18 RPM (table 43-15)
analog(1, 0x01, "CPU Temp", 1, 1, 0, 75 if faulty else 48, "111000", (95, 85, 70, 0, 0, 0))
analog(2, 0x01, "Inlet Temp", 1, 1, 0, 24, "111000", (50, 45, 40, 0, 0, 0))
analog(3, 0x01, "Exhaust Temp", 1, 1, 0, 38, "111000", (80, 70, 60, 0, 0, 0))
analog(4, 0x04, "FAN1", 18, 100, 0, 54, "000111", (0, 0, 0, 5, 10, 15))
analog(5, 0x04, "FAN2", 18, 100, 0, 8 if faulty else 52, "000111", (0, 0, 0, 5, 10, 15))
analog(6, 0x02, "12V", 4, 1, -1, 121, "111111", (140, 132, 128, 100, 108, 112))
analog(7, 0x02, "3.3V", 4, 1, -1, 33, "111111", (40, 37, 36, 27, 29, 30))
analog(8, 0x03, "PSU1 Current", 5, 1, -1, 15, "111000", (200, 180, 160, 0, 0, 0))
analog(9, 0x08, "PSU1 Power", 6, 4, 0, 70, "111000", (250, 240, 220, 0, 0, 0))
discrete(10, 0x08, 0x6f, "PS1 Status", 0)                          # presence detected
discrete(11, 0x08, 0x0b, "PS Redundancy", 1 if faulty else 0)       # redundancy lost / fully redundant
discrete(12, 0x04, 0x0b, "Fan Redundancy", 2 if faulty else 0)      # redundancy degraded / fully redundant
lines.append("mc_enable 0x20")
print("\n".join(lines))
PY
}

bmcs=()
for v in a b; do
  port=$(free_port udp)
  mkdir "$tmp/$v"
  write_emu "$v" >"$tmp/$v/bmc.emu"
  cat >"$tmp/$v/lan.conf" <<CONF
name "bmc$v"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $port
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  user 2 true "admin" "secret" admin 10 none md2 md5 straight
CONF
  mkdir "$tmp/$v/state"
  ipmi_sim -c "$tmp/$v/lan.conf" -f "$tmp/$v/bmc.emu" -s "$tmp/$v/state" -n </dev/null >"$tmp/$v/sim.log" 2>&1 &
  pids+=($!)
  bmcs+=("127.0.0.1:$port")
done

cat >"$tmp/ipmi.yml" <<'CONF'
modules:
  default:
    user: admin
    pass: secret
    driver: LAN_2_0
    privilege: admin
    timeout: 5000
    collectors: [ipmi, bmc, chassis, sel, dcmi]
    workaround_flags: [opensesspriv]
CONF
eport=$(free_port tcp)
prometheus-ipmi-exporter --config.file="$tmp/ipmi.yml" --web.listen-address="127.0.0.1:$eport" \
  </dev/null >"$tmp/exporter.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$eport/" >/dev/null 2>&1 && break; sleep 0.1; done

ALLOW_EMPTY=${ALLOW_EMPTY:-'ipmi_dcmi_|ipmi_fan_speed_ratio|ipmi_chassis_(cooling|drive)_fault_state|ipmi_exporter_|ipmi_sensor_threshold|ipmi_fru_|ipmi_bmc_lan_'} \
  bash scripts/check-dashboards-live.sh "http://127.0.0.1:$eport" "${bmcs[@]}"
