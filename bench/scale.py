#!/usr/bin/env python3
"""Scale benchmark: N simulated BMCs (one `ipmi-exporter simulate` process, consecutive loopback ports) scraped
by ONE exporter process, each target once per interval, the N scrapes spread evenly over the interval, as a
Prometheus with N scrape targets would. Run it through bench/scale, which builds first.

Timeline: one warm-up interval (handshakes, SDR downloads), then --intervals measured intervals. Reported for
the measured window: exporter CPU (% of one core, utime+stime from /proc/PID/stat), RSS total and per target,
open fds, UDP sockets, scrape latency p50/p99 (as the client sees it), failed scrapes (HTTP errors, timeouts,
any `ipmi_up 0`), the simulator's and this driver's CPU. Loopback only; every process is stopped at the end.
"""

import argparse
import asyncio
import collections
import os
import shutil
import subprocess
import time

import benchlib as lib
from benchlib import log


def parse_duration(text):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in ("ms", "s", "m", "h"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    return float(text)


class Driver:
    """Schedules the scrapes and records their outcome."""

    def __init__(self, args, exporter_port, base_port):
        self.args = args
        self.pool = lib.Pool(exporter_port, args.connections)
        self.paths = [f"/ipmi?target=127.0.0.1:{base_port + i}&module=default" for i in range(args.bmcs)]
        self.headers = [f"X-Prometheus-Scrape-Timeout-Seconds: {args.scrape_timeout:g}"]
        self.latencies = []
        self.failures = collections.Counter()
        self.failed_targets = set()
        self.scrapes = 0
        self.max_lag = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.measuring = False

    async def scrape(self, index, scheduled):
        measuring = self.measuring
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        timing = {}
        try:
            status, body = await self.pool.get(self.paths[index], self.headers, timeout=self.args.scrape_timeout + 5,
                                               timing=timing)
            problems = lib.scrape_problems(status, body)
        except asyncio.TimeoutError:
            problems = ["client_timeout"]
        except (OSError, lib.HTTPError) as error:
            problems = [f"connection:{type(error).__name__}"]
        finally:
            self.in_flight -= 1
        # From writing the request (a free keep-alive connection found) to the whole body read.
        elapsed = time.monotonic() - timing.get("sent", scheduled)
        lag = timing.get("sent", scheduled) - scheduled  # behind schedule: the driver or a connection was busy
        if measuring:
            self.scrapes += 1
            self.max_lag = max(self.max_lag, lag)
            self.latencies.append(elapsed)
            if lag > self.args.scrape_timeout:
                # Prometheus would have given up on it: the exporter (or this driver) fell that far behind.
                problems = problems + ["sent_later_than_the_scrape_timeout"]
            if problems:
                self.failed_targets.add(index)
                for problem in problems:
                    self.failures[problem] += 1
                self.failures["(scrapes with any failure)"] += 1

    async def run_interval(self, start, interval):
        """Starts target i at start + i·interval/N; returns when the last one is started."""
        n = self.args.bmcs
        tasks = set()
        for index in range(n):
            scheduled = start + index * interval / n
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.scrape(index, scheduled))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return tasks


class Sampler:
    """Peak RSS, fds and sockets of a process, sampled every few seconds."""

    def __init__(self, proc):
        self.proc = proc
        self.peak_rss = 0
        self.peak_fds = 0
        self.peak_udp = 0

    async def run(self):
        while True:
            self.sample()
            await asyncio.sleep(2)

    def sample(self):
        self.peak_rss = max(self.peak_rss, self.proc.rss_bytes())
        fds, udp, _ = self.proc.sockets()
        self.peak_fds = max(self.peak_fds, fds)
        self.peak_udp = max(self.peak_udp, udp)


class ColdStartWatch:
    """When every target has had its cold start (handshake + SDR read): polls the exporter's self-metrics."""

    def __init__(self, pool, targets, start):
        self.pool = pool
        self.targets = targets
        self.start = start
        self.all_warm_after = None
        self.peak_waiting = 0
        self.peak_running = 0

    async def run(self):
        while self.all_warm_after is None:
            await asyncio.sleep(2)
            try:
                values = await exporter_metrics(self.pool)
            except Exception:  # a slow answer under load: try again
                continue
            waiting = lib.metric_sum(values, "ipmi_exporter_cold_starts_waiting")
            running = lib.metric_sum(values, "ipmi_exporter_cold_starts_running")
            self.peak_waiting = max(self.peak_waiting, waiting)
            self.peak_running = max(self.peak_running, running)
            warm = lib.metric_sum(values, "ipmi_exporter_sdr_cache_misses_total")
            if warm >= self.targets and waiting == 0 and running == 0:
                self.all_warm_after = time.monotonic() - self.start


async def exporter_metrics(pool):
    status, body = await pool.get("/metrics", timeout=30)
    return lib.parse_metrics(body.decode()) if status == 200 else {}


async def measure(args, exporter, simulator, exporter_port, base_port, root):
    driver = Driver(args, exporter_port, base_port)
    control = lib.Pool(exporter_port, 1)
    proc, sim = lib.Proc(exporter.pid), lib.Proc(simulator.pid)
    idle_rss = proc.rss_bytes()
    idle_fds, idle_udp, _ = proc.sockets()
    sampler = Sampler(proc)
    sampling = asyncio.create_task(sampler.run())
    loop_start = time.monotonic() + 0.5
    watch = ColdStartWatch(lib.Pool(exporter_port, 1), args.bmcs, loop_start)
    watching = asyncio.create_task(watch.run())
    pending = set()
    total = args.warmup_intervals + args.intervals
    cpu, sim_cpu = lib.CPUWindow(proc), lib.CPUWindow(sim)
    self_cpu0 = sum(os.times()[:2])
    before = {}
    perf = None
    # Warm-up intervals may be longer (--warmup-interval): a cold scrape costs a handshake and an SDR read.
    lengths = [args.warmup_interval or args.interval] * args.warmup_intervals + [args.interval] * args.intervals
    for k in range(total):
        start = loop_start + sum(lengths[:k])
        if k == args.warmup_intervals:
            # The measured window begins: everything before it was warm-up.
            before = await exporter_metrics(control)
            cpu.start()
            sim_cpu.start()
            self_cpu0 = sum(os.times()[:2])
            driver.measuring = True
            if args.perf:
                perf = start_perf(exporter.pid, args.perf, root)
        log(f"interval {k + 1}/{total} ({'warm-up' if k < args.warmup_intervals else 'measured'}): "
            f"{args.bmcs} scrapes over {lengths[k]:g} s; exporter RSS {proc.rss_bytes() / 2**20:.0f} MB, "
            f"in flight now {driver.in_flight}")
        pending |= await driver.run_interval(start, lengths[k])
    # Wait out the last interval: its last scrape starts just before its end.
    end = loop_start + sum(lengths)
    await asyncio.sleep(max(0, end - time.monotonic()))
    if pending:
        await asyncio.wait(pending, timeout=args.scrape_timeout + 10)
    unfinished = [task for task in pending if not task.done()]
    if unfinished:
        driver.failures["unfinished_at_the_end"] += len(unfinished)
        driver.failures["(scrapes with any failure)"] += len(unfinished)
        for task in unfinished:
            task.cancel()
    exporter_cpu, simulator_cpu = cpu.stop(), sim_cpu.stop()
    driver_cpu = (sum(os.times()[:2]) - self_cpu0) / cpu.seconds
    sampler.sample()
    sampling.cancel()
    watching.cancel()
    watch.pool.close()
    after = await exporter_metrics(control)
    fds, udp, tcp = proc.sockets()
    result = {
        "window": cpu.seconds, "exporter_cpu": exporter_cpu, "simulator_cpu": simulator_cpu,
        "driver_cpu": driver_cpu, "rss": proc.rss_bytes(), "idle_rss": idle_rss, "peak_rss": sampler.peak_rss,
        "fds": fds, "udp": udp, "tcp": tcp, "idle_fds": idle_fds, "idle_udp": idle_udp,
        "peak_fds": sampler.peak_fds, "peak_udp": sampler.peak_udp, "threads": proc.threads(),
        "simulator_rss": sim.rss_bytes(), "driver": driver, "before": before, "after": after,
        "connections": driver.pool.opened, "cold": watch,
    }
    if perf:
        result["perf"] = finish_perf(perf, root)
    driver.pool.close()
    control.close()
    return result


def start_perf(pid, seconds, root):
    if shutil.which("perf") is None:
        log("perf not installed: no profile")
        return None
    data = os.path.join(root, "perf.data")
    log(f"profiling the exporter with perf for {seconds} s …")
    process = lib.start(["perf", "record", "-F", "199", "-g", "-p", str(pid), "-o", data, "--", "sleep",
                         str(seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, data


def finish_perf(perf, root):
    process, data = perf
    process.wait(timeout=600)
    sections = []
    for sort, limit, rows in (("dso", "1", 12), ("dso,sym", "0.7", 30)):
        report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
                                 "-g", "none", "--percent-limit", limit], capture_output=True, text=True)
        sections += [line for line in report.stdout.splitlines() if line.strip() and not line.startswith("#")][:rows]
        sections.append("")
    return "\n".join(sections)


def delta(result, name):
    return lib.metric_sum(result["after"], name) - lib.metric_sum(result["before"], name)


def print_summary(args, result, settings):
    driver = result["driver"]
    n = args.bmcs
    latencies = driver.latencies
    failed = driver.failures.get("(scrapes with any failure)", 0)
    rss_per_target = result["rss"] / n
    grown_per_target = (result["rss"] - result["idle_rss"]) / n
    cpu = result["exporter_cpu"] * 100
    expected = args.intervals * n

    def check(ok):
        return "yes" if ok else "NO"

    print(f"bench/scale: {n} simulated BMCs, one exporter, one scrape per target every {args.interval:g} s "
          f"({n / args.interval:.0f} scrapes/s), {args.warmup_intervals} warm-up "
          f"({args.warmup_interval or args.interval:g} s) + {args.intervals} measured "
          f"intervals ({result['window']:.0f} s); {lib.machine_line()}")
    print(f"exporter settings: {', '.join(f'{k}: {v}' for k, v in settings.items())}; module collectors: "
          f"{args.collectors or 'default (ipmi, dcmi, bmc, chassis)'}, timeout {args.module_timeout} ms")
    print()
    print("| measure | value | target | met |")
    print("|---|---:|---|---|")
    print(f"| exporter CPU (utime+stime over the window) | {cpu:.1f} % of one core | ≤ 50 % | {check(cpu <= 50)} |")
    print(f"| exporter RSS at the end | {result['rss'] / 2**20:.0f} MB (peak {result['peak_rss'] / 2**20:.0f} MB, "
          f"idle before any scrape {result['idle_rss'] / 2**20:.0f} MB) | | |")
    print(f"| RSS per target (total / {n}) | {rss_per_target / 1024:.1f} KB "
          f"({grown_per_target / 1024:.1f} KB above idle) | ≤ 50 KB | {check(rss_per_target <= 50 * 1024)} |")
    print(f"| exporter open fds (end; peak) | {result['fds']}; {result['peak_fds']} | | |")
    print(f"| exporter UDP sockets (end; peak) | {result['udp']}; {result['peak_udp']} | a handful | "
          f"{check(result['peak_udp'] <= 8)} |")
    print(f"| exporter TCP sockets (listener + HTTP keep-alive) | {result['tcp']} | | |")
    print(f"| exporter threads | {result['threads']} | | |")
    print(f"| scrapes measured | {driver.scrapes} of {expected} | | {check(driver.scrapes == expected)} |")
    print(f"| scrape latency p50 / p99 / max | {lib.percentile(latencies, .5) * 1000:.1f} / "
          f"{lib.percentile(latencies, .99) * 1000:.1f} / {max(latencies, default=float('nan')) * 1000:.1f} ms "
          "| | |")
    print(f"| failed scrapes (HTTP error, timeout or any ipmi_up 0) | {failed} ({len(driver.failed_targets)} "
          f"targets) | 0 | {check(failed == 0)} |")
    print(f"| simulator CPU ({n} BMCs, one process) | {result['simulator_cpu'] * 100:.1f} % of one core, "
          f"RSS {result['simulator_rss'] / 2**20:.0f} MB | | |")
    print(f"| load driver CPU (this script) | {result['driver_cpu'] * 100:.1f} % of one core; "
          f"{result['connections']} HTTP connections; max send lag {driver.max_lag * 1000:.0f} ms; "
          f"max in flight {driver.max_in_flight} | | |")
    print()
    handshakes = delta(result, "ipmi_exporter_handshakes_total")
    print(f"exporter self-metrics over the window: {delta(result, 'ipmi_exporter_scrapes_total'):.0f} collections, "
          f"{handshakes:.0f} handshakes ({delta(result, 'ipmi_exporter_rehandshakes_total'):.0f} after a lost "
          f"session), {lib.metric_sum(result['after'], 'ipmi_exporter_sessions_open'):.0f} sessions open at the "
          f"end, {delta(result, 'ipmi_exporter_packets_sent_total'):.0f} packets sent "
          f"({delta(result, 'ipmi_exporter_packets_sent_total') / max(1, driver.scrapes):.1f} per scrape), "
          f"{delta(result, 'ipmi_exporter_packets_retransmitted_total'):.0f} retransmitted, SDR cache misses "
          f"{delta(result, 'ipmi_exporter_sdr_cache_misses_total'):.0f}")
    cold = result["cold"]
    warm_after = (f"{cold.all_warm_after:.0f} s after the first scrape" if cold.all_warm_after is not None
                  else "not within the run")
    print(f"cold starts (handshake + SDR read, at most {settings.get('max_concurrent_cold_starts', 'default')} "
          f"at once): every target warm {warm_after}; peak {cold.peak_waiting:.0f} waiting, "
          f"{cold.peak_running:.0f} running; {lib.metric_sum(result['after'], 'ipmi_exporter_cold_starts_total'):.0f} "
          f"in all")
    errors = {k: v - lib.by_label(result["before"], "ipmi_exporter_errors_total", "reason").get(k, 0)
              for k, v in lib.by_label(result["after"], "ipmi_exporter_errors_total", "reason").items()}
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        print(f"exporter errors by reason: {errors}")
    if driver.failures:
        reasons = ", ".join(f"{k}: {v}" for k, v in driver.failures.most_common())
        print(f"failures by reason: {reasons}")
    if "perf" in result:
        print("\nperf profile of the exporter (self time, top symbols):")
        print(result["perf"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", required=True, help="path of the ipmi-exporter binary")
    parser.add_argument("--bmcs", type=int, default=10000, help="simulated BMCs = scrape targets (default 10000)")
    parser.add_argument("--interval", type=parse_duration, default=60.0, help="scrape interval per target (60s)")
    parser.add_argument("--intervals", type=int, default=3, help="measured intervals after the warm-up (3)")
    parser.add_argument("--warmup-intervals", type=int, default=1)
    parser.add_argument("--warmup-interval", type=parse_duration, default=None,
                        help="length of each warm-up interval (default: --interval); longer spreads the cold "
                             "scrapes (handshake + SDR read) thinner")
    parser.add_argument("--duration", type=parse_duration, default=None,
                        help="measured time instead of --intervals (rounded up to whole intervals), e.g. 2m")
    parser.add_argument("--connections", type=int, default=256, help="HTTP keep-alive connections at most (256)")
    parser.add_argument("--scrape-timeout", type=float, default=10.0,
                        help="X-Prometheus-Scrape-Timeout-Seconds sent with every scrape (10)")
    parser.add_argument("--module-timeout", type=int, default=10000, help="module timeout in ms (10000)")
    parser.add_argument("--collectors", default=None, help="module collectors, comma-separated (exporter default)")
    parser.add_argument("--window", type=int, default=None, help="exporter.max_outstanding_requests")
    parser.add_argument("--max-concurrent-scrapes", type=int, default=None, help="exporter.max_concurrent_scrapes")
    parser.add_argument("--max-concurrent-cold-starts", type=int, default=None,
                        help="exporter.max_concurrent_cold_starts (exporter default: 8 per core)")
    parser.add_argument("--session-idle-timeout", default="5m", help="exporter.session_idle_timeout (5m)")
    parser.add_argument("--sim-session-timeout", type=int, default=None,
                        help="simulated BMCs' session idle timeout in s (simulator default 60)")
    parser.add_argument("--perf", type=int, default=0, metavar="SECONDS",
                        help="perf-record the exporter for SECONDS at the start of the measured window")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, configs)")
    args = parser.parse_args()
    if args.duration is not None:
        args.intervals = max(1, int(-(-args.duration // args.interval)))

    lib.raise_fd_limit(args.bmcs + 1024)

    def run(root):
        base_port = lib.free_udp_range(args.bmcs)
        sim_extra = []
        if args.sim_session_timeout is not None:
            sim_extra = ["--config", lib.simulator_config(args.exporter, os.path.join(root, "sim.yml"),
                                                          args.sim_session_timeout)]
        log(f"starting {args.bmcs} simulated BMCs on udp 127.0.0.1:{base_port}-{base_port + args.bmcs - 1} …")
        begin = time.monotonic()
        simulator = lib.start_simulator(args.exporter, base_port, args.bmcs, os.path.join(root, "sim.log"),
                                        sim_extra)
        log(f"… up in {time.monotonic() - begin:.1f} s")
        settings = {"session_idle_timeout": args.session_idle_timeout}
        if args.window is not None:
            settings["max_outstanding_requests"] = args.window
        if args.max_concurrent_scrapes is not None:
            settings["max_concurrent_scrapes"] = args.max_concurrent_scrapes
        if args.max_concurrent_cold_starts is not None:
            settings["max_concurrent_cold_starts"] = args.max_concurrent_cold_starts
        config = lib.write_exporter_config(
            os.path.join(root, "exporter.yml"), args.module_timeout, settings,
            args.collectors.split(",") if args.collectors else None)
        port = lib.free_tcp_port()
        exporter = lib.start_exporter(args.exporter, config, port, os.path.join(root, "exporter.log"))
        result = asyncio.run(measure(args, exporter, simulator, port, base_port, root))
        print_summary(args, result, settings)
        if simulator.poll() is not None or exporter.poll() is not None:
            print("a process died during the run")
            return 1
        return 0

    return lib.in_scratch("ipmi-scale-", run, keep=args.keep)


if __name__ == "__main__":
    lib.run_main(main)
