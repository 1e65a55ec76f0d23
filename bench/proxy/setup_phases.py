#!/usr/bin/env python3
"""SOCKS5 set-up split into its phases, from a client process outside the proxy's JVM.

Against a running bench (bench/proxy/run.sh --streams tunnel --serve-seconds 900 prints the proxy URLs):
  bench/proxy/setup_phases.py PROXY_PORT TARGET_PORT [--user U --password P] [--count 2000] [--warmup 300]
Prints the p50 of each phase in µs: TCP connect, greeting, username/password, CONNECT, and the total.
Run it several times in a row to watch the JIT warm up (docs/benchmarks.md, proxy section).
"""
import argparse
import socket
import statistics
import struct
import time


def one(port, target, user, password):
    t0 = time.perf_counter_ns()
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t1 = time.perf_counter_ns()
    s.sendall(bytes([5, 1, 2 if user else 0]))
    s.recv(2)
    t2 = time.perf_counter_ns()
    if user:
        u, p = user.encode(), password.encode()
        s.sendall(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
        if s.recv(2)[1] != 0:
            raise SystemExit("authentication refused")
    t3 = time.perf_counter_ns()
    s.sendall(bytes([5, 1, 0, 1, 127, 0, 0, 1]) + struct.pack(">H", target))
    reply = b""
    while len(reply) < 10:
        reply += s.recv(10 - len(reply))
    if reply[1] != 0:
        raise SystemExit("CONNECT refused: %r" % reply)
    t4 = time.perf_counter_ns()
    s.close()
    return [(b - a) / 1000 for a, b in ((t0, t1), (t1, t2), (t2, t3), (t3, t4))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("proxy_port", type=int)
    ap.add_argument("target_port", type=int)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=300)
    a = ap.parse_args()
    for _ in range(a.warmup):
        one(a.proxy_port, a.target_port, a.user, a.password)
    phases = [one(a.proxy_port, a.target_port, a.user, a.password) for _ in range(a.count)]
    med = [statistics.median(p[i] for p in phases) for i in range(4)]
    total = statistics.median(sum(p) for p in phases)
    print("p50 µs: connect %.0f, greeting %.0f, auth %.0f, CONNECT %.0f, total %.0f" % (*med, total))


if __name__ == "__main__":
    main()
