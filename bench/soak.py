#!/usr/bin/env python3
"""Fault soak: the exporter under --scrapers concurrent scrapers (each a loop of /ipmi requests on its own
keep-alive connection, random targets) for --duration against simulated BMCs with packet loss, duplicated and
reordered datagrams, corrupt and truncated answers and random reboots (simulator flags --loss, --duplicate,
--delay-rate, --max-delay, --corrupt, --truncate, --reboot-every). The BMCs run --steady (no drift, readings
unchanged by reboots) and write their truth (--truth-file): every sensor sample of every answer is compared with
it. Run it through bench/soak, which builds first.

Network faults by default, in each direction: 5 % of datagrams lost, 5 % duplicated and 5 % held back by up to
200 ms (so they arrive after later ones); a duplicate also comes up to 200 ms after the original. That is a bad
network (a flapping link, a bonding or switch fault), not a normal one; 200 ms is a few round trips on a
congested path and well inside the exporter's 1 s retransmission timeout, so late copies meet newer requests.

Verdict (PASS/FAIL), after a warm-up of --warmup (default: a fifth of the run, at most 60 s):
- no wrong values: in every 200 answer, each sensor's value sample (ipmi_temperature_celsius, ipmi_fan_speed_rpm,
  ipmi_fan_speed_ratio, ipmi_voltage_volts, ipmi_current_amperes, ipmi_power_watts, ipmi_sensor_value) is the
  reading of the raw byte the simulated BMC holds (within half a raw step, so any other raw byte is wrong), under
  the sensor's record ID; a threshold sensor's state sample is what the BMC's threshold status bits say (LNC/UNC
  warning 1, LC/UC/LNR/UNR critical 2, else 0); a discrete sensor's state is the same in every sample of BMCs
  asserting the same states (the truth gives the states, not their severity, which is the exporter's policy);
  no sample of a sensor the BMC does not have. Checked over the whole run, warm-up included;
- no crash: the exporter and the simulator are alive at the end;
- no BMC stuck down: each had a scrape with every collector up in the last minute (a fifth of short runs), so
  the exporter recovers from reboots and loss;
- every HTTP answer is 200, and every collection that set ipmi_up 0 has a reason (a "collector failed",
  "cannot open IPMI session" or "missed its deadline" log line with its error, and ipmi_exporter_errors_total);
- RSS flat: at the end within --rss-tolerance (10 %) of the RSS after warm-up;
- no fd leak: fds at the end (scrapers still connected) within 8 of those after warm-up, and once the
  scrapers have gone, within 8 of the idle exporter's before the run;
- no session leak: after the scrapers stop and one simulated session timeout has passed (the BMCs forget
  sessions they no longer hear from), the exporter's ipmi_exporter_sessions_open and the simulator's open
  sessions are each at most one per BMC.
Loopback only; every process is stopped at the end.
"""

import argparse
import asyncio
import collections
import glob
import json
import os
import random
import re
import threading
import time

import benchlib as lib
from benchlib import log
from scale import parse_duration

REASON_MESSAGES = ("collector failed", "cannot open IPMI session", "cannot reopen IPMI session",
                   "cannot scrape target", "Collection missed its deadline")
LOG_LINE = re.compile(r'msg="([^"]*)"(.*)')
ERROR_FIELD = re.compile(r'error="((?:[^"\\]|\\.)*)"|error=(\S+)')


# Families that carry a sensor's value, and the factor from the BMC's unit to the exported one (a fan duty in
# percent is exported as a ratio, docs/exporter.md).
VALUE_FAMILIES = {"ipmi_temperature_celsius": 1, "ipmi_fan_speed_rpm": 1, "ipmi_fan_speed_ratio": 0.01,
                  "ipmi_voltage_volts": 1, "ipmi_current_amperes": 1, "ipmi_power_watts": 1, "ipmi_sensor_value": 1}
STATE_FAMILIES = {"ipmi_temperature_state", "ipmi_fan_speed_state", "ipmi_voltage_state", "ipmi_current_state",
                  "ipmi_power_state", "ipmi_sensor_state"}
SENSOR_SAMPLE = re.compile(rb'^(ipmi_[a-z_]+)\{id="(\d+)",name="((?:[^"\\]|\\.)*)"(?:,type="[^"]*")?\} (\S+)$',
                           re.M)


def threshold_severity(status):
    """0 nominal, 1 warning, 2 critical from the threshold comparison bits (LNC, LC, LNR, UNC, UC, UNR) of Get
    Sensor Reading (IPMI v2.0 section 35.14): the non-critical ones warn, the others are critical."""
    if status & 0b110110:
        return 2
    return 1 if status & 0b001001 else 0


class TruthCheck:
    """Compares the sensor samples of scrape bodies with the simulator's truth file (`simulate --truth-file`)."""

    def __init__(self, path, sabotage=None):
        with open(path) as f:
            truth = json.load(f)
        if not truth.get("steady"):
            raise RuntimeError(f"{path}: the simulator's readings drift; the soak needs --steady")
        self.bmcs = {int(port): bmc["sensors"] for port, bmc in truth["bmcs"].items()}
        self.sensors = len(next(iter(self.bmcs.values()))) if self.bmcs else 0
        if sabotage:
            # --sabotage-truth: shift one sensor's truth by one raw step, to show that the check can fail.
            for sensors in self.bmcs.values():
                entry = sensors[sabotage]
                entry["reading"] += entry["step"]
        self.samples = 0  # value and state samples checked
        self.scrapes = 0  # answers whose samples were checked
        self.wrong = collections.Counter()  # (sensor, kind) → wrong samples
        self.examples = []  # a few distinct wrong samples, for the summary
        self.wrong_scrapes = 0
        self.missing = 0  # threshold sensors without a value sample in scrapes with every collector up
        self.discrete = collections.defaultdict(collections.Counter)  # (name, states) → Counter of state values

    def check(self, port, body, complete):
        """Checks one 200 answer from the BMC on `port`; `complete`: every collector was up."""
        truth = self.bmcs[port]
        wrong_before = sum(self.wrong.values())
        seen = set()
        for match in SENSOR_SAMPLE.finditer(body):
            family, record_id, name, text = match.group(1).decode(), int(match.group(2)), match.group(3).decode(), \
                match.group(4).decode()
            is_value = family in VALUE_FAMILIES
            if not is_value and family not in STATE_FAMILIES:
                continue
            self.samples += 1
            sensor = truth.get(name)
            if sensor is None or sensor["record_id"] != record_id:
                self.record(name, "unknown sensor or record ID", port, f"{family} id {record_id}")
                continue
            value = float(text)
            if value != value:
                continue  # NaN: no reading (a state without a value); counted as absent below
            if is_value:
                seen.add(name)
                if not sensor["threshold"]:
                    self.record(name, "value of a discrete sensor", port, f"{family} {text}")
                elif abs(value / VALUE_FAMILIES[family] - sensor["reading"]) > sensor["step"] / 2:
                    self.record(name, "value", port, f"{family} {text}, truth {sensor['reading']:g}")
            elif sensor["threshold"]:
                if value != threshold_severity(sensor["threshold_status"]):
                    self.record(name, "state", port, f"{family} {text}, truth status "
                                f"{sensor['threshold_status']:#04x}")
            else:
                self.discrete[(name, tuple(sensor["states"]))][text] += 1
        if complete:
            self.missing += sum(1 for name, sensor in truth.items() if sensor["threshold"] and name not in seen)
        self.scrapes += 1
        if sum(self.wrong.values()) > wrong_before:
            self.wrong_scrapes += 1

    def record(self, name, kind, port, detail):
        self.wrong[(name, kind)] += 1
        example = f"127.0.0.1:{port} {name}: {detail}"
        if len(self.examples) < 8 and example not in self.examples:
            self.examples.append(example)

    def finish(self):
        """Discrete sensors: every sample of one sensor with the same asserted states must agree; the samples that
        differ from the most common value are wrong."""
        for (name, states), values in self.discrete.items():
            common, _ = values.most_common(1)[0]
            for value, count in values.items():
                if value != common:
                    self.wrong[(name, "discrete state")] += count
                    if len(self.examples) < 8:
                        self.examples.append(f"{name} (states {list(states)}): state {value} in {count} samples, "
                                             f"{common} in {values[common]}")

    def total_wrong(self):
        return sum(self.wrong.values())


class SimulatorStatus:
    """Reads the simulator's `status: sessions=N reboots=M bmcs=K` lines (--status-every) in a thread."""

    def __init__(self, process):
        self.latest = {}
        self.thread = threading.Thread(target=self.read, args=(process.stdout,), daemon=True)
        self.thread.start()

    def read(self, stream):
        for line in stream:
            if line.startswith("status:"):
                self.latest = dict(part.split("=", 1) for part in line.split()[1:])

    def get(self, key):
        return int(self.latest.get(key, -1))


class Soak:
    def __init__(self, args, port, base_port, truth):
        self.args = args
        self.truth = truth
        self.port = port
        self.targets = [f"127.0.0.1:{base_port + i}" for i in range(args.bmcs)]
        self.headers = [f"X-Prometheus-Scrape-Timeout-Seconds: {args.scrape_timeout:g}"]
        self.scrapes = 0
        self.succeeded = 0
        self.failures = collections.Counter()  # HTTP-level reasons
        self.latencies = []
        self.last_success = {}  # target → monotonic time of its last scrape with every collector up
        self.stop = False

    async def scraper(self, number):
        pool = lib.Pool(self.port, 1)
        rng = random.Random(number)
        try:
            while not self.stop:
                target = rng.choice(self.targets)
                begin = time.monotonic()
                try:
                    status, body = await pool.get(f"/ipmi?target={target}&module=default", self.headers,
                                                  timeout=self.args.scrape_timeout + 5)
                    problems = lib.scrape_problems(status, body)
                    if status == 200:
                        self.truth.check(int(target.rsplit(":", 1)[1]), body, complete=not problems)
                except asyncio.TimeoutError:
                    problems = ["client_timeout"]
                except (OSError, lib.HTTPError) as error:
                    problems = [f"connection:{type(error).__name__}"]
                    await asyncio.sleep(0.1)
                self.scrapes += 1
                self.latencies.append(time.monotonic() - begin)
                if problems:
                    self.failures[problems[0] if not problems[0].startswith("ipmi_up_0") else "ipmi_up 0"] += 1
                    for problem in problems:
                        if problem.startswith("ipmi_up_0"):
                            self.failures[problem.replace("ipmi_up_0:", "ipmi_up 0, collector ")] += 1
                else:
                    self.succeeded += 1
                    self.last_success[target] = time.monotonic()
        finally:
            pool.close()


def reasons_from_log(path):
    """(count of log lines giving a failure and its reason, Counter of 'message: error' texts)."""
    counted, reasons = 0, collections.Counter()
    with open(path, errors="replace") as f:
        for line in f:
            match = LOG_LINE.search(line)
            if not match or match.group(1) not in REASON_MESSAGES:
                continue
            counted += 1
            error = ERROR_FIELD.search(match.group(2))
            text = (error.group(1) or error.group(2)) if error else "(deadline)"
            # Numbers (sequence numbers, durations, ports) vary; the kind of error does not.
            text = re.sub(r"\d+(\.\d+)?", "N", text)[:100]
            reasons[f"{match.group(1)}: {text}"] += 1
    return counted, reasons


def fuzz_summary(root):
    """What the committed fuzz campaign covered: fuzz/campaign.log if present, else the table in docs/reliability.md."""
    corpus = sum(len(files) for _, _, files in os.walk(os.path.join(root, "fuzz", "corpus")))
    harnesses = sorted(os.path.basename(p) for p in glob.glob(os.path.join(root, "fuzz", "corpus", "*")))
    logfile = os.path.join(root, "fuzz", "campaign.log")
    if os.path.exists(logfile):
        with open(logfile) as f:
            return f"{f.read().strip()} (fuzz/campaign.log); corpus {corpus} inputs"
    table = os.path.join(root, "docs", "reliability.md")
    with open(table) as f:
        text = f.read()
    total = re.search(r"\|\s*\*\*total\*\*\s*\|\s*\*\*([\d,]+)\*\*\s*\|\s*\*\*([^*]+)\*\*", text)
    if total:
        return (f"{total.group(1)} inputs over {len(harnesses)} harnesses ({', '.join(harnesses)}), crashes: "
                f"{total.group(2)} (the committed campaign in docs/reliability.md; not re-run here); "
                f"committed corpus {corpus} inputs, replayed by `swift test`")
    return f"no campaign log found; committed corpus {corpus} inputs in fuzz/corpus (replayed by `swift test`)"


async def sessions_open(control):
    try:
        status, body = await control.get("/metrics", timeout=30)
    except (OSError, asyncio.TimeoutError, lib.HTTPError):
        return None, {}
    values = lib.parse_metrics(body.decode()) if status == 200 else {}
    return lib.metric_sum(values, "ipmi_exporter_sessions_open"), values


async def run(args, exporter, simulator, sim_status, port, base_port, log_path, truth):
    proc = lib.Proc(exporter.pid)
    control = lib.Pool(port, 1)
    idle = {"rss": proc.rss_bytes(), "fds": proc.sockets()[0]}
    _, metrics_start = await sessions_open(control)
    soak = Soak(args, port, base_port, truth)
    tasks = [asyncio.create_task(soak.scraper(i)) for i in range(args.scrapers)]
    begin = time.monotonic()
    warmup = args.warmup if args.warmup is not None else min(60.0, args.duration / 5)
    samples, warm = [], None
    next_report = begin + 60
    while time.monotonic() - begin < args.duration:
        await asyncio.sleep(min(5.0, max(0.1, args.duration - (time.monotonic() - begin))))
        if exporter.poll() is not None:
            break
        elapsed = time.monotonic() - begin
        sessions, _ = await sessions_open(control)
        sample = {"t": elapsed, "rss": proc.rss_bytes(), "fds": proc.sockets()[0], "sessions": sessions,
                  "sim_sessions": sim_status.get("sessions"), "scrapes": soak.scrapes}
        samples.append(sample)
        if warm is None and elapsed >= warmup:
            warm = sample
        if time.monotonic() >= next_report:
            next_report += 60
            log(f"{elapsed:.0f} s: {soak.scrapes} scrapes, {sum(soak.failures[k] for k in soak.failures if not k.startswith('ipmi_up 0, '))} "
                f"failed; RSS {sample['rss'] / 2**20:.1f} MB, fds {sample['fds']}, sessions exporter {sessions} "
                f"simulator {sample['sim_sessions']}, reboots {sim_status.get('reboots')}")
    end = samples[-1] if samples else None
    stuck_window = min(60.0, args.duration / 5)
    now = time.monotonic()
    stuck = [t for t in soak.targets if now - soak.last_success.get(t, begin) > stuck_window]
    soak.stop = True
    await asyncio.wait(tasks, timeout=args.scrape_timeout + 10)
    for task in tasks:
        task.cancel()
    elapsed = time.monotonic() - begin
    truth.finish()
    # Let the BMCs expire the sessions nobody uses (lost to a reboot, or replaced after a timeout).
    log(f"scrapers stopped; waiting {args.drain:g} s for idle sessions to expire …")
    await asyncio.sleep(args.drain)
    alive = exporter.poll() is None
    after = {}
    if alive:
        sessions, metrics_end = await sessions_open(control)
        after = {"fds": proc.sockets()[0], "rss": proc.rss_bytes(), "sessions": sessions,
                 "sim_sessions": sim_status.get("sessions"), "metrics": metrics_end}
    control.close()
    return {"soak": soak, "idle": idle, "warm": warm, "end": end, "after": after, "samples": samples,
            "elapsed": elapsed, "alive": alive, "sim_alive": simulator.poll() is None,
            "reboots": sim_status.get("reboots"), "metrics_start": metrics_start, "warmup": warmup,
            "log": reasons_from_log(log_path), "stuck": stuck, "stuck_window": stuck_window}


def delta_by_label(start, end, name, label):
    before = lib.by_label(start, name, label)
    return {k: v - before.get(k, 0) for k, v in lib.by_label(end, name, label).items() if v - before.get(k, 0)}


def summarize(args, result, root):
    soak = result["soak"]
    warm, end, after, idle = result["warm"], result["end"], result["after"], result["idle"]
    metrics_end = after.get("metrics", {})
    outcomes = delta_by_label(result["metrics_start"], metrics_end, "ipmi_exporter_scrapes_total", "outcome")
    errors = delta_by_label(result["metrics_start"], metrics_end, "ipmi_exporter_errors_total", "reason")
    dropped = delta_by_label(result["metrics_start"], metrics_end, "ipmi_exporter_packets_dropped_total", "reason")
    failed_collections = sum(v for k, v in outcomes.items() if k != "success")
    reason_lines, reasons = result["log"]
    http_errors = sum(v for k, v in soak.failures.items() if not k.startswith("ipmi_up 0"))
    up0 = soak.failures.get("ipmi_up 0", 0)

    checks = []

    def check(name, ok, detail):
        checks.append((name, ok, detail))

    truth = soak.truth
    check("no wrong values", truth.total_wrong() == 0 and truth.samples > 0,
          f"{truth.total_wrong()} wrong of {truth.samples} sensor samples in {truth.scrapes} answers")
    check("no crash", result["alive"] and result["sim_alive"],
          f"exporter {'alive' if result['alive'] else 'DIED'}, simulator {'alive' if result['sim_alive'] else 'DIED'}")
    check("every scrape answered 200", http_errors == 0, f"{http_errors} HTTP errors/timeouts of {soak.scrapes}")
    check("every ipmi_up 0 has a reason", (up0 == 0 or failed_collections > 0) and reason_lines >= failed_collections,
          f"{failed_collections} failed collections, {reason_lines} log lines with their reason")
    check("no BMC stuck down", not result["stuck"],
          f"{len(result['stuck'])} of {args.bmcs} BMCs without a fully successful scrape in the last "
          f"{result['stuck_window']:.0f} s" + (f" ({', '.join(result['stuck'][:10])})" if result["stuck"] else ""))
    if warm and end:
        growth = end["rss"] / warm["rss"] - 1
        check(f"RSS flat (≤ {args.rss_tolerance:.0%} after warm-up)", growth <= args.rss_tolerance,
              f"{warm['rss'] / 2**20:.1f} MB → {end['rss'] / 2**20:.1f} MB ({growth:+.1%})")
        check("no fd leak", end["fds"] <= warm["fds"] + 8 and after.get("fds", 10**9) <= idle["fds"] + 8,
              f"under load {warm['fds']} → {end['fds']}; idle {idle['fds']} before, {after.get('fds')} after")
    else:
        check("run long enough to measure", False, "no sample after the warm-up")
    if after:
        ok = 0 <= after["sessions"] <= args.bmcs and 0 <= after["sim_sessions"] <= args.bmcs
        check("no session leak", ok, f"exporter {after['sessions']:.0f}, simulator {after['sim_sessions']} "
              f"(≤ {args.bmcs} BMCs) after {args.drain:g} s idle")
    verdict = all(ok for _, ok, _ in checks)

    lat = soak.latencies
    print(f"bench/soak: {args.scrapers} concurrent scrapers for {result['elapsed']:.0f} s against {args.bmcs} simulated "
          f"BMCs with {args.loss:.0%} loss, {args.duplicate:.0%} duplicated and {args.delay_rate:.0%} delayed "
          f"(≤ {args.max_delay:g} ms) datagrams each way, {args.corrupt:.0%} corrupt and {args.truncate:.0%} "
          f"truncated answers, a random BMC rebooted every {args.reboot_every:g} s; {lib.machine_line()}")
    print(f"inputs fuzzed: {fuzz_summary(root)}")
    print(f"crashes: {'none' if result['alive'] and result['sim_alive'] else 'YES'}")
    print(f"wrong values: {truth.total_wrong()} of {truth.samples} sensor samples checked against the simulator's "
          f"truth in {truth.scrapes} answers ({truth.wrong_scrapes} answers with a wrong value); "
          f"{truth.missing} readings absent from scrapes with every collector up")
    for (name, kind), count in truth.wrong.most_common(8):
        print(f"  {count:6d}  {name}: wrong {kind}")
    for example in truth.examples:
        print(f"  e.g. {example}")
    print(f"scrapes: {soak.scrapes} ({soak.scrapes / max(1, result['elapsed']):.0f}/s), {soak.succeeded} with every "
          f"collector up, {up0} with some ipmi_up 0, {http_errors} HTTP errors; latency p50 "
          f"{lib.percentile(lat, .5) * 1000:.0f} ms, p99 {lib.percentile(lat, .99) * 1000:.0f} ms")
    print(f"collections by the exporter: {', '.join(f'{k} {v:.0f}' for k, v in sorted(outcomes.items()))}; "
          f"{lib.metric_sum(metrics_end, 'ipmi_exporter_handshakes_total') - lib.metric_sum(result['metrics_start'], 'ipmi_exporter_handshakes_total'):.0f} "
          f"handshakes, {result['reboots']} BMC reboots")
    if soak.failures:
        print("failed scrapes by kind: " + ", ".join(f"{k} {v}" for k, v in soak.failures.most_common()))
    print("failures by reason (ipmi_exporter_errors_total): "
          + (", ".join(f"{k} {v:.0f}" for k, v in sorted(errors.items())) or "none"))
    for text, count in reasons.most_common(8):
        print(f"  {count:6d}  {text}")
    if dropped:
        print("packets dropped by the transport: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(dropped.items())))
    if warm and end:
        print(f"RSS: idle {idle['rss'] / 2**20:.1f} MB, after warm-up ({warm['t']:.0f} s) {warm['rss'] / 2**20:.1f} MB, "
              f"end {end['rss'] / 2**20:.1f} MB, peak {max(s['rss'] for s in result['samples']) / 2**20:.1f} MB")
        print(f"fds: idle {idle['fds']}, after warm-up {warm['fds']}, end {end['fds']}, after the scrapers left "
              f"{after.get('fds')}")
        print(f"BMC sessions (exporter / simulator): after warm-up {warm['sessions']:.0f} / {warm['sim_sessions']}, "
              f"end {end['sessions']:.0f} / {end['sim_sessions']}, after {args.drain:g} s idle "
              f"{after.get('sessions', float('nan')):.0f} / {after.get('sim_sessions')}")
    for name, ok, detail in checks:
        print(f"  [{'ok' if ok else 'FAIL'}] {name}: {detail}")
    print(f"verdict: {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", required=True, help="path of the ipmi-exporter binary")
    parser.add_argument("--repo", required=True, help="repository root (for the fuzz corpus and campaign)")
    parser.add_argument("--duration", type=parse_duration, default=600.0, help="soak time, e.g. 10m, 60s (10m)")
    parser.add_argument("--warmup", type=parse_duration, default=None,
                        help="excluded from the RSS/fd comparison (a fifth of --duration, at most 60 s)")
    parser.add_argument("--scrapers", type=int, default=200, help="concurrent scrapers (200)")
    parser.add_argument("--bmcs", type=int, default=50, help="simulated BMCs (50)")
    parser.add_argument("--loss", type=float, default=0.05, help="fraction of datagrams lost each way (0.05)")
    parser.add_argument("--duplicate", type=float, default=0.05,
                        help="fraction of datagrams duplicated each way, the copy up to --max-delay later (0.05)")
    parser.add_argument("--delay-rate", type=float, default=0.05,
                        help="fraction of datagrams held back each way by up to --max-delay, reordered (0.05)")
    parser.add_argument("--max-delay", type=float, default=200, help="longest hold-back in ms (200)")
    parser.add_argument("--sabotage-truth", metavar="SENSOR",
                        help="shift SENSOR's truth by one raw step: shows that the wrong-value check fails")
    parser.add_argument("--corrupt", type=float, default=0.01)
    parser.add_argument("--truncate", type=float, default=0.01)
    parser.add_argument("--reboot-every", type=float, default=5.0, help="seconds between random BMC reboots (5)")
    parser.add_argument("--sim-session-timeout", type=int, default=30,
                        help="simulated BMCs' session idle timeout in s (30)")
    parser.add_argument("--drain", type=float, default=None,
                        help="idle wait after the scrapers stop before counting sessions (session timeout + 10 s)")
    parser.add_argument("--scrape-timeout", type=float, default=10.0)
    parser.add_argument("--rss-tolerance", type=float, default=0.10)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, configs)")
    args = parser.parse_args()
    if args.drain is None:
        args.drain = args.sim_session_timeout + 10

    lib.raise_fd_limit(args.bmcs + args.scrapers + 1024)

    def run_in(root):
        base_port = lib.free_udp_range(args.bmcs)
        truth_path = os.path.join(root, "truth.json")
        sim_config = lib.simulator_config(args.exporter, os.path.join(root, "sim.yml"), args.sim_session_timeout)
        simulator = lib.start_simulator(
            args.exporter, base_port, args.bmcs, os.path.join(root, "sim.log"),
            ["--config", sim_config, "--loss", str(args.loss), "--duplicate", str(args.duplicate), "--delay-rate",
             str(args.delay_rate), "--max-delay", str(round(args.max_delay)), "--corrupt", str(args.corrupt),
             "--truncate", str(args.truncate), "--reboot-every", str(args.reboot_every), "--status-every", "2",
             "--steady", "--truth-file", truth_path])
        sim_status = SimulatorStatus(simulator)
        truth = TruthCheck(truth_path, args.sabotage_truth)
        config = lib.write_exporter_config(os.path.join(root, "exporter.yml"), int(args.scrape_timeout * 1000), {})
        port = lib.free_tcp_port()
        log_path = os.path.join(root, "exporter.log")
        exporter = lib.start_exporter(args.exporter, config, port, log_path)
        log(f"soaking for {args.duration:g} s: {args.scrapers} scrapers, {args.bmcs} BMCs on udp "
            f"127.0.0.1:{base_port}-{base_port + args.bmcs - 1} …")
        result = asyncio.run(run(args, exporter, simulator, sim_status, port, base_port, log_path, truth))
        return summarize(args, result, args.repo)

    return lib.in_scratch("ipmi-soak-", run_in, keep=args.keep)


if __name__ == "__main__":
    lib.run_main(main)
