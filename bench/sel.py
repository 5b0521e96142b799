#!/usr/bin/env python3
"""The SEL collectors on a BMC with a full log: swift-ipmi-exporter against Debian's prometheus-ipmi-exporter.

One simulated BMC (`ipmi-exporter simulate --sel-entries N`, default 2,000 entries) on 127.0.0.1. Measured, each
as warm scrapes one after another on a kept-alive connection: the `sel` collector of both exporters (Get SEL Info;
the reference runs `ipmi-sel --info`, a FreeIPMI session per scrape), our `sel-events` collector (the cached log:
one Get SEL Info per unchanged scrape), and what reading the log costs FreeIPMI: `ipmi-sel` with the arguments
ipmi_exporter 1.10's `sel-events` collector (not in Debian's 1.6.1) runs on every scrape. Per row: median
and p95 latency, CPU per scrape (the exporter's threads and reaped children; for ipmi-sel its own), UDP packets per
scrape (tcpdump on the BMC's port, if installed). Every process started here is stopped when the script ends. Run it
through bench/sel.sh, which builds first.
"""

import argparse
import http.client
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import benchlib
from benchlib import log, percentile, start, wait_for
from exporter import Exporter, free_port, pcap_packets, udp_listening

RULES = [("critical_memory", "Uncorrectable memory error"), ("fan_low", "^Lower .* going low"),
         ("everything", ".*")]


def config(reference):
    """Modules `sel` (both exporters) and, for ours, `selevents` with three rules."""
    common = ["    user: admin", "    pass: password", "    privilege: admin", "    driver: LAN_2_0",
              "    timeout: 10000", "    workaround_flags: [opensesspriv]"]
    lines = ["modules:", "  sel:"] + common + ["    collectors: [sel]"]
    if not reference:
        lines += ["  selevents:"] + common + ["    collectors: [sel-events]", "    sel_events:"]
        for name, pattern in RULES:
            lines += [f"      - name: {name}", f"        regex: '{pattern}'"]
    return "\n".join(lines) + "\n"


def scrape(exporter, target, module, connection):
    connection.request("GET", f"/ipmi?target={target}&module={module}")
    response = connection.getresponse()
    body = response.read().decode()
    if response.status != 200:
        raise RuntimeError(f"{exporter.name}: HTTP {response.status}: {body[:200]}")
    down = [line for line in body.splitlines() if line.startswith("ipmi_up{") and line.endswith(" 0")]
    if down:
        raise RuntimeError(f"{exporter.name} {module}: {down}")
    return body


class Capture:
    """tcpdump of the BMC's UDP port while a block runs; packets() is None without tcpdump."""

    def __init__(self, port, root, name):
        self.port, self.path, self.dump = port, os.path.join(root, f"{name}.pcap"), None

    def __enter__(self):
        if shutil.which("tcpdump"):
            self.dump = start(["tcpdump", "-i", "lo", "--immediate-mode", "-n", "-w", self.path,
                               f"udp port {self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.dump.stderr.readline()  # "listening on lo": the filter is attached
            time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        if self.dump:
            time.sleep(0.3)
            self.dump.send_signal(signal.SIGINT)  # SIGINT makes it flush the file
            self.dump.wait(timeout=10)

    def packets(self):
        return pcap_packets(self.path) if self.dump else None


def measure_scrapes(exporter, target, module, count, warmup, root):
    connection = exporter.connect()
    try:
        first_begin = time.perf_counter()
        first = scrape(exporter, target, module, connection)
        first_seconds = time.perf_counter() - first_begin
        for _ in range(warmup):
            scrape(exporter, target, module, connection)
        times = []
        cpu_before = exporter.cpu_seconds()
        for _ in range(count):
            begin = time.perf_counter()
            scrape(exporter, target, module, connection)
            times.append(time.perf_counter() - begin)
        cpu = (exporter.cpu_seconds() - cpu_before) / count
        packet_scrapes = min(count, 20)
        with Capture(target.rsplit(":", 1)[1], root, f"{exporter.name}-{module}") as capture:
            for _ in range(packet_scrapes):
                scrape(exporter, target, module, connection)
        packets = capture.packets()
    finally:
        connection.close()
    return {"median": statistics.median(times), "p95": percentile(times, 0.95), "cpu": cpu,
            "packets": None if packets is None else packets / packet_scrapes, "scrapes": count,
            "first": first_seconds, "body": first}


def ipmi_sel_argv(target, cache):
    # ipmi_exporter 1.10's sel-events collector: ipmi-sel with these output options, its SDR cache kept.
    return ["ipmi-sel", "-D", "LAN_2_0", "-W", "opensesspriv", "-l", "admin", "-h", target, "-u", "admin", "-p",
            "password", "--quiet-cache", "--comma-separated-output", "--no-header-output", "--output-event-state",
            "--interpret-oem-data", "--entity-sensor-names", "--sdr-cache-directory", cache]


def measure_ipmi_sel(target, count, root):
    cache = os.path.join(root, "sdr-cache")
    os.makedirs(cache, mode=0o700, exist_ok=True)
    argv = ipmi_sel_argv(target, cache)
    rows = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=300).stdout.splitlines()
    times, cpu = [], 0.0
    for _ in range(count):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        begin = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, timeout=300)
        times.append(time.perf_counter() - begin)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # Packets from one more run, under a capture (not timed: the capture's start and stop would weigh in).
    with Capture(target.rsplit(":", 1)[1], root, "ipmi-sel") as capture:
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, timeout=300)
    return {"median": statistics.median(times), "p95": percentile(times, 0.95), "cpu": cpu / count,
            "packets": capture.packets(), "scrapes": count, "rows": len(rows)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exporter", required=True, help="path of our ipmi-exporter binary")
    parser.add_argument("--reference", default="prometheus-ipmi-exporter")
    parser.add_argument("--sel-entries", type=int, default=2000)
    parser.add_argument("--our-scrapes", type=int, default=500)
    parser.add_argument("--reference-scrapes", type=int, default=50)
    parser.add_argument("--ipmi-sel-runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="ipmi-bench-sel-")
    try:
        port = free_port(socket.SOCK_DGRAM)
        target = f"127.0.0.1:{port}"
        start([args.exporter, "simulate", "--listen", target, "--steady", "--sel-entries", str(args.sel_entries)],
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: udp_listening(port), f"simulator on udp {port}")
        ours_config, reference_config = os.path.join(root, "ours.yml"), os.path.join(root, "reference.yml")
        with open(ours_config, "w") as f:
            f.write(config(reference=False))
        with open(reference_config, "w") as f:
            f.write(config(reference=True))
        ours = Exporter("ours", lambda p, c: [args.exporter, "--config.file", c, "--web.listen-address",
                                               f"127.0.0.1:{p}", "--log.level", "warn"], ours_config)
        reference = Exporter("reference", lambda p, c: [args.reference, "--config.file", c, "--web.listen-address",
                                                         f"127.0.0.1:{p}", "--log.level", "warn"], reference_config)
        results = {}
        log("ours, sel-events …")
        results["ours sel-events"] = measure_scrapes(ours, target, "selevents", args.our_scrapes, args.warmup, root)
        log("ours, sel …")
        results["ours sel"] = measure_scrapes(ours, target, "sel", args.our_scrapes, args.warmup, root)
        log("reference, sel …")
        results["reference sel"] = measure_scrapes(reference, target, "sel", args.reference_scrapes, args.warmup,
                                                   root)
        log("ipmi-sel …")
        results["ipmi-sel"] = measure_ipmi_sel(target, args.ipmi_sel_runs, root)
        body = results["ours sel-events"]["body"]
        counted = [line for line in body.splitlines() if line.startswith("ipmi_sel_events_count_by_name")]
        print_table(results, args, counted)
    finally:
        benchlib.stop_all(grace=2)
        shutil.rmtree(root, ignore_errors=True)


def print_table(results, args, counted):
    def ms(value):
        return f"{value * 1000:.2f} ms"

    print(f"bench/sel: one simulated BMC with {args.sel_entries} SEL entries; {benchlib.machine_line()}")
    print("| what | scrapes | median | p95 | CPU per scrape | UDP packets per scrape |")
    print("|---|---:|---:|---:|---:|---:|")
    titles = {
        "ours sel-events": "ours, `sel-events` (warm: the cached log)",
        "ours sel": "ours, `sel`",
        "reference sel": "reference 1.6.1, `sel` (`ipmi-sel --info`)",
        "ipmi-sel": "FreeIPMI `ipmi-sel` reading the log (what ipmi_exporter 1.10's `sel-events` runs per scrape)",
    }
    for key, title in titles.items():
        r = results[key]
        packets = "n/a" if r["packets"] is None else f"{r['packets']:.1f}"
        print(f"| {title} | {r['scrapes']} | {ms(r['median'])} | {ms(r['p95'])} | {ms(r['cpu'])} | {packets} |")
    first = results["ours sel-events"]["first"]
    print(f"ours, first `sel-events` scrape (session, SDRs and all {args.sel_entries} entries): {ms(first)}; "
          f"ipmi-sel printed {results['ipmi-sel']['rows']} rows")
    for line in counted:
        print(f"ours: {line}")


if __name__ == "__main__":
    benchlib.run_main(main)
