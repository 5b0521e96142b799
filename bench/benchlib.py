"""Helpers shared by bench/scale.py and bench/soak.py: child processes that are always stopped, /proc readings
of a process (CPU, RSS, file descriptors, UDP sockets), the simulator's and the exporter's start-up, a small
asyncio HTTP/1.1 keep-alive client for /ipmi scrapes, and parsing of scrape bodies and self-metrics.

Everything listens on and talks to 127.0.0.1 only.
"""

import asyncio
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
CHILDREN = []  # every Popen started here, stopped at exit
UP_ZERO = re.compile(rb'^ipmi_up\{collector="([^"]*)"\} 0$', re.M)
UP_ANY = re.compile(rb"^ipmi_up\{", re.M)


def log(message):
    print(message, file=sys.stderr, flush=True)


def start(argv, **kwargs):
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, **kwargs)
    CHILDREN.append(process)
    return process


def stop_all(grace=5.0):
    """SIGTERM to every child (the exporter closes its BMC sessions politely), SIGKILL to those still running
    after `grace` seconds; grace 0 kills at once (ipmi_sim ignores SIGTERM)."""
    for process in reversed(CHILDREN):
        if process.poll() is None:
            try:
                process.kill() if grace <= 0 else process.terminate()
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for process in CHILDREN:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def run_main(main):
    """Runs main() so that SIGTERM and SIGINT stop every child and the exit status says what happened."""

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        status = main()
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
    except SystemExit:
        stop_all()
        raise
    except BaseException:
        stop_all()
        raise
    stop_all()
    sys.exit(status or 0)


def in_scratch(prefix, body, keep=False):
    """Runs body(root) in a new scratch directory and returns its exit status; then stops every child and
    removes the directory, unless `keep` or the status is non-zero (the logs are kept to look at)."""
    root = tempfile.mkdtemp(prefix=prefix)
    status = 1
    try:
        status = body(root)
        return status
    finally:
        stop_all()
        if keep or status:
            log(f"logs and configs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def raise_fd_limit(needed):
    """Raises the soft RLIMIT_NOFILE (inherited by the children) to at least `needed`, within the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(
            f"error: {needed} file descriptors are needed (one UDP socket per simulated BMC plus slack), but the "
            f"hard limit is {hard}: raise it (e.g. `ulimit -Hn {needed}` as root, or LimitNOFILE=) or use fewer BMCs")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return needed


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bound_udp_ports():
    ports = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    ports.add(int(line.split()[1].rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            pass
    return ports


def free_udp_range(count, low=20000, high=32767):
    """The first `count` consecutive UDP ports below the ephemeral range that nobody has bound."""
    taken = bound_udp_ports()
    base = low
    while base + count - 1 <= high:
        clash = [p for p in range(base, base + count) if p in taken]
        if not clash:
            return base
        base = clash[-1] + 1
    raise SystemExit(f"error: no {count} consecutive free UDP ports between {low} and {high}")


def wait_for(predicate, what, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def tcp_listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Proc:
    """Readings of one process from /proc."""

    def __init__(self, pid):
        self.pid = pid

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        return (int(fields[11]) + int(fields[12])) / TICK

    def rss_bytes(self):
        with open(f"/proc/{self.pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE

    def fd_targets(self):
        targets = []
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                targets.append(os.readlink(f"/proc/{self.pid}/fd/{fd}"))
            except OSError:
                pass  # closed meanwhile
        return targets

    def threads(self):
        return len(os.listdir(f"/proc/{self.pid}/task"))

    def sockets(self):
        """(open fds, UDP sockets, TCP sockets) of the process."""
        targets = self.fd_targets()
        inodes = {t[8:-1] for t in targets if t.startswith("socket:[")}
        counts = {}
        for kind in ("udp", "tcp"):
            found = 0
            for table in (f"/proc/net/{kind}", f"/proc/net/{kind}6"):
                try:
                    with open(table) as f:
                        next(f)
                        found += sum(1 for line in f if line.split()[9] in inodes)
                except FileNotFoundError:
                    pass
            counts[kind] = found
        return len(targets), counts["udp"], counts["tcp"]


class CPUWindow:
    """CPU use of a process between start() and stop(), as a fraction of one core."""

    def __init__(self, proc):
        self.proc = proc

    def start(self):
        self.cpu0, self.t0 = self.proc.cpu_seconds(), time.monotonic()

    def stop(self):
        self.cpu = self.proc.cpu_seconds() - self.cpu0
        self.seconds = time.monotonic() - self.t0
        return self.cpu / self.seconds


def simulator_config(binary, path, session_timeout=None):
    """Writes the built-in simulated server's YAML, with another session idle timeout if asked."""
    text = subprocess.run([binary, "simulate", "--print-default-config"], check=True, capture_output=True,
                          text=True).stdout
    if session_timeout is not None:
        text, n = re.subn(r"(?m)^session_timeout: \d+$", f"session_timeout: {session_timeout}", text)
        if n != 1:
            raise RuntimeError("the simulator's default config has no session_timeout line to change")
    with open(path, "w") as f:
        f.write(text)
    return path


def start_simulator(binary, base_port, count, log_path, extra=()):
    argv = [binary, "simulate", "--listen", f"127.0.0.1:{base_port}", "--count", str(count),
            "--log-level", "warning", *extra]
    process = start(argv, stdout=subprocess.PIPE, stderr=open(log_path, "w"), text=True)
    # It prints "Serving N simulated BMC(s): …" once every socket is bound.
    line = process.stdout.readline()
    if not line.startswith("Serving"):
        process.wait(timeout=5)
        with open(log_path) as f:
            raise RuntimeError(f"the simulator did not start: {line.strip()} {f.read()[-2000:]}")
    return process


def write_exporter_config(path, module_timeout_ms, settings, collectors=None):
    lines = ["modules:", "  default:", "    user: admin", "    pass: password", "    privilege: admin",
             f"    timeout: {module_timeout_ms}"]
    if collectors:
        lines.append(f"    collectors: [{', '.join(collectors)}]")
    if settings:
        lines.append("exporter:")
        lines += [f"  {key}: {value}" for key, value in settings.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def start_exporter(binary, config, port, log_path, log_level="warn"):
    process = start([binary, "--config.file", config, "--web.listen-address", f"127.0.0.1:{port}",
                     "--log.level", log_level], stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    wait_for(lambda: tcp_listening(port) or process.poll() is not None, f"the exporter on tcp {port}")
    if process.poll() is not None:
        with open(log_path) as f:
            raise RuntimeError(f"the exporter exited: {f.read()[-2000:]}")
    return process


class HTTPError(Exception):
    pass


class Pool:
    """Keep-alive HTTP/1.1 connections to one loopback port, at most `size` at once (as Prometheus keeps
    one per target; here they are shared, which the exporter cannot tell apart)."""

    def __init__(self, port, size):
        self.port = port
        self.idle = []
        self.slots = asyncio.Semaphore(size)
        self.opened = 0
        # The exporter closes keep-alive connections idle for http_idle_timeout (60 s by default).
        self.reuse_for = 30.0

    async def get(self, path, headers=(), timeout=30.0, timing=None):
        """(status, body) of one GET; raises HTTPError, OSError or asyncio.TimeoutError. `timing`, a dict,
        receives "sent": the monotonic time the request was written (after waiting for a free connection)."""
        async with self.slots:
            while self.idle:
                reader, writer, last_used = self.idle.pop()
                if time.monotonic() - last_used < self.reuse_for:
                    try:
                        return await self._request(reader, writer, path, headers, timeout, timing)
                    except (HTTPError, ConnectionResetError, BrokenPipeError):
                        continue  # the server closed the idle connection meanwhile: not the request's fault
                writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.opened += 1
            return await self._request(reader, writer, path, headers, timeout, timing)

    async def _request(self, reader, writer, path, headers, timeout, timing):
        try:
            status, body, keep = await asyncio.wait_for(self._exchange(reader, writer, path, headers, timing), timeout)
        except BaseException:
            writer.close()
            raise
        if keep:
            self.idle.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return status, body

    async def _exchange(self, reader, writer, path, headers, timing):
        if timing is not None:
            timing["sent"] = time.monotonic()
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n" + "".join(f"{h}\r\n" for h in headers)
        writer.write((head + "\r\n").encode())
        await writer.drain()
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            raise HTTPError("connection closed before a response") from error
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                fields[name.strip().lower()] = value.strip()
        if "content-length" not in fields:
            raise HTTPError(f"HTTP {status} without Content-Length")
        body = await reader.readexactly(int(fields["content-length"]))
        return status, body, fields.get("connection", "").lower() != "close"

    def close(self):
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


def scrape_problems(status, body):
    """Reasons a scrape counts as failed: an HTTP error or any `ipmi_up{collector} 0`; [] when it succeeded."""
    if status != 200:
        return [f"http_{status}"]
    if not UP_ANY.search(body):
        return ["no_ipmi_up"]
    return [f"ipmi_up_0:{collector.decode()}" for collector in UP_ZERO.findall(body)]


def parse_metrics(text):
    """{name{labels}: value} of a Prometheus text page (comments skipped)."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                values[key] = float(value)
            except ValueError:
                pass
    return values


def metric_sum(values, name):
    """Sum of every series of `name` (any labels)."""
    return sum(v for k, v in values.items() if k == name or k.startswith(name + "{"))


def by_label(values, name, label):
    """{label value: value} of the series of `name`."""
    found = {}
    pattern = re.compile(re.escape(label) + r'="([^"]*)"')
    for key, value in values.items():
        if key.startswith(name + "{"):
            match = pattern.search(key)
            if match:
                found[match.group(1)] = found.get(match.group(1), 0) + value
    return found


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def machine_line():
    load = os.getloadavg()
    return (f"{os.cpu_count()} CPUs, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
