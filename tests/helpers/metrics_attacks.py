#!/usr/bin/env python3
"""Measures what the attacks of issue 26 do to a `--metrics` endpoint.

    python3 tests/helpers/metrics_attacks.py target/debug/ssetap [ATTACK...]

Each attack runs against a fresh ssetap reading a quiet stream (one event,
then nothing) with `--metrics 127.0.0.1:PORT`, and prints one line: the
process's threads, descriptors and RSS before, at the worst moment and
after, and how long `/healthz` took during and after (or why it did not
answer within 5 s). tests/metrics_abuse.rs asserts the bounds; this script
only measures, so that an old binary can be measured too (it fails those
tests at the first bound).
"""

import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time

ATTACKS = ["idle1000", "line64", "pipeline", "fd64_start", "fd64_lowered", "silent", "tasks"]


def stream_server():
    """A quiet SSE stream: one event, then the socket held open."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    held = []

    def serve():
        while True:
            c, _ = ls.accept()
            c.recv(65536)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: a\n\n")
            held.append(c)

    threading.Thread(target=serve, daemon=True).start()
    return "http://127.0.0.1:%d/stream" % ls.getsockname()[1]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def figures(pid):
    status = open("/proc/%d/status" % pid).read()
    field = lambda name: int(status.split(name)[1].split()[0])
    return {
        "threads": field("Threads:"),
        "fds": len(os.listdir("/proc/%d/fd" % pid)),
        "rss": field("VmRSS:") / 1024.0,
    }


def healthz(port, limit=5.0):
    """Seconds /healthz took (200 or 503), or a string saying why none came."""
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=limit)
        s.settimeout(max(0.01, limit - (time.monotonic() - t0)))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
    except Exception as e:  # noqa: BLE001 - any failure is the measurement
        return "%s after %.2fs" % (type(e).__name__, time.monotonic() - t0)
    if not data.startswith(b"HTTP/1.1 200") and not data.startswith(b"HTTP/1.1 503"):
        return "answer %r" % data[:40]
    return time.monotonic() - t0


def fmt_lat(v):
    return "%.1f ms" % (v * 1000) if isinstance(v, float) else v


class Target:
    def __init__(self, binary, nofile=None):
        self.port = free_port()
        url = stream_server()
        pre = None
        if nofile:
            pre = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.proc = subprocess.Popen(
            [binary, url, "--metrics", "127.0.0.1:%d" % self.port, "--duration", "300s", "-q"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=pre,
        )
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.stderr = []
        threading.Thread(target=lambda: self.stderr.append(self.proc.stderr.read()), daemon=True).start()
        deadline = time.monotonic() + 10
        while not isinstance(healthz(self.port, 1.0), float):
            if time.monotonic() > deadline:
                raise SystemExit("no /healthz from %s" % binary)
            time.sleep(0.05)
        self.pid = self.proc.pid

    def figures(self):
        try:
            return figures(self.pid)
        except (FileNotFoundError, IndexError, ProcessLookupError):
            return {"threads": 0, "fds": 0, "rss": 0.0}

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        time.sleep(0.05)
        err = b"".join(self.stderr)
        return self.proc.returncode, (b"panicked" in err)


def crowd(port, n):
    held = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(3)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            break
        held.append(s)
    return held


def report(name, before, worst, after, during, later, note, end):
    f = lambda k, fmt: "/".join(fmt % x[k] for x in (before, worst, after))
    print(
        "%-13s threads %-13s fds %-14s RSS MiB %-16s /healthz during %-26s after %-26s exit %s%s; %s"
        % (
            name,
            f("threads", "%d"),
            f("fds", "%d"),
            f("rss", "%.1f"),
            fmt_lat(during),
            fmt_lat(later),
            end[0],
            " (panicked)" if end[1] else "",
            note,
        ),
        flush=True,
    )


def peak(a, b):
    return {k: max(a[k], b[k]) for k in a}


def attack(binary, name):
    t = Target(binary, nofile=64 if name == "fd64_start" else None)
    before = t.figures()
    worst, during, note, cg = before, None, "", None
    if name in ("idle1000", "fd64_start", "fd64_lowered", "tasks"):
        n = 1000 if name == "idle1000" else 300
        if name == "fd64_lowered":
            resource.prlimit(t.pid, resource.RLIMIT_NOFILE, (64, 64))
        if name == "tasks":
            cg = "/sys/fs/cgroup/pids/ssetap-measure-%d" % os.getpid()
            os.mkdir(cg)
            open(cg + "/cgroup.procs", "w").write(str(t.pid))
            open(cg + "/pids.max", "w").write(open(cg + "/pids.current").read().strip())
            n = 50
        held = crowd(t.port, n)
        time.sleep(0.5)
        worst = peak(worst, t.figures())
        during = healthz(t.port)
        note = "%d connections made" % len(held)
        for s in held:
            s.close()
        if cg:
            open(cg + "/pids.max", "w").write("max")
        time.sleep(0.5)
    elif name == "line64":
        s = socket.create_connection(("127.0.0.1", t.port))
        s.settimeout(15)
        got, sent = [b""], [0]

        def read():
            try:
                while True:
                    c = s.recv(65536)
                    if not c:
                        break
                    got[0] += c
            except OSError as e:
                got[0] += b" (" + type(e).__name__.encode() + b")"

        r = threading.Thread(target=read)
        r.start()
        chunk = b"a" * (1 << 20)
        try:
            s.sendall(b"GET /")
            for _ in range(64):
                s.sendall(chunk)
                sent[0] += len(chunk)
                worst = peak(worst, t.figures())
        except OSError as e:
            note = "send: %s; " % type(e).__name__
        during = healthz(t.port)
        r.join(20)
        worst = peak(worst, t.figures())
        note += "%d MiB sent, answer %r" % (sent[0] >> 20, got[0][:48])
        s.close()
    elif name == "pipeline":
        reqs = b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n" * 20000
        deaf = socket.create_connection(("127.0.0.1", t.port))
        deaf.settimeout(30)
        greedy = socket.create_connection(("127.0.0.1", t.port))
        greedy.settimeout(30)
        answers = [0]

        def deaf_send():
            try:
                deaf.sendall(reqs)
            except OSError:
                pass

        def greedy_read():
            tail = b""
            try:
                while answers[0] < 20000:
                    c = greedy.recv(65536)
                    if not c:
                        break
                    tail += c
                    answers[0] += tail.count(b"HTTP/1.1 200 OK\r\n")
                    tail = tail[-16:]
            except OSError:
                pass

        def greedy_send():
            try:
                greedy.sendall(reqs)
            except OSError:
                pass

        for f in (deaf_send, greedy_read, greedy_send):
            threading.Thread(target=f, daemon=True).start()
        lats, fails = [], []
        for _ in range(20):
            time.sleep(0.1)
            v = healthz(t.port)
            (lats if isinstance(v, float) else fails).append(v)
            worst = peak(worst, t.figures())
            if len(fails) >= 3:
                break
        if lats:
            during = "median %s, max %s" % (fmt_lat(statistics.median(lats)), fmt_lat(max(lats)))
        if fails:
            during = "%d of %d failed (%s)" % (len(fails), len(lats) + len(fails), fails[0])
        note = "greedy client got %d answers" % answers[0]
        deadline = time.monotonic() + 15
        while t.figures()["fds"] > before["fds"] + 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        note += "; deaf client closed by the server: %s" % (t.figures()["fds"] <= before["fds"] + 1)
        deaf.close()
        greedy.close()
    elif name == "silent":
        s = socket.create_connection(("127.0.0.1", t.port))
        s.settimeout(20)
        t0 = time.monotonic()
        try:
            end = "closed" if s.recv(1) == b"" else "data"
        except socket.timeout:
            end = "still open"
        except OSError as e:
            end = type(e).__name__
        during = healthz(t.port)
        note = "silent connection: %s after %.1f s" % (end, time.monotonic() - t0)
        s.close()
    after = t.figures()
    later = healthz(t.port)
    end = t.stop()
    if cg:
        os.rmdir(cg)
    report(name, before, worst, after, during, later, note, end)


def main():
    binary = sys.argv[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    for name in sys.argv[2:] or ATTACKS:
        attack(binary, name)


if __name__ == "__main__":
    main()
