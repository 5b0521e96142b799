#!/usr/bin/env python3
"""10,000 idle HTTP connections against one exporter, and a normal client that must still be served.

Starts `ipmi-exporter demo` (simulated BMCs and the exporter, all on 127.0.0.1), opens N TCP connections that
send nothing (or, with --trickle, one header byte now and then), and while they are held scrapes /metrics and
/ipmi?target= every half second. Prints the slowest normal answer, how many idle connections the exporter closed,
its RSS and open file descriptors before, during and after, and a PASS/FAIL verdict: every normal request answered
in under 2 s, RSS growth under 64 MB, file descriptors back to where they started. Run through bench/idle-connections.
"""

import argparse
import http.client
import socket
import sys
import time

import benchlib as b


def timed_get(port, path):
    begin = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - begin
    finally:
        connection.close()


def open_idle(port, count, trickle):
    sockets, refused = [], 0
    for index in range(count):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        except OSError:
            refused += 1
            s.close()
            continue
        sockets.append(s)
        if trickle and index % 2 == 0:
            try:
                s.send(b"G")
            except OSError:
                pass
    return sockets, refused


def closed_by_peer(sockets):
    closed = 0
    for s in sockets:
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass  # still open, nothing to read
        except OSError:
            closed += 1
    return closed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exporter", required=True)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--hold", type=float, default=20, help="seconds to hold the idle connections")
    parser.add_argument("--trickle", action="store_true", help="half of them send one header byte (slowloris)")
    args = parser.parse_args()
    b.raise_fd_limit(args.connections + 1024)

    def body(root):
        port = b.free_tcp_port()
        bmc_port = b.free_udp_range(2)
        exporter = b.start([args.exporter, "demo", "--bmcs", "2", "--sim.base-port", str(bmc_port),
                            "--web.listen-address", f"127.0.0.1:{port}", "--log.level", "warn"],
                           stdout=open(f"{root}/demo.out", "w"), stderr=open(f"{root}/demo.err", "w"))
        b.wait_for(lambda: b.tcp_listening(port), "the demo's HTTP listener")
        target = f"/ipmi?target=127.0.0.1:{bmc_port}"
        for _ in range(3):
            timed_get(port, target)  # warm: session and SDRs
        proc = b.Proc(exporter.pid)
        rss_start, fds_start = proc.rss_bytes(), proc.sockets()[0]

        begin = time.monotonic()
        sockets, refused = open_idle(port, args.connections, args.trickle)
        opened = time.monotonic() - begin
        slowest, answered, failed = 0.0, 0, 0
        rss_peak, fds_peak = rss_start, fds_start
        end = time.monotonic() + args.hold
        while time.monotonic() < end:
            for path in ("/metrics", target):
                try:
                    status, seconds = timed_get(port, path)
                    answered += 1
                    slowest = max(slowest, seconds)
                    if status != 200:
                        failed += 1
                except OSError:
                    failed += 1
            rss_peak = max(rss_peak, proc.rss_bytes())
            fds_peak = max(fds_peak, proc.sockets()[0])
            time.sleep(0.5)
        closed = closed_by_peer(sockets)
        for s in sockets:
            s.close()
        # The exporter notices closed connections as it reads them: give it a moment, then one more normal request.
        time.sleep(5)
        timed_get(port, "/metrics")
        rss_end, fds_end = proc.rss_bytes(), proc.sockets()[0]
        if fds_end > fds_start + 2:
            b.log("exporter fds at the end: " + ", ".join(sorted(proc.fd_targets())))

        mb = 1024 * 1024
        print(f"idle connections: {len(sockets)} opened in {opened:.1f} s ({refused} refused at connect), "
              f"{closed} closed by the exporter while held {args.hold:.0f} s"
              + (" (half trickling header bytes)" if args.trickle else ""))
        print(f"normal requests meanwhile: {answered} answered, {failed} failed or not 200, slowest {slowest * 1000:.0f} ms")
        print(f"exporter RSS: start {rss_start / mb:.1f} MB, peak {rss_peak / mb:.1f} MB, end {rss_end / mb:.1f} MB")
        print(f"exporter fds: start {fds_start}, peak {fds_peak}, end {fds_end}")
        ok = failed == 0 and answered > 0 and slowest < 2 and rss_peak - rss_start < 64 * mb and fds_end <= fds_start + 2
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1

    return b.in_scratch("ipmi-idle-", body)


if __name__ == "__main__":
    b.run_main(main)
