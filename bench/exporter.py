#!/usr/bin/env python3
"""Side-by-side benchmark: swift-ipmi-exporter against Debian's prometheus-ipmi-exporter.

Both exporters scrape the same ipmi_sim BMCs (the lab BMC of Tests/Lab, 58 sensors) with the same
collectors, or, with --bmc-profile, BMCs of our simulator (its built-in server, 50 sensors) with that
profile: `realistic` serves one request at a time with a BMC's service times and a round trip, which is
what a user with real BMCs sees. Everything listens on 127.0.0.1 only; every process started here is
killed on exit, also on errors and on SIGINT/SIGTERM. Run it through bench/exporter.sh, which builds first.
"""

import argparse
import concurrent.futures
import http.client
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import benchlib
from benchlib import TICK, log, percentile, start, tcp_listening, wait_for

COLLECTORS = ["ipmi", "bmc", "chassis", "dcmi", "sel"]


def stop_all():
    # ipmi_sim ignores SIGTERM; the exporters do not need a graceful stop here.
    benchlib.stop_all(grace=0)


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def udp_listening(port):
    needle = "0100007F:%04X " % port
    with open("/proc/net/udp") as table:
        return any(needle in line for line in table)


class Lab:
    """N ipmi_sim BMCs with the lab SDRs, each in its own process and state directory."""

    def __init__(self, root, lab, count):
        self.root, self.lab, self.ports = root, os.path.abspath(lab), []
        lab = self.lab
        sdr = os.path.join(root, "sdr.20.main")
        subprocess.run(["sdrcomp", "-o", sdr, os.path.join(lab, "sdrs/main.sdrs")], check=True,
                       stdin=subprocess.DEVNULL)
        for index in range(count):
            port = free_port(socket.SOCK_DGRAM)
            state = os.path.join(root, f"bmc{index}")
            os.makedirs(os.path.join(state, "ipmi_sim/testbmc"))
            shutil.copy(sdr, os.path.join(state, "ipmi_sim/testbmc/sdr.20.main"))
            with open(os.path.join(lab, "lan.conf.template")) as template, \
                    open(os.path.join(state, "lan.conf"), "w") as conf:
                conf.write(template.read().replace("PORT", str(port)))
            with open(os.path.join(state, "bmc.emu"), "w") as emu:
                emu.write("mc_setbmc 0x20\n"
                          "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0x0f02 persist_sdr\n"
                          "sel_enable 0x20 1000 0x0a\n"
                          f"include \"{os.path.join(lab, 'sensors.emu')}\"\n"
                          "mc_enable 0x20\n")
            argv = ["ipmi_sim", "-c", f"{state}/lan.conf", "-f", f"{state}/bmc.emu", "-s", state]
            if index == 0:
                # Errors in the command file are silent with -n; -x quit prints them as "**...".
                check = subprocess.run(argv + ["-x", "quit"], stdin=subprocess.DEVNULL, capture_output=True,
                                       text=True, timeout=20)
                if "**" in check.stdout + check.stderr:
                    raise RuntimeError("ipmi_sim rejects the lab command file:\n" + check.stdout + check.stderr)
            start(argv + ["-n"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=state)
            self.ports.append(port)
        for port in self.ports:
            wait_for(lambda: udp_listening(port), f"ipmi_sim on udp {port}")

    def target(self, index=0):
        return f"127.0.0.1:{self.ports[index]}"


class SimulatedBMCs:
    """N BMCs of one `ipmi-exporter simulate` process with a --bmc-profile, on consecutive ports."""

    def __init__(self, root, binary, count, profile):
        base = benchlib.free_udp_range(count)
        benchlib.start_simulator(binary, base, count, os.path.join(root, "simulator.log"),
                                 extra=["--bmc-profile", profile, "--steady"])
        self.ports = list(range(base, base + count))
        self.profile = profile

    def target(self, index=0):
        return f"127.0.0.1:{self.ports[index]}"


class Exporter:
    def __init__(self, name, argv_for_port, config):
        self.name = name
        self.port = free_port()
        self.process = start(argv_for_port(self.port, config), stdout=subprocess.DEVNULL,
                             stderr=open(config + ".log", "w"))
        wait_for(lambda: tcp_listening(self.port), f"{name} on tcp {self.port}")

    def connect(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def scrape(self, target, timeout=30, connection=None):
        """One scrape; on `connection` (kept open, as Prometheus keeps its connection to a target) if given, else
        on a connection of its own."""
        own = connection is None
        connection = connection or self.connect(timeout)
        try:
            connection.request("GET", f"/ipmi?target={target}&module=default")
            response = connection.getresponse()
            body = response.read().decode()
            if response.status != 200:
                raise RuntimeError(f"{self.name}: HTTP {response.status}: {body[:200]}")
            return body
        finally:
            if own:
                connection.close()

    def get(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            return connection.getresponse().read().decode()
        finally:
            connection.close()

    def post(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("POST", path)
            response = connection.getresponse()
            body = response.read().decode()
            if response.status != 200:
                raise RuntimeError(f"{self.name}: POST {path}: HTTP {response.status}: {body[:200]}")
        finally:
            connection.close()

    def cpu_seconds(self):
        """CPU of the exporter (all its threads, ns resolution from schedstat) plus its reaped children."""
        pid = self.process.pid
        threads_ns = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    threads_ns += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass  # a thread that ended just now
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
        children_ticks = int(fields[13]) + int(fields[14])
        return threads_ns / 1e9 + children_ticks / TICK


def module_config(excluded=(), window=None):
    """The benchmark's `default` module (COLLECTORS), as YAML both exporters read; `excluded` record IDs go into
    exclude_sensor_ids, and `window` (ours only) into exporter.max_outstanding_requests."""
    lines = ["modules:", "  default:", "    user: admin", "    pass: password", "    privilege: admin",
             "    driver: LAN_2_0", "    timeout: 10000", f"    collectors: [{', '.join(COLLECTORS)}]",
             # FreeIPMI needs opensesspriv for ipmi_sim, which answers Open Session with privilege 0;
             # ours copes without it and accepts the flag.
             "    workaround_flags: [opensesspriv]"]
    if excluded:
        lines.append(f"    exclude_sensor_ids: [{', '.join(str(i) for i in excluded)}]")
    if window is not None:
        lines += ["exporter:", f"  max_outstanding_requests: {window}"]
    return "\n".join(lines) + "\n"


def sensors_to_exclude(body, wanted):
    """Record IDs to leave out, highest first, so that at most `wanted` sensors remain (a compact record
    can stand for several sensors; each one's `_state` series carries the record's id)."""
    per_record = {}
    for line in body.splitlines():
        if "_state{" in line and 'id="' in line:
            record = int(line.split('id="', 1)[1].split('"', 1)[0])
            per_record[record] = per_record.get(record, 0) + 1
    total, excluded = sum(per_record.values()), []
    for record in sorted(per_record, reverse=True):
        if total <= wanted:
            break
        excluded.append(record)
        total -= per_record[record]
    return sorted(excluded)


def up_collectors(body):
    return {line.split('"')[1]: float(line.rsplit(" ", 1)[1])
            for line in body.splitlines() if line.startswith("ipmi_up{")}


def check_body(exporter, body):
    up = up_collectors(body)
    missing = [c for c in ("ipmi", "bmc", "chassis", "sel") if up.get(c) != 1]
    if missing:
        raise RuntimeError(f"{exporter.name}: collectors not up: {missing} in {up}")
    return sum(1 for line in body.splitlines() if "_state{" in line)


def measure_sequential(exporters, counts, target, warmup, rounds):
    """Sequential warm scrapes of each exporter, in alternating rounds (ours, reference, ours, …) so that a slow
    phase of a shared machine weighs on both alike. One keep-alive connection each, as Prometheus scrapes a target:
    the figures are the scrape, not TCP set-up. Returns per exporter name the median and p95 scrape time, the CPU
    per scrape over all rounds, the number of scrapes and their total time."""
    connections = {exporter.name: exporter.connect() for exporter in exporters}
    durations = {exporter.name: [] for exporter in exporters}
    cpu = {exporter.name: 0.0 for exporter in exporters}
    try:
        for exporter in exporters:
            for _ in range(warmup):
                exporter.scrape(target, connection=connections[exporter.name])
        for round_index in range(rounds):
            for exporter in exporters:
                total = counts[exporter.name]
                # The scrapes split as evenly as they go; earlier rounds take the remainder.
                share = total // rounds + (1 if round_index < total % rounds else 0)
                cpu_before = exporter.cpu_seconds()
                for _ in range(share):
                    begin = time.perf_counter()
                    exporter.scrape(target, connection=connections[exporter.name])
                    durations[exporter.name].append(time.perf_counter() - begin)
                cpu[exporter.name] += exporter.cpu_seconds() - cpu_before
    finally:
        for connection in connections.values():
            connection.close()
    return {name: {"median": statistics.median(times), "p95": percentile(times, 0.95), "cpu": cpu[name] / len(times),
                   "scrapes": len(times), "seconds": sum(times)}
            for name, times in durations.items()}


def retransmitted(exporter):
    """The exporter's own count of requests sent again (all targets)."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in exporter.get("/metrics").splitlines()
               if line.startswith("ipmi_exporter_packets_retransmitted_total"))


def measure_retransmissions(exporter, target, scrapes):
    """Requests ours sent again in each of `scrapes` further warm scrapes of `target`, read from its counter between
    scrapes (a phase of its own, so that the /metrics reads do not weigh on the timed scrapes): whether a warm scrape
    waits for a lost request."""
    counts = []
    before = retransmitted(exporter)
    for _ in range(scrapes):
        exporter.scrape(target)
        after = retransmitted(exporter)
        counts.append(after - before)
        before = after
    return counts


def pcap_packets(path):
    """Counts records in a classic pcap file (24-byte global header, 16-byte record headers)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return 0
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    offset, count = 24, 0
    while offset + 16 <= len(data):
        included = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
        offset += 16 + included
        count += 1
    return count


def self_counted_packets(exporter):
    """ipmi_exporter_packets_{sent,received}_total of our exporter, None for the reference."""
    if exporter.name != "ours":
        return None
    return sum(float(line.rsplit(" ", 1)[1]) for line in exporter.get("/metrics").splitlines()
               if line.startswith(("ipmi_exporter_packets_sent_total", "ipmi_exporter_packets_received_total")))


def measure_packets(exporter, bmc_port, scrapes, root):
    if shutil.which("tcpdump") is None:
        return None
    exporter.scrape(f"127.0.0.1:{bmc_port}")  # warm
    capture = os.path.join(root, f"{exporter.name}.pcap")
    dump = start(["tcpdump", "-i", "lo", "--immediate-mode", "-n", "-w", capture, f"udp port {bmc_port}"],
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # tcpdump says "listening on lo" once its filter is attached.
    dump.stderr.readline()
    time.sleep(0.2)
    counted_before = self_counted_packets(exporter)
    for _ in range(scrapes):
        exporter.scrape(f"127.0.0.1:{bmc_port}")
    time.sleep(0.3)
    counted = self_counted_packets(exporter)
    own = None if counted is None else (counted - counted_before) / scrapes
    if own is not None:
        log(f"{exporter.name}: its own counters say {own:.1f} packets per scrape")
    dump.send_signal(signal.SIGINT)  # SIGINT makes it flush the file
    dump.wait(timeout=10)
    summary = dump.stderr.read().decode()
    dropped = [line for line in summary.splitlines() if "dropped by kernel" in line and not line.startswith("0 ")]
    captured = pcap_packets(capture) / scrapes
    if dropped:
        log(f"{exporter.name}: tcpdump: {dropped[0]} (its count, {captured:.1f} per scrape, is a lower bound)")
        if own is not None:
            # The exporter's own packet counters are exact; a capture that lost packets is not.
            return max(own, captured)
    return captured


def measure_concurrent(exporter, targets, rounds):
    def one(target):
        exporter.scrape(target, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(targets)) as pool:
        list(pool.map(one, targets))  # warm: sessions and SDRs where the exporter caches them
        times = []
        for _ in range(rounds):
            begin = time.perf_counter()
            list(pool.map(one, targets))
            times.append(time.perf_counter() - begin)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exporter", required=True, help="path of our ipmi-exporter binary")
    parser.add_argument("--reference", default="prometheus-ipmi-exporter")
    parser.add_argument("--lab", required=True, help="Tests/Lab directory")
    parser.add_argument("--scrapes", type=int, default=50, help="sequential warm scrapes of the reference")
    parser.add_argument("--our-scrapes", type=int, default=None,
                        help="sequential warm scrapes of ours (default 1000 on the lab BMCs, --scrapes with a "
                             "--bmc-profile): more, so that both are measured over seconds (50 of the reference's "
                             "take about 5 s, 50 of ours under 0.2 s, where one stall of the machine would weigh as "
                             "much as the scrapes)")
    parser.add_argument("--bmc-profile", choices=["loopback", "realistic"], default=None,
                        help="scrape BMCs of our simulator with this profile instead of ipmi_sim lab BMCs")
    parser.add_argument("--simulator", default=None,
                        help="ipmi-exporter binary that serves the simulated BMCs (default: --exporter)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sequential-rounds", type=int, default=5,
                        help="rounds the sequential scrapes are split into, alternating between the exporters")
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the concurrent scrape (ours)")
    parser.add_argument("--reference-rounds", type=int, default=1)
    parser.add_argument("--packet-scrapes", type=int, default=10)
    parser.add_argument("--retransmission-scrapes", type=int, default=None,
                        help="further warm scrapes of ours counting retransmissions per scrape (default 50 with a "
                             "--bmc-profile, else 0)")
    parser.add_argument("--window", type=int, default=None,
                        help="exporter.max_outstanding_requests for ours (default: the exporter's default)")
    parser.add_argument("--only-ours", action="store_true", help="skip the reference exporter")
    parser.add_argument("--sensors", type=int, default=46,
                        help="read at most this many of the lab's 58 sensors, leaving out the highest record IDs "
                             "with exclude_sensor_ids in both exporters' module (default: 46, the figure the "
                             "packet target is stated for; 0 reads all)")
    args = parser.parse_args()
    if args.our_scrapes is None:
        args.our_scrapes = args.scrapes if args.bmc_profile else 1000

    root = tempfile.mkdtemp(prefix="ipmi-bench-")
    try:
        log(f"starting {args.targets} BMCs …")
        if args.bmc_profile:
            lab = SimulatedBMCs(root, args.simulator or args.exporter, args.targets, args.bmc_profile)
        else:
            lab = Lab(root, args.lab, args.targets)
        ours_config = os.path.join(root, "ours.yml")
        reference_config = os.path.join(root, "reference.yml")

        def write_configs(excluded):
            with open(ours_config, "w") as f:
                f.write(module_config(excluded, args.window))
            with open(reference_config, "w") as f:
                f.write(module_config(excluded))

        write_configs([])
        exporters = [Exporter("ours", lambda port, config: [
            args.exporter, "--config.file", config, "--web.listen-address", f"127.0.0.1:{port}",
            "--log.level", "warn"], ours_config)]
        if args.sensors:
            excluded = sensors_to_exclude(exporters[0].scrape(lab.target(0)), args.sensors)
            write_configs(excluded)
            exporters[0].post("/-/reload")
            log(f"module excludes record IDs {excluded} to read {args.sensors} sensors")
        if not args.only_ours:
            exporters.append(Exporter("reference", lambda port, config: [
                args.reference, "--config.file", config, "--web.listen-address", f"127.0.0.1:{port}",
                "--log.level", "warn"], reference_config))

        counts = {exporter.name: args.our_scrapes if exporter.name == "ours" else args.scrapes
                  for exporter in exporters}
        sensors = {exporter.name: check_body(exporter, exporter.scrape(lab.target(0))) for exporter in exporters}
        log(f"sensor states: {sensors}; measuring sequential scrapes {counts} in {args.sequential_rounds} "
            f"alternating rounds …")
        results = measure_sequential(exporters, counts, lab.target(0), args.warmup, args.sequential_rounds)
        retransmission_scrapes = args.retransmission_scrapes
        if retransmission_scrapes is None:
            retransmission_scrapes = 50 if args.bmc_profile else 0
        if "ours" in results and retransmission_scrapes > 0:
            log(f"ours: retransmissions in {retransmission_scrapes} warm scrapes …")
            results["ours"]["per_scrape"] = measure_retransmissions(exporters[0], lab.target(0),
                                                                    retransmission_scrapes)
        for exporter in exporters:
            result = results[exporter.name]
            result["sensors"] = sensors[exporter.name]
            log(f"{exporter.name}: counting packets …")
            result["packets"] = measure_packets(exporter, lab.ports[min(1, len(lab.ports) - 1)],
                                                args.packet_scrapes, root)
            log(f"{exporter.name}: {args.targets} targets concurrently …")
            rounds = args.rounds if exporter.name == "ours" else args.reference_rounds
            result["concurrent"] = measure_concurrent(exporter, [lab.target(i) for i in range(args.targets)],
                                                      rounds)
        if "ours" in results:
            metrics = exporters[0].get("/metrics")
            handshakes = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                             if line.startswith("ipmi_exporter_handshakes_total"))
            results["ours"]["handshakes"] = handshakes
        if "ours" in results:
            results["ours"]["retransmissions"] = sum(
                float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                if line.startswith("ipmi_exporter_packets_retransmitted_total"))
        print_table(results, args)
    finally:
        stop_all()
        shutil.rmtree(root, ignore_errors=True)


def print_table(results, args):
    ours, reference = results.get("ours"), results.get("reference")

    def ms(value):
        return f"{value * 1000:.2f} ms"

    def ratio(a, b):
        return f"{b / a:.1f}×" if a and b else "-"

    # The targets were stated for the loopback lab BMCs; a simulated profile has none.
    lab = args.bmc_profile is None
    rows = [
        ("median warm scrape", "median", ms, "≥ 20× lower", lambda o, r: r / o >= 20),
        ("p95 warm scrape", "p95", ms, "", None),
        ("CPU per scrape (incl. children)", "cpu", ms, "≥ 50× less", lambda o, r: r / o >= 50),
        ("UDP packets per warm scrape", "packets", lambda v: f"{v:.1f}" if v is not None else "n/a",
         "≤ 110", lambda o, r: o is not None and o <= 110),
        (f"{args.targets} targets concurrently", "concurrent", ms, "≤ 150 ms", lambda o, r: o <= 0.150),
    ]
    if not lab:
        rows = [(title, key, fmt, "", None) for title, key, fmt, _, _ in rows]
    load = os.getloadavg()[0]
    bmcs = ("lab BMC" if lab else f"simulated BMC (built-in server, --bmc-profile {args.bmc_profile}, steady)")
    counts = ", ".join(f"{name} {result['scrapes']} in {result['seconds']:.1f} s"
                       for name, result in (("ours", ours), ("reference", reference)) if result)
    print(f"swift-ipmi-exporter vs prometheus-ipmi-exporter — warm scrapes ({counts}, in {args.sequential_rounds} "
          f"alternating rounds) after {args.warmup}, "
          f"{bmcs} with {ours['sensors'] if ours else '?'} sensor states (reference: "
          f"{reference['sensors'] if reference else '-'}), collectors {','.join(COLLECTORS)}; "
          f"{os.cpu_count()} CPUs, load {load:.1f}")
    header = f"| {'measure':<34} | {'ours':>10} | {'reference':>10} | {'ratio':>7} | {'target':<12} | met |"
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    for title, key, fmt, target, passes in rows:
        o = ours.get(key) if ours else None
        r = reference.get(key) if reference else None
        if key == "packets" or r is None:
            ratio_text = ratio(o, r) if (o is not None and r is not None) else "-"
        else:
            ratio_text = ratio(o, r)
        met = ""
        if passes and o is not None:
            try:
                met = "yes" if passes(o, r) else "NO"
            except (TypeError, ZeroDivisionError):
                met = "-"
        print(f"| {title:<34} | {fmt(o) if o is not None else '-':>10} | "
              f"{fmt(r) if r is not None else '-':>10} | {ratio_text:>7} | {target:<12} | {met:<3} |")
    if ours and "handshakes" in ours:
        print(f"ours: {int(ours['handshakes'])} RMCP+ handshakes in the whole run ({args.targets} BMCs), "
              f"{int(ours.get('retransmissions', 0))} requests retransmitted")
    if ours and ours.get("per_scrape"):
        counts = ours["per_scrape"]
        print(f"ours: requests retransmitted per warm scrape ({len(counts)} scrapes of one BMC): median "
              f"{statistics.median(counts):.0f}, p95 {percentile(counts, 0.95):.0f}, max {max(counts):.0f}, "
              f"{sum(1 for count in counts if count)} scrapes with any, {sum(counts):.0f} in all")


if __name__ == "__main__":
    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        main()
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
    except Exception:
        stop_all()
        raise
