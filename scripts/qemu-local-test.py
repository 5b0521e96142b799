#!/usr/bin/env python3
"""In-band local mode on a real /dev/ipmi0: boots a QEMU guest whose KCS system interface is backed by ipmi_sim
(the lab BMC of Tests/Lab), runs `ipmi-exporter raw`/`sensors` inside it and compares them with ipmitool -I open
(the oracle), FreeIPMI's ipmi-sensors in-band, ipmi_sim's configured raw values and our own LAN scrape of the same
ipmi_sim from the host. Also checks the three errors users hit (no device, permission denied, a BMC that stops
answering) and /metrics served by the exporter in the guest against our LAN scrape from the host.

    scripts/qemu-local-test.py [--binary .build/debug/ipmi-exporter] [--cache DIR] [--keep] [--no-metrics]

The guest: the Debian kernel (linux-image-amd64) with ipmi_msghandler, ipmi_devintf and ipmi_si, a busybox
(busybox-static) initramfs holding our binary, ipmitool and ipmi-sensors with the libraries ldd lists, TCG (KVM hangs
on these machines). The part of the initramfs that does not change (busybox, modules, the two oracles) is cached in
--cache; ours is appended as a second cpio archive each run (the kernel unpacks concatenated archives in turn).
Results come back on the guest's second serial port, apart from the kernel's console.

Exit status 0 when everything matched; 1 with one FAIL line per mismatch; 0 with a SKIP line when a tool is missing,
except under CI=true, where a missing tool is a failure.
"""

import argparse
import glob
import hashlib
import json
import lzma
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(ROOT, "Tests", "Lab")
MODULES = ["ipmi_msghandler", "ipmi_devintf", "ipmi_si"]
# Changing the guest's layout or the /init below changes this, so that a stale cached archive is not used.
LAYOUT_VERSION = "3"
# Sensors whose raw Get Sensor Reading our `raw` fetches in the guest, besides ipmitool fetching all of them: each run
# of our binary costs 2-3 s in a TCG guest (loading the Swift and Foundation libraries), ipmitool's 0.1 s. A
# nominal, warning, critical and negative temperature, a voltage, a fan with scanning disabled, the last one.
OUR_READINGS = [0x10, 0x11, 0x12, 0x13, 0x20, 0x46, 0x70]


def fail_or_skip(reason):
    if os.environ.get("CI") == "true":
        print(f"FAIL - qemu local test: {reason} (scripts/install-deps.sh installs it)")
        sys.exit(1)
    print(f"SKIP - qemu local test: {reason} (scripts/install-deps.sh installs it)")
    sys.exit(0)


def kernel():
    """The newest /boot/vmlinuz-VERSION whose modules include the IPMI drivers, and the module files."""
    for image in sorted(glob.glob("/boot/vmlinuz-*"), reverse=True):
        version = image[len("/boot/vmlinuz-"):]
        directory = f"/lib/modules/{version}/kernel/drivers/char/ipmi"
        found = {}
        for name in MODULES:
            candidates = glob.glob(os.path.join(directory, name + ".ko*"))
            if candidates:
                found[name] = candidates[0]
        if len(found) == len(MODULES):
            return image, found
    return None, None


def libraries(binary):
    """The shared libraries ldd lists for `binary`, the dynamic loader included: (path in the guest, file)."""
    output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    found = []
    for line in output.splitlines():
        match = re.match(r"\s*(\S+) => (\S+) \(0x", line) or re.match(r"\s*(/\S+) \(0x", line)
        if not match:
            continue
        path = match.group(2) if match.lastindex == 2 else match.group(1)
        found.append((path, os.path.realpath(path)))
    return found


class Archive:
    """A cpio "newc" archive (what the kernel unpacks as an initramfs), written as it is built."""

    def __init__(self, path):
        self.file = open(path, "wb")
        self.inode = 1
        self.directories = set()

    def _entry(self, name, mode, data):
        name_bytes = name.encode() + b"\0"
        header = "070701" + "".join(
            f"{value:08x}"
            for value in [self.inode, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0]
        )
        self.inode += 1
        self.file.write(header.encode() + name_bytes)
        self.file.write(b"\0" * ((4 - (110 + len(name_bytes)) % 4) % 4))
        self.file.write(data)
        self.file.write(b"\0" * ((4 - len(data) % 4) % 4))

    def directory(self, path):
        parts = path.strip("/").split("/")
        for index in range(1, len(parts) + 1):
            sub = "/".join(parts[:index])
            if sub and sub not in self.directories:
                self.directories.add(sub)
                self._entry(sub, 0o040755, b"")

    def add(self, path, data, mode=0o100755):
        self.directory(os.path.dirname(path))
        self._entry(path.strip("/"), mode, data)

    def add_file(self, path, source, mode=0o100755):
        with open(source, "rb") as handle:
            self.add(path, handle.read(), mode)

    def symlink(self, path, target):
        self.directory(os.path.dirname(path))
        self._entry(path.strip("/"), 0o120777, target.encode())

    def close(self):
        self._entry("TRAILER!!!", 0, b"")
        self.file.close()


def build_base(path, modules):
    """busybox, the IPMI modules, ipmitool and ipmi-sensors with their libraries, /etc/passwd and /etc/group."""
    archive = Archive(path + ".tmp")
    for directory in ["bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "etc", "lib/modules"]:
        archive.directory(directory)
    archive.add_file("/bin/busybox", shutil.which("busybox") or "/bin/busybox")
    archive.symlink("/bin/sh", "busybox")
    for name, source in modules.items():
        with open(source, "rb") as handle:
            data = handle.read()
        if source.endswith(".xz"):
            data = lzma.decompress(data)
        archive.add(f"/lib/modules/{name}.ko", data, 0o100644)
    seen = set()
    for tool in ["ipmitool", "ipmi-sensors"]:
        binary = shutil.which(tool)
        archive.add_file(f"/usr/bin/{tool}", binary)
        for guest_path, source in libraries(binary):
            if guest_path not in seen:
                seen.add(guest_path)
                archive.add_file(guest_path, source)
    archive.add("/etc/passwd", b"root:x:0:0:root:/tmp:/bin/sh\nmonitor:x:1000:1000:monitor:/tmp:/bin/sh\n", 0o100644)
    archive.add("/etc/group", b"root:x:0:\nmonitor:x:1000:\n", 0o100644)
    archive.close()
    os.replace(path + ".tmp", path)


INIT = r"""#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
export HOME=/tmp PATH=/usr/bin:/bin:/sbin:/usr/sbin
chmod 1777 /tmp
mkdir -m 700 /tmp/freeipmi
R=/dev/ttyS1
stty -F $R raw -echo
say() { echo "$*" > $R; }
# section NAME COMMAND...: the command's standard output, error and exit status between markers.
section() {
    name=$1; shift
    start=$(cut -d' ' -f1 /proc/uptime)
    "$@" > /tmp/out 2> /tmp/err
    rc=$?
    end=$(cut -d' ' -f1 /proc/uptime)
    say "@@BEGIN $name"; cat /tmp/out > $R
    say "@@STDERR"; cat /tmp/err > $R
    say "@@END $name rc=$rc start=$start end=$end"
}
say "@@UP $(cut -d' ' -f1 /proc/uptime)"
section no-device ipmi-exporter raw 6 1
for m in ipmi_msghandler ipmi_devintf ipmi_si; do insmod /lib/modules/$m.ko; done
n=0
while [ ! -e /dev/ipmi0 ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
say "@@DEVICE $(cut -d' ' -f1 /proc/uptime) $(ls -l /dev/ipmi0)"
section dmesg sh -c 'dmesg | grep -i ipmi'
section ours-raw ipmi-exporter raw 6 1
section ipmitool-raw ipmitool -I open raw 6 1
# Bridged: an IPMB address instead of the system interface; the kernel wraps it in Send Message. ipmi_sim answers for
# its MC at 20h and the satellite at 30h; no controller answers at 40h.
section ours-bridged ipmi-exporter raw -b 0 -t 0x20 6 1
section ipmitool-bridged ipmitool -I open -b 0 -t 0x20 raw 6 1
section ours-bridged-absent ipmi-exporter raw --timeout 3 -b 0 -t 0x40 6 1
section ours-sensors ipmi-exporter sensors
section ipmitool-sensor ipmitool -I open sensor
section freeipmi ipmi-sensors -D OPENIPMI --comma-separated-output --no-header-output --output-sensor-state \
    --shared-sensors --quiet-cache --sdr-cache-recreate --sdr-cache-directory /tmp/freeipmi
# The satellite's sensors, each read through Send Message to 30h by the kernel.
section ours-sensors-bridged ipmi-exporter sensors --bridge-sensors
section freeipmi-bridged ipmi-sensors -D OPENIPMI --bridge-sensors --comma-separated-output --no-header-output \
    --output-sensor-state --shared-sensors --quiet-cache --sdr-cache-directory /tmp/freeipmi
section ours-readings sh -c 'for n in @@OUR_SENSORS@@; do echo "$n $(ipmi-exporter raw 4 0x2d $n)"; done'
section ipmitool-readings sh -c 'for n in @@SENSORS@@; do echo "$n $(ipmitool -I open raw 4 0x2d $n)"; done'
@@METRICS@@
chmod 600 /dev/ipmi0
section permission su -s /bin/sh -c 'ipmi-exporter raw 6 1' monitor
say "@@STOP-BMC"
sleep 2
section timeout ipmi-exporter raw --timeout 1 --retries 0 6 1
# With the defaults (5 s, one retry) the kernel's KCS driver gives up first and answers 0xc3 itself.
section timeout-default ipmi-exporter raw 6 1
say "@@CONT-BMC"
say "@@DONE $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
"""

# The exporter in the guest serves the local BMC; /metrics is fetched there (the guest has no network to the host).
METRICS = r"""ip link set lo up
printf 'modules:\n  default: {}\n  kcs:\n    driver: KCS\n    collectors: [bmc, chassis]\n  kcs-bridged:\n    driver: KCS\n    collectors: [ipmi, thresholds]\n    bridge_sensors: true\n' > /tmp/ipmi.yml
ipmi-exporter serve --config.file /tmp/ipmi.yml --web.listen-address 127.0.0.1:9290 > /tmp/serve.log 2>&1 &
serve=$!
n=0
while ! wget -q -O /dev/null http://127.0.0.1:9290/ 2>/dev/null && [ $n -lt 100 ]; do sleep 0.2; n=$((n + 1)); done
section metrics wget -q -O - http://127.0.0.1:9290/metrics
section module-kcs wget -q -O - 'http://127.0.0.1:9290/ipmi?target=this-node&module=kcs'
section module-kcs-bridged wget -q -O - 'http://127.0.0.1:9290/ipmi?target=this-node&module=kcs-bridged'
kill $serve
section serve-log cat /tmp/serve.log
"""


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_bmc(state, lan_port, serial_port):
    """The lab BMC (as Tests/Lab/start-bmc.sh starts it) with a VM serial connection for QEMU's ipmi-bmc-extern."""
    os.makedirs(os.path.join(state, "ipmi_sim", "testbmc"))
    with open(os.path.join(LAB, "lan.conf.template")) as handle:
        lan = handle.read().replace("PORT", str(lan_port))
    lan = lan.replace("  endlan\n", f"  endlan\n\n  serial 15 127.0.0.1 {serial_port} codec VM\n")
    with open(os.path.join(state, "lan.conf"), "w") as handle:
        handle.write(lan)
    # The lab's repository and the records of the bridging lab's satellite at 30h, which sits on the BMC's IPMB.
    repository = os.path.join(state, "lab-and-satellite.sdrs")
    with open(repository, "w") as handle:
        handle.write(open(os.path.join(LAB, "sdrs/main.sdrs")).read() + "\n" + satellite_records())
    subprocess.run(
        ["sdrcomp", "-o", os.path.join(state, "ipmi_sim/testbmc/sdr.20.main"), repository],
        check=True, capture_output=True)
    with open(os.path.join(state, "bmc.emu"), "w") as handle:
        handle.write("mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0x0f02 persist_sdr\n"
                     f"sel_enable 0x20 1000 0x0a\ninclude \"{LAB}/sensors.emu\"\n{satellite_commands()}"
                     "mc_enable 0x20\n")
    arguments = ["ipmi_sim", "-c", f"{state}/lan.conf", "-f", f"{state}/bmc.emu", "-s", state]
    check = subprocess.run(arguments + ["-x", "quit"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    errors = [line for line in (check.stdout + check.stderr).splitlines() if line.startswith("**")]
    if errors:
        raise SystemExit(f"ipmi_sim configuration errors: {errors}")
    log = open(os.path.join(state, "ipmi_sim.log"), "w")
    return subprocess.Popen(["ipmi_sim", "-n"] + arguments[1:], stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def satellite_records():
    """The SDRs of Tests/Lab/sdrs/bridged.sdrs whose sensors the satellite at 30h owns."""
    text = open(os.path.join(LAB, "sdrs/bridged.sdrs")).read()
    blocks = re.findall(r"^sdr type .*?^endsdr$", text, re.MULTILINE | re.DOTALL)
    chosen = [block for block in blocks if re.search(r"^\s*sensor_owner_id\s+0x30$", block, re.MULTILINE)]
    if len(chosen) < 6:
        raise SystemExit(f"expected the satellite's records in bridged.sdrs, found {len(chosen)}")
    return "\n".join(chosen) + "\n"


def satellite_commands():
    """The lines of Tests/Lab/bridged.emu that add the satellite at 30h and its sensors (mc_add … mc_enable)."""
    lines = open(os.path.join(LAB, "bridged.emu")).read().split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("mc_add 0x30"))
    end = next(i for i, line in enumerate(lines) if line.startswith("mc_enable 0x30"))
    return "\n".join(lines[start:end + 1]) + "\n"


def configured_values():
    """sensor number -> raw value set by `sensor_set_value 0x20 0 NUM VALUE` in Tests/Lab/sensors.emu (LUN 0)."""
    values = {}
    with open(os.path.join(LAB, "sensors.emu")) as handle:
        for line in handle:
            fields = line.split()
            if len(fields) >= 5 and fields[0] == "sensor_set_value" and fields[1] == "0x20" and fields[2] == "0":
                values[int(fields[3], 0)] = int(fields[4], 0)
    return values


def parse_sections(text):
    sections, markers = {}, {}
    lines = text.replace("\r", "").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("@@BEGIN "):
            name = line.split()[1]
            out, err, target = [], [], None
            target = out
            index += 1
            while index < len(lines) and not lines[index].startswith("@@END "):
                if lines[index] == "@@STDERR":
                    target = err
                else:
                    target.append(lines[index])
                index += 1
            end = dict(item.split("=", 1) for item in lines[index].split()[2:]) if index < len(lines) else {}
            sections[name] = {
                "stdout": "\n".join(out), "stderr": "\n".join(err), "rc": int(end.get("rc", "-1")),
                "seconds": float(end.get("end", 0)) - float(end.get("start", 0)),
            }
        elif line.startswith("@@"):
            markers[line.split()[0][2:]] = line.split(None, 1)[1] if " " in line else ""
        index += 1
    return sections, markers


def hex_bytes(text):
    return [int(token, 16) for token in text.split()]


class Checks:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok - {what}")
        else:
            self.failed += 1
            print(f"FAIL - {what}" + (f"\n    {detail}" if detail else ""))
        return ok


def compare(sections, markers, host, checks):
    def section(name):
        return sections.get(name, {"stdout": "", "stderr": "(missing)", "rc": -1, "seconds": 0})

    # Errors users hit: each one line, naming what to do.
    none = section("no-device")
    checks.check(
        none["rc"] == 1 and none["stderr"].count("\n") == 0
        and none["stderr"].startswith("ipmi-exporter raw: no IPMI device (/dev/ipmi0, /dev/ipmi/0, /dev/ipmidev/0")
        and "load the kernel modules ipmi_si and ipmi_devintf" in none["stderr"],
        "no device: one line saying to load ipmi_si and ipmi_devintf", none["stderr"])
    denied = section("permission")
    checks.check(
        denied["rc"] == 1 and denied["stderr"]
        == "ipmi-exporter raw: permission denied opening /dev/ipmi0 (owner root, group root, mode crw-------): run as "
        "its owner or a member of its group, or give this user read-write access to it",
        "permission denied: one line naming the device's owner, group and mode", denied["stderr"])
    late = section("timeout")
    checks.check(
        late["rc"] == 1 and re.fullmatch(
            r"ipmi-exporter raw: timeout after 1(\.\d)? s waiting for the BMC to answer Get Device ID "
            r"\(app command 0x01\) through /dev/ipmi0", late["stderr"]) is not None,
        "BMC stopped: one line, a timeout naming Get Device ID", late["stderr"])
    late = section("timeout-default")
    checks.check(
        late["rc"] == 1 and re.fullmatch(
            r"ipmi-exporter raw: (timeout after \d+(\.\d)? s waiting for the BMC to answer Get Device ID \(app command "
            r"0x01\) through /dev/ipmi0|Get Device ID \(app command 0x01\): completion code 0xc3 \(timeout while "
            r"processing command\))", late["stderr"]) is not None and late["seconds"] < 15,
        f"BMC stopped, default timeout: one line naming Get Device ID within 15 s ({late['seconds']:.1f} s)",
        late["stderr"])

    # Get Device ID: ours in the guest = ipmitool -I open in the guest = ipmitool over LAN from the host.
    ours_raw, their_raw = section("ours-raw"), section("ipmitool-raw")
    checks.check(
        ours_raw["rc"] == 0 and their_raw["rc"] == 0 and hex_bytes(ours_raw["stdout"]) == hex_bytes(their_raw["stdout"])
        and hex_bytes(ours_raw["stdout"]) == hex_bytes(host["ipmitool-raw"]) and len(hex_bytes(ours_raw["stdout"])) >= 11,
        "raw 6 1 through /dev/ipmi0 equals ipmitool -I open and ipmitool -I lanplus",
        f"ours {ours_raw['stdout']!r} {ours_raw['stderr']!r}, ipmitool open {their_raw['stdout']!r}, "
        f"lan {host['ipmitool-raw']!r}")

    bridged, their_bridged = section("ours-bridged"), section("ipmitool-bridged")
    absent = section("ours-bridged-absent")
    checks.check(
        bridged["rc"] == 0 and hex_bytes(bridged["stdout"]) == hex_bytes(their_bridged["stdout"])
        and hex_bytes(bridged["stdout"]) == hex_bytes(ours_raw["stdout"]) and absent["rc"] == 1
        and absent["stderr"] in [
            "ipmi-exporter raw: Get Device ID (app command 0x01): completion code 0xc3 (timeout while processing "
            "command)",
            "ipmi-exporter raw: timeout after 3.0 s waiting for the BMC to answer Get Device ID (app command 0x01) "
            "through /dev/ipmi0"],
        "raw -b 0 -t 0x20 6 1 (IPMB through the kernel) equals ipmitool -I open -b 0 -t 0x20; 0x40 is one line",
        f"ours {bridged!r}, ipmitool {their_bridged!r}, absent {absent!r}")

    # sensors: ours in the guest = ours over LAN from the host, byte for byte.
    ours = section("ours-sensors")
    lines = [line for line in ours["stdout"].split("\n") if line]
    checks.check(ours["rc"] == 0 and len(lines) >= 30, f"sensors through /dev/ipmi0: {len(lines)} sensors",
                 ours["stderr"])
    checks.check(ours["stdout"].strip() == host["ours-sensors"].strip(),
                 "sensors through /dev/ipmi0 equals our LAN scrape of the same ipmi_sim",
                 "\n    ".join(difference(ours["stdout"], host["ours-sensors"])))

    # FreeIPMI in-band, the same CSV layout; the documented differences of Tests/Lab/README.md only.
    theirs = section("freeipmi")
    their_lines = [line for line in theirs["stdout"].split("\n") if line]
    mismatches = freeipmi_mismatches(lines, their_lines)
    checks.check(theirs["rc"] == 0 and not mismatches,
                 f"sensors equals FreeIPMI ipmi-sensors -D OPENIPMI ({len(their_lines)} lines)",
                 "\n    ".join(mismatches[:10]) + theirs["stderr"][:300])

    # With --bridge-sensors the satellite's sensors have readings: the same as over LAN and as FreeIPMI's in-band.
    bridged = section("ours-sensors-bridged")
    bridged_lines = [line for line in bridged["stdout"].split("\n") if line]
    satellite = [line for line in bridged_lines if ",Sat " in line and line.split(",")[4] != "N/A"]
    checks.check(bridged["rc"] == 0 and bridged["stdout"].strip() == host["ours-sensors-bridged"].strip()
                 and len(satellite) >= 6,
                 f"sensors --bridge-sensors through /dev/ipmi0 ({len(satellite)} satellite readings) equals our LAN "
                 "scrape with --bridge-sensors",
                 "\n    ".join(difference(bridged["stdout"], host["ours-sensors-bridged"]) + [bridged["stderr"][:300]]))
    theirs = section("freeipmi-bridged")
    their_lines = [line for line in theirs["stdout"].split("\n") if line]
    mismatches = freeipmi_mismatches(bridged_lines, their_lines)
    checks.check(theirs["rc"] == 0 and not mismatches,
                 f"sensors --bridge-sensors equals FreeIPMI ipmi-sensors -D OPENIPMI --bridge-sensors "
                 f"({len(their_lines)} lines)", "\n    ".join(mismatches[:10]) + theirs["stderr"][:300])

    # ipmitool -I open sensor (which bridges to each sensor's owner on its own): one line per record, three
    # decimals, ok/nc/cr/nr.
    records, previous = [], None
    for line in bridged_lines:
        fields = line.split(",", 6)
        if fields[0] != previous:
            records.append(fields)
            previous = fields[0]
    tool = section("ipmitool-sensor")
    tool_lines = [[field.strip() for field in line.split("|")] for line in tool["stdout"].split("\n") if line]
    mismatches, compared = [], 0
    if len(tool_lines) != len(records):
        mismatches.append(f"{len(records)} records, ipmitool {len(tool_lines)} lines")
    states = {"ok": "Nominal", "nc": "Warning", "cr": "Critical", "nr": "Critical"}
    for fields, line in zip(records, tool_lines):
        name, value, unit, status = line[0], line[1], line[2], line[3]
        if not (fields[1] == name or fields[1].startswith(name + " ")):
            mismatches.append(f"name {fields[1]} / {name}")
            continue
        if unit == "discrete" or value.startswith("0x"):
            continue
        if value == "na":
            if fields[4] != "N/A":
                mismatches.append(f"{name}: ours {fields[4]}, ipmitool na")
            continue
        if fields[4] == "N/A":
            mismatches.append(f"{name}: ours N/A, ipmitool {value}")
            continue
        compared += 1
        if abs(float(fields[4]) - float(value)) > 0.0005 + 1e-9 + 0.005:
            mismatches.append(f"{name}: ours {fields[4]}, ipmitool {value}")
        if states.get(status) != fields[3]:
            mismatches.append(f"{name}: ours {fields[3]}, ipmitool {status}")
    checks.check(tool["rc"] == 0 and not mismatches and compared >= 20,
                 f"sensors equals ipmitool -I open sensor ({compared} readings compared)", "\n    ".join(mismatches[:10]))

    # Raw readings: ipmitool's = the value ipmi_sim was configured with, for every sensor; ours = ipmitool's.
    configured = configured_values()

    def readings(name):
        found = {}
        for line in section(name)["stdout"].split("\n"):
            fields = line.split()
            if fields:
                found[int(fields[0], 0)] = [int(byte, 16) for byte in fields[1:]]
        return found

    ours_readings, their_readings = readings("ours-readings"), readings("ipmitool-readings")
    mismatches = [f"sensor 0x{number:02x}: configured 0x{value:02x}, ipmitool {their_readings.get(number)}"
                  for number, value in sorted(configured.items()) if their_readings.get(number, [None])[0] != value]
    checks.check(not mismatches and len(configured) >= 30,
                 f"ipmitool -I open: Get Sensor Reading of {len(configured)} sensors equals ipmi_sim's configured values",
                 "\n    ".join(mismatches[:10]))
    mismatches = [f"sensor 0x{number:02x}: configured 0x{configured[number]:02x}, ours {ours_readings.get(number)}, "
                  f"ipmitool {their_readings.get(number)}" for number in OUR_READINGS
                  if ours_readings.get(number) != their_readings.get(number)
                  or ours_readings.get(number, [None])[0] != configured[number]]
    checks.check(not mismatches, f"raw 4 0x2d of {len(OUR_READINGS)} sensors equals ipmitool and the configured values",
                 "\n    ".join(mismatches))
    return len(lines)


def freeipmi_mismatches(lines, their_lines):
    """Our `sensors` lines against ipmi-sensors' CSV, but for the documented differences of Tests/Lab/README.md."""
    mismatches = []
    non_critical = ["'At or Above (>=) Upper Non-Critical Threshold'", "'At or Below (<=) Lower Non-Critical Threshold'"]
    if len(their_lines) != len(lines):
        mismatches.append(f"{len(lines)} lines, FreeIPMI {len(their_lines)}")
    for mine, line in zip(lines, their_lines):
        mine_fields, their_fields = mine.split(",", 6), line.split(",", 6)
        if their_fields[1:2] == ["LUN1 Temp"]:
            expected = [their_fields[0], "LUN1 Temp", "Temperature", "Nominal", "33.00", "C", "'OK'"]
        elif mine_fields[3:4] == ["Warning"] and their_fields[3:4] == ["Nominal"] and their_fields[6:7] and \
                their_fields[6] in non_critical:
            expected = their_fields[:3] + ["Warning"] + their_fields[4:]
        else:
            expected = their_fields
        if mine_fields != expected:
            mismatches.append(f"ours {mine} / FreeIPMI {line}")
    return mismatches


def difference(a, b):
    left, right = a.strip().split("\n"), b.strip().split("\n")
    out = [f"{len(left)} lines vs {len(right)}"]
    for x, y in zip(left, right):
        if x != y:
            out.append(f"local {x} / LAN {y}")
    return out[:10]


def compare_metrics(sections, host_metrics, checks):
    """/metrics from the exporter in the guest: the local BMC's ipmi_* series equal the LAN scrape's."""
    metrics = sections.get("metrics", {"stdout": "", "rc": -1})

    def samples(text):
        found = {}
        for line in text.split("\n"):
            if not line.startswith("ipmi_") or line.startswith("ipmi_scrape_duration") \
                    or line.startswith("ipmi_exporter_") or "collector_duration" in line:
                continue
            name, _, value = line.rpartition(" ")
            found[name] = value
        return found

    ours, lan = samples(metrics["stdout"]), samples(host_metrics)
    sensor_series = [name for name in ours if name.startswith("ipmi_sensor_value") or name.startswith("ipmi_temperature")]
    missing = sorted(set(lan) - set(ours))
    different = sorted(name for name in set(lan) & set(ours) if lan[name] != ours[name])
    checks.check(metrics["rc"] == 0 and ours.get("ipmi_up{collector=\"ipmi\"}") == "1" and len(sensor_series) >= 20,
                 f"/metrics in the guest has the local BMC's series ({len(ours)} ipmi_* samples)",
                 metrics.get("stderr", "") + sections.get("serve-log", {}).get("stdout", "")[-500:])
    checks.check(not missing and not different, "/metrics in the guest equals the LAN scrape of the same ipmi_sim",
                 f"missing {missing[:5]}, different {[(n, ours[n], lan[n]) for n in different[:5]]}")
    # A module with an in-band driver reads the local device whatever the target.
    kcs = samples(sections.get("module-kcs", {}).get("stdout", ""))
    expected = {name: value for name, value in lan.items() if name.startswith("ipmi_bmc_info") or
                name.startswith("ipmi_chassis_")}
    checks.check(kcs.get('ipmi_up{collector="bmc"}') == "1" and kcs.get('ipmi_up{collector="chassis"}') == "1"
                 and expected and all(kcs.get(name) == value for name, value in expected.items()),
                 f"/ipmi?module=kcs (driver: KCS) reads the local BMC ({len(expected)} bmc and chassis samples as over LAN)",
                 f"{sorted(kcs.items())[:8]}")
    # bridge_sensors with driver KCS: the satellite's readings, and its thresholds equal ipmitool -I open sensor's.
    bridged = samples(sections.get("module-kcs-bridged", {}).get("stdout", ""))
    levels = ["lower_non_recoverable", "lower_critical", "lower_non_critical", "upper_non_critical", "upper_critical",
              "upper_non_recoverable"]
    mismatches, compared = [], 0
    for line in sections.get("ipmitool-sensor", {}).get("stdout", "").split("\n"):
        row = [field.strip() for field in line.split("|")]
        if len(row) != 10 or not row[0].startswith("Sat "):
            continue
        for index, level in enumerate(levels):
            ours = [float(value) for name, value in bridged.items() if name.startswith("ipmi_sensor_threshold{")
                    and f'name="{row[0]}"' in name and f'level="{level}"' in name]
            theirs = None if row[4 + index] == "na" else float(row[4 + index])
            if theirs is None and not ours:
                continue
            if theirs is None or len(ours) != 1 or abs(ours[0] - theirs) > 0.005 + 1e-9:
                mismatches.append(f"{row[0]} {level}: ours {ours}, ipmitool {row[4 + index]}")
            else:
                compared += 1
    readings = [name for name in bridged if name.startswith("ipmi_temperature_celsius{") and 'name="Sat ' in name]
    checks.check(bridged.get('ipmi_up{collector="ipmi"}') == "1" and bridged.get('ipmi_up{collector="thresholds"}') == "1"
                 and len(readings) >= 3 and compared >= 13 and not mismatches,
                 f"/ipmi?module=kcs-bridged (driver: KCS, bridge_sensors): {len(readings)} satellite temperatures, "
                 f"{compared} satellite thresholds equal ipmitool -I open sensor",
                 "; ".join(mismatches[:8]) + f" {sorted(bridged.items())[:6]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/debug/ipmi-exporter"))
    parser.add_argument("--cache", default=os.path.join(ROOT, ".build/qemu-local"))
    parser.add_argument("--no-metrics", dest="metrics", action="store_false",
                        help="skip serving /metrics in the guest and comparing it with a LAN scrape")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (console and results logs)")
    parser.add_argument("--timeout", type=float, default=420, help="seconds the guest may run")
    options = parser.parse_args()
    started = time.monotonic()

    for tool in ["qemu-system-x86_64", "ipmi_sim", "sdrcomp", "ipmitool", "ipmi-sensors", "ldd", "strip"]:
        if not shutil.which(tool):
            fail_or_skip(f"{tool} not found")
    if not (shutil.which("busybox") or os.path.exists("/bin/busybox")):
        fail_or_skip("busybox not found")
    image, modules = kernel()
    if not image:
        fail_or_skip("no /boot/vmlinuz-* with the ipmi_si, ipmi_devintf and ipmi_msghandler modules")
    if not os.access(options.binary, os.X_OK):
        print(f"FAIL - qemu local test: no binary at {options.binary} (swift build first)")
        sys.exit(1)

    os.makedirs(options.cache, exist_ok=True)
    key_material = LAYOUT_VERSION + image + "".join(
        f"{path}:{os.stat(path).st_mtime_ns}" for path in
        list(modules.values()) + [shutil.which("ipmitool"), shutil.which("ipmi-sensors"), shutil.which("busybox")])
    base = os.path.join(options.cache, "base-" + hashlib.sha256(key_material.encode()).hexdigest()[:16] + ".cpio")
    if not os.path.exists(base):
        for stale in glob.glob(os.path.join(options.cache, "base-*.cpio")):
            os.remove(stale)
        build_base(base, modules)

    work = tempfile.mkdtemp(prefix="qemu-local-")
    bmc = None
    checks = Checks()
    try:
        # Ours: the binary (stripped: a fifth of the size) with its libraries, and /init.
        stripped = os.path.join(work, "ipmi-exporter")
        subprocess.run(["strip", "-o", stripped, options.binary], check=True)
        sensors = sorted(configured_values())
        init = INIT.replace("@@SENSORS@@", " ".join(f"0x{n:02x}" for n in sensors))
        init = init.replace("@@OUR_SENSORS@@", " ".join(f"0x{n:02x}" for n in OUR_READINGS))
        init = init.replace("@@METRICS@@\n", METRICS if options.metrics else "")
        ours = Archive(os.path.join(work, "ours.cpio"))
        ours.add_file("/usr/bin/ipmi-exporter", stripped)
        for guest_path, source in libraries(options.binary):
            ours.add_file(guest_path, source)
        ours.add("/init", init.encode())
        ours.close()
        initrd = os.path.join(work, "initrd.cpio")
        with open(initrd, "wb") as out:
            for part in [base, os.path.join(work, "ours.cpio")]:
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out)
        prepared = time.monotonic()

        lan_port, serial_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
        bmc = start_bmc(os.path.join(work, "bmc"), lan_port, serial_port)

        # The host's view of the same BMC over the network: ipmitool and our own LAN scrape.
        environment = dict(os.environ, IPMI_PASSWORD="password")
        address = f"127.0.0.1:{lan_port}"
        # Waits until ipmi_sim answers (it takes a moment to start on a loaded machine), then our LAN scrape.
        ipmitool = ["ipmitool", "-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", str(lan_port), "-U", "admin",
                    "-E", "raw", "6", "1"]
        for _ in range(40):
            answer = subprocess.run(ipmitool, capture_output=True, text=True, env=environment)
            if answer.returncode == 0:
                break
            time.sleep(0.25)
        host = {
            "ipmitool-raw": answer.stdout,
            "ours-sensors": subprocess.run(
                [options.binary, "sensors", "-H", address, "-U", "admin", "-I", "3", "--timeout", "3"],
                capture_output=True, text=True, env=environment).stdout,
            "ours-sensors-bridged": subprocess.run(
                [options.binary, "sensors", "-H", address, "-U", "admin", "-I", "3", "--timeout", "3",
                 "--bridge-sensors"],
                capture_output=True, text=True, env=environment).stdout,
        }
        with open(os.path.join(work, "host.json"), "w") as handle:
            json.dump(host, handle)
        host_metrics = None

        console, results = os.path.join(work, "console.log"), os.path.join(work, "results.log")
        command = [
            "qemu-system-x86_64", "-accel", "tcg", "-m", "1024", "-display", "none", "-monitor", "none",
            "-no-reboot", "-nic", "none", "-kernel", image, "-initrd", initrd,
            "-append", "console=ttyS0 panic=-1 loglevel=4 edd=off quiet",
            "-chardev", f"socket,id=ipmi0,host=127.0.0.1,port={serial_port},reconnect=10",
            "-device", "ipmi-bmc-extern,chardev=ipmi0,id=bmc0", "-device", "isa-ipmi-kcs,bmc=bmc0",
            "-serial", f"file:{console}", "-serial", f"file:{results}",
        ]
        booted = time.monotonic()
        guest = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=open(os.path.join(work, "qemu.log"), "w"))
        stopped = False
        while guest.poll() is None:
            if time.monotonic() - booted > options.timeout:
                guest.kill()
                checks.check(False, f"guest finished within {options.timeout:.0f} s")
                break
            text = open(results, errors="replace").read() if os.path.exists(results) else ""
            # The guest asks for the BMC to stop answering (SIGSTOP: its socket stays open, as a hung BMC's would).
            # The LAN reference once the guest is connected: ipmi_sim reports the chassis powered on while a VM is.
            if options.metrics and host_metrics is None and "@@DEVICE" in text:
                host_metrics = lan_metrics(options.binary, address, work)
            if not stopped and "@@STOP-BMC" in text:
                bmc.send_signal(signal.SIGSTOP)
                stopped = True
            if stopped and "@@CONT-BMC" in text:
                bmc.send_signal(signal.SIGCONT)
                stopped = None
            time.sleep(0.1)
        if stopped:
            bmc.send_signal(signal.SIGCONT)
        guest_seconds = time.monotonic() - booted

        sections, markers = parse_sections(open(results, errors="replace").read())
        checks.check("DONE" in markers, "guest ran to the end", open(console, errors="replace").read()[-1500:])
        dmesg = sections.get("dmesg", {}).get("stdout", "")
        checks.check("Found new BMC" in dmesg and "/dev/ipmi0" in markers.get("DEVICE", ""),
                     "guest kernel found the ipmi_sim BMC and made /dev/ipmi0", dmesg[-500:])
        count = compare(sections, markers, host, checks)
        if options.metrics:
            compare_metrics(sections, host_metrics or "", checks)
        device_at = float(markers.get("DEVICE", "0").split()[0] or 0)
        print(f"figures: initramfs prepared in {prepared - started:.1f} s, guest ran {guest_seconds:.1f} s, "
              f"/dev/ipmi0 at {device_at:.1f} s of guest uptime, {count} sensors; in the guest "
              f"`sensors` took {sections.get('ours-sensors', {}).get('seconds', 0):.2f} s "
              f"(ipmitool sensor {sections.get('ipmitool-sensor', {}).get('seconds', 0):.2f} s, "
              f"ipmi-sensors {sections.get('freeipmi', {}).get('seconds', 0):.2f} s), "
              f"raw 6 1 {sections.get('ours-raw', {}).get('seconds', 0):.2f} s")
    finally:
        if bmc:
            bmc.send_signal(signal.SIGCONT)
            bmc.kill()
            bmc.wait()
        if options.keep or checks.failed:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"qemu local test: {checks.passed} passed, {checks.failed} failed "
          f"({time.monotonic() - started:.0f} s in all)")
    sys.exit(1 if checks.failed else 0)


def lan_metrics(binary, address, work):
    """/ipmi?target=ADDRESS from our exporter on the host with the lab's credentials (the LAN reference)."""
    config = os.path.join(work, "ipmi.yml")
    with open(config, "w") as handle:
        # No collectors: the default ones, as the guest's exporter runs them without a config file.
        handle.write("modules:\n  default:\n    user: admin\n    pass: password\n")
    port = free_port(socket.SOCK_STREAM)
    server = subprocess.Popen([binary, "serve", "--config.file", config, "--web.listen-address", f"127.0.0.1:{port}"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                import urllib.request
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ipmi?target={address}", timeout=30) as answer:
                    return answer.read().decode()
            except OSError:
                time.sleep(0.2)
        return ""
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
