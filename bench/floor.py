#!/usr/bin/env python3
"""How far the exporter's CPU per warm scrape is above the cost of the exchanges themselves.

Starts one lab ipmi_sim BMC on 127.0.0.1, our exporter (collectors ipmi, bmc, chassis, dcmi, sel; 46 sensors, as
bench/exporter.py reads) and, in alternating rounds on the same BMC, measures
  - the exporter: CPU per warm scrape (user and system time from /proc, over one keep-alive connection), and
  - exchange-floor: the same number of request/response exchanges (the exporter's own packet counters, halved), same
    window, the cipher suite negotiated the same way, over one RMCP+ session: once driven by a bare NIO datagram
    channel (--through nio) and once on a blocking socket with poll(2) and nothing around it (--through poll);
  - and exchange-floor --through poll with paced bursts (--coalesce-us): the window sent at once, a short sleep,
    then every answer read together, which shows how much of the floor is wake-ups rather than the exchanges.
The differences are what NIO's datagram path, and then the exporter's own layers (client, tasks, HTTP, decoding,
rendering), add. Every process started here is killed on exit, also on failure.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile

import exporter as bench
from benchlib import TICK, log, run_main


def times(pid):
    """User and system CPU seconds of a process (all threads), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", required=True, help="the ipmi-exporter binary")
    parser.add_argument("--floor", required=True, help="the exchange-floor binary")
    parser.add_argument("--lab", required=True, help="Tests/Lab")
    parser.add_argument("--scrapes", type=int, default=1000, help="warm scrapes (and bursts) per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--window", type=int, default=16, help="requests in flight (the exporter's default)")
    parser.add_argument("--sensors", type=int, default=46)
    parser.add_argument("--coalesce-us", type=int, default=100, help="pause after each burst in the paced row")
    parser.add_argument("--coalesce-window", type=int, default=16, help="burst size in the paced row")
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="ipmi-floor-")
    try:
        lab = bench.Lab(root, args.lab, 1)
        config = os.path.join(root, "ours.yml")

        def write_config(excluded):
            with open(config, "w") as f:
                f.write(bench.module_config(excluded, args.window))

        write_config([])
        ours = bench.Exporter("ours", lambda port, path: [
            args.exporter, "--config.file", path, "--web.listen-address", f"127.0.0.1:{port}", "--log.level", "warn"],
            config)
        if args.sensors:
            write_config(bench.sensors_to_exclude(ours.scrape(lab.target(0)), args.sensors))
            ours.post("/-/reload")
        connection = ours.connect()
        for _ in range(20):
            ours.scrape(lab.target(0), connection=connection)
        before = bench.self_counted_packets(ours)
        for _ in range(10):
            ours.scrape(lab.target(0), connection=connection)
        exchanges = round((bench.self_counted_packets(ours) - before) / 10 / 2)
        log(f"a warm scrape is {exchanges} exchanges")
        sensors = []
        with open(os.path.join(args.lab, "sensors.emu")) as f:
            for line in f:
                parts = line.split()
                if parts[:3] == ["sensor_add", "0x20", "0"] and parts[3] != "0":
                    sensors.append(parts[3])

        rows = []
        for number in range(1, args.rounds + 1):
            user0, system0 = times(ours.process.pid)
            for _ in range(args.scrapes):
                ours.scrape(lab.target(0), connection=connection)
            user1, system1 = times(ours.process.pid)
            row = {"ours_user": (user1 - user0) / args.scrapes * 1000,
                   "ours_system": (system1 - system0) / args.scrapes * 1000}
            for kind, through, window, coalesce in (("nio", "nio", args.window, 0), ("poll", "poll", args.window, 0),
                                                    ("paced", "poll", args.coalesce_window, args.coalesce_us)):
                floor = subprocess.run(
                    [args.floor, "--port", str(lab.ports[0]), "--exchanges", str(exchanges), "--window",
                     str(window), "--cycles", str(args.scrapes), "--rounds", "1", "--through", through,
                     "--coalesce-us", str(coalesce), "--sensors", ",".join(sensors)],
                    capture_output=True, text=True, timeout=600, check=True)
                measured = json.loads(floor.stdout.strip().splitlines()[-1])
                suite = measured["cipher_suite"]
                row[f"{kind}_user"], row[f"{kind}_system"] = measured["user_ms"], measured["system_ms"]
            rows.append(row)
            log(f"round {number}: " + ", ".join(
                f"{kind} {row[kind + '_user'] + row[kind + '_system']:.2f} ms" for kind in ("ours", "nio", "poll", "paced")))
        connection.close()

        def median(key):
            return statistics.median(row[key] for row in rows)

        def total(kind):
            return statistics.median(row[kind + "_user"] + row[kind + "_system"] for row in rows)

        print(f"CPU per warm scrape of {exchanges} exchanges (window {args.window}, cipher suite {suite}), median of "
              f"{args.rounds} rounds of {args.scrapes}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        print(f"| {'':<44} | {'user':>8} | {'system':>8} | {'total':>8} |")
        print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
        paced = f"… poll, bursts of {args.coalesce_window}, {args.coalesce_us} µs pause"
        for kind, title in (("ours", "exporter (HTTP scrape)"), ("nio", "exchange-floor --through nio"),
                            ("poll", "exchange-floor --through poll"), ("paced", paced)):
            print(f"| {title:<44} | {median(kind + '_user'):>5.2f} ms | {median(kind + '_system'):>5.2f} ms "
                  f"| {total(kind):>5.2f} ms |")
        print(f"NIO's datagram channel adds {total('nio') - total('poll'):.2f} ms to the bare exchanges; the exporter's "
              f"own layers add {total('ours') - total('nio'):.2f} ms on top ({total('ours') / total('poll'):.1f}× the "
              f"bare exchanges); pacing the reads takes {total('poll') - total('paced'):.2f} ms off the bare exchanges")
    finally:
        bench.stop_all()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    run_main(main)
