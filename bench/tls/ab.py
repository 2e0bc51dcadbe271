#!/usr/bin/env python3
"""Alternating rounds of full mTLS 1.3 handshakes (`openssl s_time -new`) against one or more Ward bench servers and
nginx on the same certificates. Per round: connections and the server's CPU per handshake, read from the kernel's
per-thread run time (/proc/PID/task/*/schedstat, nanoseconds). Meant for a shared, noisy machine: many short
alternated rounds, then median, min and spread per server.

Usage: bench/tls/ab.py [--rounds N] [--seconds S] [WARD_BINARY ...]   (default: the Benchmarks release build)
Certificates come from `ward-tls-bench gen` into bench/out/tls-ab.
"""
import argparse, glob, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "bench/out/tls-ab")


def cpu_ns(pid):
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            total += int(open(path).read().split()[0])
        except OSError:
            pass
    return total


def user_sys_ticks(pid):
    user = system = 0
    for path in glob.glob(f"/proc/{pid}/task/*/stat"):
        try:
            fields = open(path).read().rsplit(")", 1)[1].split()
            user += int(fields[11])
            system += int(fields[12])
        except (OSError, IndexError):
            pass
    return user, system


def context_switches(pid):
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            for line in open(path):
                if line.startswith("voluntary_ctxt_switches"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


# --pin: servers on CPU 0, the s_time clients on CPU 1 ("one core" each; no migrations between the cores' caches).
SERVER_CPUS = None
CLIENT_CPUS = None


def pinned(cpus):
    return (lambda: os.sched_setaffinity(0, cpus)) if cpus else None


def s_time(port, seconds):
    out = subprocess.run(
        ["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-new", "-www", "/", "-cert", f"{OUT}/client.pem",
         "-key", f"{OUT}/client.key", "-CAfile", f"{OUT}/bundle.pem", "-time", str(seconds)],
        capture_output=True, text=True, preexec_fn=pinned(CLIENT_CPUS)).stdout
    for line in out.splitlines():
        if "connections in" in line:
            return int(line.split()[0])
    return 0


def measure(name, port, pid, seconds):
    """One server alone: connections made and CPU ms per handshake while s_time ran."""
    return finish(name, pid, start(pid), s_time(port, seconds))


def start(pid):
    return cpu_ns(pid), user_sys_ticks(pid), context_switches(pid)


def finish(name, pid, before, count):
    cpu0, (user0, sys0), switches0 = before
    used = cpu_ns(pid) - cpu0
    user1, sys1 = user_sys_ticks(pid)
    share = (sys1 - sys0) / max(1, user1 - user0 + sys1 - sys0)
    switches = (context_switches(pid) - switches0) / max(count, 1)
    return name, count, used / 1e6 / max(count, 1), share, switches


def run_parallel(order, seconds):
    """All servers at once, one s_time client each."""
    import threading
    befores = {pid: start(pid) for _, _, pid in order}
    counts = {}
    threads = [threading.Thread(target=lambda n=name, p=port: counts.__setitem__(n, s_time(p, seconds)))
               for name, port, _ in order]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [finish(name, pid, befores[pid], counts[name]) for name, _, pid in order]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--no-nginx", action="store_true")
    parser.add_argument("--parallel", action="store_true",
                        help="drive all servers at once each round, so they share whatever else the machine runs")
    parser.add_argument("--pin", action="store_true",
                        help="pin the servers to CPU 0 and the s_time clients to CPU 1")
    parser.add_argument("binaries", nargs="*", default=[os.path.join(ROOT, "Benchmarks/.build/release/ward-tls-bench")])
    args = parser.parse_args()
    global SERVER_CPUS, CLIENT_CPUS
    if args.pin:
        SERVER_CPUS, CLIENT_CPUS = {0}, {1}
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(f"{OUT}/bundle.pem"):
        subprocess.run([args.binaries[0], "gen", OUT], check=True)
    servers, procs = [], []
    port = 28470
    for index, binary in enumerate(args.binaries):
        port += 1
        p = subprocess.Popen([binary, str(port), f"{OUT}/server.pem", f"{OUT}/server.key", f"{OUT}/bundle.pem"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pinned(SERVER_CPUS))
        procs.append(p)
        servers.append((f"ward{index}:{os.path.basename(binary)}", port, p.pid))
    if not args.no_nginx:
        port += 1
        conf = f"""worker_processes 1;
daemon off;
master_process off;
pid {OUT}/nginx-ab.pid;
error_log {OUT}/nginx-ab.err warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_protocols TLSv1.3;
        ssl_certificate {OUT}/server.pem;
        ssl_certificate_key {OUT}/server.key;
        ssl_client_certificate {OUT}/bundle.pem;
        ssl_verify_client on;
        ssl_session_tickets off;
        ssl_session_cache off;
        location = / {{ return 200 "ok"; }}
    }}
}}
"""
        open(f"{OUT}/nginx-ab.conf", "w").write(conf)
        p = subprocess.Popen(["nginx", "-c", f"{OUT}/nginx-ab.conf"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, preexec_fn=pinned(SERVER_CPUS))
        procs.append(p)
        servers.append(("nginx", port, p.pid))
    try:
        time.sleep(2)
        for _, port, _ in servers:  # warm-up
            s_time(port, 1)
        results = {name: [] for name, _, _ in servers}
        for r in range(args.rounds):
            order = servers if r % 2 == 0 else list(reversed(servers))
            if args.parallel:
                measured = run_parallel(order, args.seconds)
            else:
                measured = [measure(name, port, pid, args.seconds) for name, port, pid in order]
            for name, count, ms, share, switches in measured:
                results[name].append((ms, count))
                load = open("/proc/loadavg").read().split()[0]
                print(f"round {r + 1:2d} {name:32s} {count:6d} conns  {ms:.3f} ms CPU/handshake  "
                      f"({share:.0%} sys, {switches:.1f} sleeps/hs)  (load {load})", flush=True)
        print()
        if "nginx" in results:
            # The machine's speed moves from minute to minute: compare within each round, then take the median.
            base = results["nginx"]
            for name, values in results.items():
                if name == "nginx":
                    continue
                cpu = sorted(v[0] / b[0] for v, b in zip(values, base))
                rate = sorted(v[1] / max(b[1], 1) for v, b in zip(values, base))
                print(f"{name:32s} per-round / nginx: CPU per handshake median {statistics.median(cpu):.3f} "
                      f"(min {cpu[0]:.3f} max {cpu[-1]:.3f}, {sum(r <= 1 for r in cpu)}/{len(cpu)} rounds <= 1) | "
                      f"handshakes per round median {statistics.median(rate):.3f}")
        for name, values in results.items():
            ms = sorted(v[0] for v in values)
            counts = sorted(v[1] for v in values)
            print(f"{name:32s} CPU ms/handshake median {statistics.median(ms):.3f} min {ms[0]:.3f} max {ms[-1]:.3f}"
                  f" | conns/round median {statistics.median(counts):.0f}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


if __name__ == "__main__":
    main()
