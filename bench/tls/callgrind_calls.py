#!/usr/bin/env python3
"""Summarises one callgrind dump per handshake: instructions in total and by object (libcrypto, libssl, libc,
Swift runtime, the server binary), calls into the allocator, and the functions with the most own instructions.
With a cache-simulating dump (count.sh CACHE=1), also the simulated cache misses per handshake by object.

Usage: callgrind_calls.py CALLGRIND_OUT HANDSHAKES [TOP]
"""
import collections
import re
import sys

path, handshakes = sys.argv[1], int(sys.argv[2])
top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
names = {"ob": {}, "fn": {}}
ALLOC = {"malloc", "free", "realloc", "calloc", "posix_memalign", "aligned_alloc", "memalign"}


def resolve(kind, value):
    match = re.match(r"\((\d+)\)(?:\s+(.*))?", value)
    if not match:
        return value
    ident, name = match.groups()
    table = names["ob" if kind in ("ob", "cob", "jfi") else "fn"]
    if name is not None:
        table[ident] = name
    return table.get(ident, ident)


own_by_object = collections.Counter()
events = ["Ir"]
misses_by_object = collections.defaultdict(lambda: collections.Counter())
own_by_function = collections.Counter()
calls = collections.Counter()
calls_by_caller_object = collections.Counter()
total = 0
ob = fn = cfn = None
pending_call = False
for line in open(path, errors="replace"):
    line = line.rstrip("\n")
    if not line:
        continue
    head = line.split("=", 1)[0]
    if head in ("ob", "fn", "cob", "cfn", "fl", "fi", "fe", "cfi", "cfl"):
        value = line.split("=", 1)[1]
        if head in ("ob", "cob"):
            name = resolve("ob", value)
            if head == "ob":
                ob = name
        elif head in ("fn", "cfn"):
            name = resolve("fn", value)
            if head == "fn":
                fn = name
            else:
                cfn = name
        continue
    if line.startswith("calls="):
        count = int(line.split("=", 1)[1].split()[0])
        base = cfn.split("'")[0] if cfn else ""
        if base in ALLOC:
            calls[base] += count
            calls_by_caller_object[(base, ob.rsplit("/", 1)[-1] if ob else "?")] += count
        pending_call = True
        continue
    if line.startswith("events:"):
        events = line.split()[1:]
        continue
    if line.startswith("totals:") or line.startswith("summary:"):
        total = int(line.split()[1])
        continue
    if line[0].isdigit() or line[0] in "+-*":
        if pending_call:
            pending_call = False  # inclusive cost of the call just named
            continue
        parts = line.split()
        if len(parts) >= 2:
            cost = int(parts[1])
            own_by_object[ob] += cost
            own_by_function[(fn, ob)] += cost
            for event, value in zip(events[1:], parts[2:]):
                misses_by_object[ob][event] += int(value)

per = lambda v: v / handshakes
print(f"instructions per handshake: {per(total) / 1e6:.4f} M   ({handshakes} handshakes)")
print("own instructions by object (k per handshake):")
for obj, cost in own_by_object.most_common(12):
    print(f"  {per(cost) / 1e3:9.1f}  {obj.rsplit('/', 1)[-1] if obj else '?'}")
print("allocator calls per handshake: " + ", ".join(f"{k} {per(v):.1f}" for k, v in sorted(calls.items())))
for (kind, obj), count in sorted(calls_by_caller_object.items(), key=lambda kv: -kv[1]):
    print(f"  {kind:8s} from {obj:40s} {per(count):6.1f}")
print(f"top {top} functions by own instructions (k per handshake):")
for (function, obj), cost in own_by_function.most_common(top):
    print(f"  {per(cost) / 1e3:8.2f}  {function[:110]}  [{obj.rsplit('/', 1)[-1] if obj else '?'}]")

shown = [e for e in events if e.endswith("mr") or e.endswith("mw")]
if shown:
    print("simulated cache misses per handshake by object (I1/D1: first level; IL/DL: last level, as set by --LL):")
    print(f"  {'object':24s}" + "".join(f"{e:>9s}" for e in shown))
    rows = sorted(misses_by_object.items(), key=lambda kv: -sum(kv[1][e] for e in shown))
    for obj, counter in rows[:8]:
        name = obj.rsplit("/", 1)[-1] if obj else "?"
        print(f"  {name[:24]:24s}" + "".join(f"{per(counter[e]):9.0f}" for e in shown))
    print(f"  {'all':24s}" + "".join(f"{per(sum(c[e] for c in misses_by_object.values())):9.0f}" for e in shown))
