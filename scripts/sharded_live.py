"""The live check of deploy/prometheus/prometheus-sharded.yml; run it through scripts/check-sharded-live.sh, whose
header says what it checks. Children (simulator, exporters, Prometheus) are started and always stopped by
bench/benchlib.py; everything listens on and talks to 127.0.0.1 only."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "bench"))
import benchlib  # noqa: E402

EXPORTERS = 3
PLACEHOLDER = re.compile(r"^ipmi-exporter-(\d+)\.example\.net:9290$")
FAILED = []


def check(ok, what, detail=""):
    print(f"{'ok' if ok else 'FAIL'} - {what}" + (f" ({detail})" if detail else ""), flush=True)
    if not ok:
        FAILED.append(what)
    return ok


class SimulatorStatus:
    """The simulator's `status: key=value …` lines (--status-every), read in a thread; `after(t)` waits for a
    line printed after monotonic time t, so a reading reflects what happened before it."""

    def __init__(self, process):
        self.latest, self.at = {}, 0.0
        self.changed = threading.Condition()
        threading.Thread(target=self.read, args=(process.stdout,), daemon=True).start()

    def read(self, stream):
        for line in stream:
            if line.startswith("status:"):
                with self.changed:
                    self.latest = {k: int(v) for k, v in (part.split("=", 1) for part in line.split()[1:])}
                    self.at = time.monotonic()
                    self.changed.notify_all()

    def after(self, t, seconds=15):
        with self.changed:
            self.changed.wait_for(lambda: self.at > t, timeout=seconds)
            return dict(self.latest) if self.at > t else {}


def prom_query(prom, expr):
    url = f"{prom}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body.get('error')}")
    return body["data"]["result"]


def scalar(prom, expr):
    """The value of a one-element vector, 0 for an empty one (count() of nothing is empty)."""
    result = prom_query(prom, expr)
    return int(float(result[0]["value"][1])) if result else 0


def self_metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def ready(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def poll(predicate, seconds, step=0.25):
    """Calls predicate until it returns a true value or `seconds` pass; returns its last value."""
    end = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > end:
            return value
        time.sleep(step)


def prometheus_config(root, exporters, bmcs, interval):
    """deploy/prometheus/prometheus-sharded.yml with the exporter placeholders made loopback ports, the intervals
    shortened, the BMC list as its file_sd file, and the rules with `for:` 0s (every expression unchanged)."""
    with open(os.path.join(REPO, "deploy/prometheus/prometheus-sharded.yml")) as f:
        config = yaml.safe_load(f)
    replaced = 0

    def localize(node):
        nonlocal replaced
        if isinstance(node, dict):
            return {k: localize(v) for k, v in node.items()}
        if isinstance(node, list):
            return [localize(v) for v in node]
        if isinstance(node, str) and PLACEHOLDER.match(node):
            replaced += 1
            return f"127.0.0.1:{exporters[int(PLACEHOLDER.match(node).group(1))]}"
        return node

    config = localize(config)
    # 3 relabelling replacements and 3 static targets of the exporters' own job.
    if replaced != 2 * EXPORTERS:
        raise SystemExit(f"prometheus-sharded.yml: expected {2 * EXPORTERS} exporter addresses, found {replaced}")
    config["global"].update(scrape_interval=f"{interval}s", evaluation_interval=f"{interval}s",
                            scrape_timeout=f"{max(1, interval - 1)}s")
    os.makedirs(os.path.join(root, "targets"))
    with open(os.path.join(root, "targets", "fleet.yml"), "w") as f:
        yaml.safe_dump([{"targets": [f"127.0.0.1:{p}" for p in bmcs]}], f)
    os.makedirs(os.path.join(root, "rules"))
    for name in config["rule_files"]:
        with open(os.path.join(REPO, "deploy/prometheus", name)) as f:
            rules = yaml.safe_load(f)
        for group in rules["groups"]:
            group["interval"] = f"{interval}s"
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = "0s"
        with open(os.path.join(root, name), "w") as f:
            yaml.safe_dump(rules, f, sort_keys=False)
    path = os.path.join(root, "prometheus.yml")
    with open(path, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    subprocess.run(["promtool", "check", "config", path], check=True, capture_output=True)
    return path


def run(root, exe):
    interval = int(os.environ.get("INTERVAL", "10"))
    count = int(os.environ.get("BMCS", "300"))
    started = time.monotonic()
    benchlib.raise_fd_limit(count + 1024)

    # The BMCs: user "reader" (User privilege) is one of the simulator's test credentials.
    base = benchlib.free_udp_range(count)
    bmcs = list(range(base, base + count))
    simulator = benchlib.start_simulator(exe, base, count, os.path.join(root, "simulator.log"),
                                         extra=["--status-every", "1", "--steady"])
    status = SimulatorStatus(simulator)
    with open(os.path.join(root, "bmc-password"), "w") as f:
        f.write("reader\n")
    os.chmod(os.path.join(root, "bmc-password"), 0o600)
    config = os.path.join(root, "ipmi.yml")
    with open(config, "w") as f:
        f.write("modules:\n  default:\n    user: reader\n"
                f"    password_file: {os.path.join(root, 'bmc-password')}\n"
                "    privilege: user\n    driver: LAN_2_0\n"
                f"    timeout: {max(1000, (interval - 2) * 1000)}\n    collectors: [ipmi, bmc, chassis]\n")
    ports = [benchlib.free_tcp_port() for _ in range(EXPORTERS)]
    processes = [benchlib.start_exporter(exe, config, p, os.path.join(root, f"exporter-{i}.log"))
                 for i, p in enumerate(ports)]

    prom_port = benchlib.free_tcp_port()
    prom = f"http://127.0.0.1:{prom_port}"
    benchlib.start(["prometheus", f"--config.file={prometheus_config(root, ports, bmcs, interval)}",
                    f"--storage.tsdb.path={os.path.join(root, 'data')}", f"--web.listen-address=127.0.0.1:{prom_port}",
                    "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=open(os.path.join(root, "prometheus.log"), "w"))
    benchlib.wait_for(lambda: ready(f"{prom}/-/ready"), "prometheus ready")
    print(f"# {count} simulated BMCs on udp 127.0.0.1:{base}-{base + count - 1}, exporters on "
          f"{', '.join(f'127.0.0.1:{p}' for p in ports)}, prometheus on {prom}, interval {interval}s", flush=True)

    # 1. Every BMC up through exactly one exporter.
    all_up = poll(lambda: scalar(prom, 'count(min by (instance) (ipmi_up{job="ipmi"}) == 1)') == count
                  and scalar(prom, 'count(up{job="ipmi"} == 1)') == count, 3 * interval + 60)
    check(all_up, f"all {count} BMCs scraped with every ipmi_up 1",
          f"{scalar(prom, 'count(min by (instance) (ipmi_up) == 1)')} up after {time.monotonic() - started:.0f} s")
    if not all_up:
        return 1
    # One more interval: every BMC has had a scrape over its kept session.
    time.sleep(interval)
    shares = {r["metric"]["exporter"]: int(float(r["value"][1]))
              for r in prom_query(prom, 'count by (exporter) (up{job="ipmi"})')}
    share = [shares.get(f"127.0.0.1:{p}", 0) for p in ports]
    print("# share per exporter: " + ", ".join(f"exporter-{i} (127.0.0.1:{p}) {n} BMCs"
                                               for i, (p, n) in enumerate(zip(ports, share))), flush=True)
    check(sum(share) == count and all(n > 0 for n in share) and len(shares) == EXPORTERS,
          "hashmod spreads the BMCs over the 3 exporters", f"shares {share}")
    check(scalar(prom, 'count(count by (instance) (up{job="ipmi"}) > 1)') == 0
          and scalar(prom, 'count(count by (instance) (up{job="ipmi"}))') == count,
          "every BMC is a target of exactly one exporter")
    sessions = [self_metrics(p).get("ipmi_exporter_sessions_open", -1) for p in ports]
    check(sessions == share, "each exporter's ipmi_exporter_sessions_open equals its share",
          f"sessions {[int(s) for s in sessions]}")
    sim = status.after(time.monotonic())
    check(sim.get("sessions") == count and sim.get("bmcs_with_sessions") == count
          and sim.get("max_sessions_per_bmc") == 1, "the simulator holds one session on every BMC", f"status {sim}")
    check(scalar(prom, 'count(ipmi_up{job="ipmi"} != 1)') == 0, "no ipmi_up other than 1")

    # 2. Stop one exporter (SIGTERM, as systemctl stop does): only its BMCs go down, the alert fires.
    down = 1
    down_addr = f"127.0.0.1:{ports[down]}"
    processes[down].send_signal(signal.SIGTERM)
    processes[down].wait(timeout=30)
    stopped = time.monotonic()
    firing = f'ALERTS{{alertname="IPMIExporterDown",alertstate="firing"}}'
    went_down = poll(lambda: scalar(prom, f'count(up{{job="ipmi",exporter="{down_addr}"}} == 0)') == share[down]
                     and scalar(prom, f'count({firing})') == share[down] + 1, 3 * interval + 30)
    check(went_down, f"exporter-{down} stopped: its {share[down]} BMCs down and IPMIExporterDown firing",
          f"after {time.monotonic() - stopped:.1f} s")
    alerts = prom_query(prom, firing)
    own = {a["metric"].get("instance") for a in alerts if a["metric"].get("job") == "ipmi"
           and a["metric"].get("exporter") == down_addr}
    check(len(own) == share[down] and any(a["metric"].get("job") == "ipmi-exporter"
                                          and a["metric"].get("instance") == down_addr for a in alerts)
          and len(alerts) == share[down] + 1,
          "IPMIExporterDown fires for the stopped exporter and its BMCs only",
          f"{len(alerts)} firing, {len(own)} of its BMCs")
    others = count - share[down]
    check(scalar(prom, f'count(up{{job="ipmi",exporter!="{down_addr}"}} == 1)') == others
          and scalar(prom, f'count(min by (instance) (ipmi_up{{exporter!="{down_addr}"}}) == 1)') == others,
          f"the other {others} BMCs stay up with ipmi_up 1")
    sim = status.after(time.monotonic())
    check(sim.get("sessions") == others and sim.get("max_sessions_per_bmc") == 1,
          "the stopped exporter closed its sessions (simulator)", f"status {sim}")

    # 3. Start it again on the same port: its BMCs come back within two scrape intervals, and stay warm.
    restarted = time.monotonic()
    processes[down] = benchlib.start_exporter(exe, config, ports[down], os.path.join(root, f"exporter-{down}b.log"))
    back = poll(lambda: scalar(prom, f'count(up{{job="ipmi",exporter="{down_addr}"}} == 1)') == share[down]
                and scalar(prom, f'count(min by (instance) (ipmi_up{{exporter="{down_addr}"}}) == 1)') == share[down],
                4 * interval, step=0.1)
    recovery = time.monotonic() - restarted
    print(f"# exporter-{down} restarted: its {share[down]} BMCs up again after {recovery:.1f} s "
          f"({recovery / interval:.2f} scrape intervals of {interval} s)", flush=True)
    check(back and recovery <= 2 * interval, f"its BMCs are back within two scrape intervals ({2 * interval} s)",
          f"{recovery:.1f} s")
    time.sleep(interval + 1)
    metrics = self_metrics(ports[down])
    handshakes = metrics.get('ipmi_exporter_handshakes_total{result="success"}', -1)
    check(metrics.get("ipmi_exporter_sessions_open") == share[down] and handshakes == share[down]
          and metrics.get("ipmi_exporter_sdr_cache_hits_total", 0) > 0,
          "warm after the restart: one handshake per BMC, sessions kept, SDR cache hits",
          f"sessions {metrics.get('ipmi_exporter_sessions_open')}, handshakes {handshakes}, SDR hits "
          f"{metrics.get('ipmi_exporter_sdr_cache_hits_total')}")
    check(poll(lambda: scalar(prom, f"count({firing})") == 0, 2 * interval), "IPMIExporterDown resolved")
    sim = status.after(time.monotonic())
    check(sim.get("sessions") == count and sim.get("bmcs_with_sessions") == count
          and sim.get("max_sessions_per_bmc") == 1, "the simulator holds one session on every BMC again",
          f"status {sim}")
    print(f"check-sharded-live: {'PASS' if not FAILED else 'FAIL'} in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if FAILED else 0


def main():
    exe = os.path.abspath(sys.argv[1])
    return benchlib.in_scratch("check-sharded-", lambda root: run(root, exe), keep=os.environ.get("KEEP") == "1")


if __name__ == "__main__":
    benchlib.run_main(main)
