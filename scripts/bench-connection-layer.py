#!/usr/bin/env python3
"""The connection layer's figures, each against this machine's floor in the same run.

Runs, alternating so that both sides see the same machine: `scripts/kernel-floor.c` (C on epoll: the socket work a
relay cannot avoid, no framing, no JSON) and release `sigctl serve` nodes, under the load `sigctl simulate relay`
applies (RATE offers/s, each answered, PAIRS pairs, 1,500-byte SDPs). Prints per run and as medians:

  - local relay: node CPU per relayed message ÷ the floor's local relay
  - cross-node relay: both nodes' CPU per offer with its answer ÷ the floor's two-node relay through Redis pub/sub,
    and the cross-node one-way p50/p99 the simulator measured
  - idle memory: node RSS per idle joined connection (rooms of two), at each count given with --idle
  - joins: cluster-mode node CPU per join on a new connection (TCP accept, upgrade, join script, fan-out), from
    `sigctl simulate joins` against two nodes
  - reconnect storm: `sigctl simulate storm` of --storm clients onto two surviving nodes of three, right after the
    third (holding those clients) was killed with SIGKILL

usage: scripts/bench-connection-layer.py [--runs 3] [--rate 2000] [--seconds 15] [--pairs 100]
                                         [--idle 10000,19900] [--joins 10000] [--storm 10000] [--only relay,idle,...]
BIN_DIR overrides the release bin directory (else it is built); NODE_FLAGS adds flags to every `sigctl serve`.
"""
import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = 1.0 / os.sysconf("SC_CLK_TCK")
procs = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK  # utime + stime


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(args, cwd=None, quiet=True):
    p = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL if quiet else None,
                         stderr=subprocess.DEVNULL if quiet else None, start_new_session=True)
    procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_until(check, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def health(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
        return json.load(r)


def port_open(port):
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


class Cluster:
    """A private redis-server and `n` nodes (local mode when redis is False)."""

    def __init__(self, bin_dir, work, n, redis=True, extra=()):
        self.nodes, self.ports = [], []
        self.redis = None
        common = ["--bind", "127.0.0.1", "--log-level", "warning", *os.environ.get("NODE_FLAGS", "").split(), *extra]
        if redis:
            rport = free_port()
            self.redis = start(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", work])
            wait_until(lambda: port_open(rport), what="redis-server")
            common += ["--cluster-mode", "--redis-url", f"redis://127.0.0.1:{rport}"]
        for i in range(n):
            port = free_port()
            node = start([f"{bin_dir}/sigctl", "serve", "--port", str(port), "--node-id", f"bench-{i}", *common],
                         cwd=work)
            self.nodes.append(node)
            self.ports.append(port)
        want = "cluster" if redis else "local"
        for port in self.ports:
            wait_until(lambda: health(port)["mode"] == want, what=f"node on {port}")

    def url(self, i):
        return f"ws://127.0.0.1:{self.ports[i]}/ws"

    def stop(self):
        for node in self.nodes:
            stop(node)
        if self.redis:
            stop(self.redis)


def simulate(bin_dir, *args):
    out = subprocess.run([f"{bin_dir}/sigctl", "simulate", *args, "--format", "json", "--quiet"],
                         capture_output=True, text=True)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"simulate {' '.join(args)} failed ({out.returncode}): {out.stdout}{out.stderr}")


def floor_runs(floor_bin, work, rate, seconds, pairs, size=1600):
    """(local µs per relayed message, cluster µs per offer+answer both nodes, cluster p50 µs, p99 µs)."""
    port = free_port()
    relay = start([floor_bin, "relay", str(port), str(size)])
    wait_until(lambda: port_open(port), what="floor relay")
    before = cpu(relay.pid)
    out = subprocess.run([floor_bin, "client", str(port), str(port), str(pairs), str(rate), str(seconds), str(size)],
                         capture_output=True, text=True, check=True).stdout.split()
    local = (cpu(relay.pid) - before) * 1e6 / (int(out[0]) * 2)
    stop(relay)

    rport, pa, pb = free_port(), free_port(), free_port()
    redis = start(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", work])
    wait_until(lambda: port_open(rport), what="redis-server")
    a = start([floor_bin, "node", str(pa), str(rport), "0", "1", str(size)])
    b = start([floor_bin, "node", str(pb), str(rport), "1", "0", str(size)])
    wait_until(lambda: port_open(pa) and port_open(pb), what="floor nodes")
    before = cpu(a.pid) + cpu(b.pid)
    out = subprocess.run([floor_bin, "client", str(pa), str(pb), str(pairs), str(rate), str(seconds), str(size)],
                         capture_output=True, text=True, check=True).stdout.split()
    cluster = (cpu(a.pid) + cpu(b.pid) - before) * 1e6 / int(out[0])
    for p in (a, b, redis):
        stop(p)
    return local, cluster, float(out[2]), float(out[3])


def node_relay(bin_dir, work, rate, seconds, pairs, nodes):
    """sigctl: (CPU µs per relayed message (local) or per offer+answer of both nodes (cluster), p50, p99, errors)."""
    cluster = Cluster(bin_dir, work, nodes, redis=nodes > 1)
    try:
        before = sum(cpu(n.pid) for n in cluster.nodes)
        args = ["relay", "--url", cluster.url(0), "--rate", str(rate), "--duration", f"{seconds}s",
                "--pairs", str(pairs)]
        if nodes > 1:
            args += ["--answer-url", cluster.url(1)]
        report = simulate(bin_dir, *args)
        used = sum(cpu(n.pid) for n in cluster.nodes) - before
    finally:
        cluster.stop()
    offers = report["offers_sent_with_warmup"]
    per = used * 1e6 / (offers * 2 if nodes == 1 else offers)
    lat = report["one_way_latency_us"]
    return per, lat["p50"], lat["p99"], report["errors"]


def idle_rss(bin_dir, work, count):
    port = free_port()
    node = start([f"{bin_dir}/sigctl", "serve", "--port", str(port), "--bind", "127.0.0.1", "--log-level", "warning",
                  "--max-connections", str(count + 10), *os.environ.get("NODE_FLAGS", "").split()], cwd=work)
    wait_until(lambda: health(port)["mode"] == "local", what="node")
    time.sleep(1)
    before = rss_kb(node.pid)
    processes = 2
    per = (count + processes - 1) // processes
    clients, logs = [], []
    for i in range(processes):
        n = count - per * (processes - 1) if i == processes - 1 else per
        log = open(os.path.join(work, f"idle-{i}.log"), "w+")
        logs.append(log)
        clients.append(subprocess.Popen(
            [f"{bin_dir}/sigctl", "simulate", "idle", "--url", f"ws://127.0.0.1:{port}/ws", "--connections", str(n),
             "--hold", "600s", "--first-index", str(i * per)], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True))
    procs.extend(clients)

    def ready():
        for c in clients:
            if c.poll() is not None:
                raise SystemExit("an idle client process ended early: " + open(logs[0].name).read())
        return all("ready" in open(log.name).read() for log in logs)

    wait_until(ready, timeout=300, what="idle clients")
    time.sleep(3)
    with_clients = rss_kb(node.pid)
    joined = health(port)["local_connections"]
    for c in clients:
        stop(c)
    stop(node)
    return (with_clients - before) * 1024 / joined, joined


def upgraded_rss(bin_dir, work, count):
    """Node RSS per WebSocket connection that is open but has not joined a room: the transport's share of an idle
    member's memory (raw handshakes from this process; one descriptor each)."""
    port = free_port()
    node = start([f"{bin_dir}/sigctl", "serve", "--port", str(port), "--bind", "127.0.0.1", "--log-level", "warning",
                  "--max-connections", str(count + 10), *os.environ.get("NODE_FLAGS", "").split()], cwd=work)
    wait_until(lambda: health(port)["mode"] == "local", what="node")
    time.sleep(1)
    before = rss_kb(node.pid)
    sockets = []
    request = (b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        response = b""
        while b"\r\n\r\n" not in response:
            response += s.recv(4096)
        if b" 101 " not in response.split(b"\r\n", 1)[0]:
            raise SystemExit(f"upgrade refused: {response[:80]!r}")
        sockets.append(s)
    time.sleep(3)
    with_clients = rss_kb(node.pid)
    opened = health(port)["local_connections"]
    for s in sockets:
        s.close()
    stop(node)
    return (with_clients - before) * 1024 / opened, opened


def cluster_joins(bin_dir, work, clients):
    cluster = Cluster(bin_dir, work, 2)
    try:
        before = [cpu(n.pid) for n in cluster.nodes]
        report = simulate(bin_dir, "joins", "--url", cluster.url(0), "--url", cluster.url(1), "--clients",
                          str(clients), "--concurrency", "100", "--room-size", "4")
        used = [cpu(n.pid) - b for n, b in zip(cluster.nodes, before)]
    finally:
        cluster.stop()
    per_node = [u * 1e6 / max(1, n["joined"]) for u, n in zip(used, report["nodes"])]
    return statistics.mean(per_node), report["joins_per_second"], report["errors"]


def storm(bin_dir, work, clients):
    cluster = Cluster(bin_dir, work, 3)
    try:
        log = open(os.path.join(work, "storm-idle.log"), "w+")
        holder = subprocess.Popen(
            [f"{bin_dir}/sigctl", "simulate", "idle", "--url", cluster.url(2), "--connections", str(clients),
             "--hold", "600s", "--room-size", "4"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(holder)
        wait_until(lambda: "ready" in open(log.name).read(), timeout=300, what="clients on the node to kill")
        cluster.nodes[2].send_signal(signal.SIGKILL)
        cluster.nodes[2].wait()
        stop(holder)
        report = simulate(bin_dir, "storm", "--url", cluster.url(0), "--url", cluster.url(1),
                          "--clients", str(clients), "--room-size", "4")
    finally:
        cluster.stop()
    return report["seconds"], report["joined"], report["errors"]


def median(values):
    return statistics.median(values) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--idle", default="10000,19900")
    parser.add_argument("--joins", type=int, default=10000)
    parser.add_argument("--storm", type=int, default=10000)
    parser.add_argument("--only", default="relay,idle,joins,storm")
    args = parser.parse_args()
    only = set(args.only.split(","))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    bin_dir = os.environ.get("BIN_DIR")
    if not bin_dir:
        subprocess.run(["swift", "build", "-c", "release", "--product", "sigctl"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.strip()
    work = tempfile.mkdtemp(prefix="sigctl-bench-")
    floor_bin = os.path.join(work, "kernel-floor")
    subprocess.run(["cc", "-O2", "-o", floor_bin, os.path.join(ROOT, "scripts", "kernel-floor.c")], check=True)

    if "relay" in only:
        local_ratios, cluster_ratios, p99s = [], [], []
        for run in range(1, args.runs + 1):
            f_local, f_cluster, f_p50, f_p99 = floor_runs(floor_bin, work, args.rate, args.seconds, args.pairs)
            n_local, l50, l99, lerr = node_relay(bin_dir, work, args.rate, args.seconds, args.pairs, 1)
            n_cluster, c50, c99, cerr = node_relay(bin_dir, work, args.rate, args.seconds, args.pairs, 2)
            local_ratios.append(n_local / f_local)
            cluster_ratios.append(n_cluster / f_cluster)
            p99s.append(c99)
            print(f"run {run}: local relay: node {n_local:.1f} µs/message, floor {f_local:.1f} → "
                  f"{n_local / f_local:.2f}× (one-way p50 {l50:.0f} µs, p99 {l99:.0f} µs, errors {lerr})")
            print(f"run {run}: cross-node: nodes {n_cluster:.1f} µs/offer+answer, floor {f_cluster:.1f} → "
                  f"{n_cluster / f_cluster:.2f}×; one-way p50 {c50:.0f} µs, p99 {c99:.0f} µs "
                  f"(floor p50 {f_p50:.0f}, p99 {f_p99:.0f}), errors {cerr}", flush=True)
        print(f"median local ratio {median(local_ratios):.2f}×, cross-node ratio {median(cluster_ratios):.2f}×, "
              f"cross-node p99 {median(p99s) / 1000:.2f} ms", flush=True)
    if "idle" in only:
        for count in [int(c) for c in args.idle.split(",") if c]:
            per, joined = idle_rss(bin_dir, work, count)
            print(f"idle: {joined} joined connections: {per / 1024:.1f} KB ({per:.0f} bytes) of node RSS each",
                  flush=True)
        count = int(args.idle.split(",")[0])
        per, opened = upgraded_rss(bin_dir, work, count)
        print(f"idle: {opened} upgraded connections that joined nothing: {per / 1024:.1f} KB ({per:.0f} bytes) each",
              flush=True)
    if "joins" in only:
        values = []
        for run in range(1, args.runs + 1):
            per, rate, errors = cluster_joins(bin_dir, work, args.joins)
            values.append(per)
            print(f"run {run}: cluster joins on new connections: {per:.0f} µs of node CPU per join "
                  f"({rate:.0f} joins/s over 2 nodes, errors {errors})", flush=True)
        print(f"median node CPU per join: {median(values):.0f} µs", flush=True)
    if "storm" in only:
        for run in range(1, args.runs + 1):
            seconds, joined, errors = storm(bin_dir, work, args.storm)
            print(f"run {run}: reconnect storm: {joined} of {args.storm} clients re-joined 2 surviving nodes in "
                  f"{seconds:.2f} s, {errors} failures", flush=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
