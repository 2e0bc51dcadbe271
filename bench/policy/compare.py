#!/usr/bin/env python3
"""Decide the generated requests with Cedar (cedarpy) and Rego (regopy), time them, and compare every decision
with Ward's (`ward policy eval` output).

usage: compare.py OUTDIR WARD_DECISIONS.jsonl CEDAR_MAX REGO_MAX
Prints one JSON object: per-engine timings and the number of disagreements (must be 0).
"""
import json
import statistics
import sys
import time

import cedarpy
from regopy import Interpreter


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else None


def segments(path):
    return path[1:].split("/")


def cedar_request(req):
    ctx = {"principal": req["principal"], "method": req["method"], "path": req["path"],
           "headers": req.get("headers", {})}
    segs = segments(req["path"])
    ctx["nseg"] = len(segs)
    for i in range(10):
        ctx[f"s{i}"] = segs[i] if i < len(segs) else ""
    return {"principal": f'Workload::{json.dumps(req["principal"])}', "action": 'Action::"call"',
            "resource": f'Workload::{json.dumps(req["target"])}', "context": ctx}


def main():
    outdir, ward_file, cedar_max, rego_max = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    requests = [json.loads(line) for line in open(f"{outdir}/requests.jsonl")]
    ward = [json.loads(line)["decision"] for line in open(ward_file)]
    assert len(ward) == len(requests), "ward eval answered a different number of requests"
    result = {"requests": len(requests), "ward_allow": ward.count("allow")}

    # Cedar: policies parsed once; engine time from the response metrics; per-call time around is_authorized.
    text = open(f"{outdir}/cedar.cedar").read()
    t0 = time.perf_counter()
    policies = cedarpy.PolicySet.from_str(text)
    result["cedar_parse_ms"] = round((time.perf_counter() - t0) * 1e3, 1)
    entities = cedarpy.Entities.from_json_str("[]")
    n = min(cedar_max, len(requests))
    creqs = [cedar_request(r) for r in requests[:n]]
    engine_us, call_us, mismatches = [], [], 0
    cedarpy.is_authorized(creqs[0], policies, entities)  # warm-up
    for i, creq in enumerate(creqs):
        t0 = time.perf_counter()
        res = cedarpy.is_authorized(creq, policies, entities)
        call_us.append((time.perf_counter() - t0) * 1e6)
        engine_us.append(res.metrics.get("authz_duration_micros", 0))
        decision = "allow" if res.decision == cedarpy.Decision.Allow else "deny"
        if decision != ward[i]:
            mismatches += 1
            if mismatches <= 3:
                print(f"cedar disagrees on request {i}: cedar {decision}, ward {ward[i]}: {requests[i]}", file=sys.stderr)
    result.update({"cedar_requests": n, "cedar_mismatches": mismatches,
                   "cedar_engine_us_p50": statistics.median(engine_us), "cedar_engine_us_mean": round(statistics.mean(engine_us), 2),
                   "cedar_engine_us_p99": percentile(engine_us, 0.99),
                   "cedar_call_us_p50": round(statistics.median(call_us), 1), "cedar_call_us_p99": round(percentile(call_us, 0.99), 1)})

    # Rego: module and data loaded once, query prepared as a bundle; per-query time (input set outside timing).
    rego = Interpreter()
    rego.add_module("ward", open(f"{outdir}/rego/ward.rego").read())
    rego.add_data_json(open(f"{outdir}/rego/data.json").read())
    t0 = time.perf_counter()
    bundle = rego.build("data.ward.decision")
    result["rego_build_ms"] = round((time.perf_counter() - t0) * 1e3, 1)
    n = min(rego_max, len(requests))
    query_us, mismatches = [], 0
    for i, req in enumerate(requests[:n]):
        rego.set_input_term(json.dumps({"principal": req["principal"], "method": req["method"], "path": req["path"],
                                        "segs": segments(req["path"]), "headers": req.get("headers", {})}))
        t0 = time.perf_counter()
        out = rego.query_bundle(bundle)
        query_us.append((time.perf_counter() - t0) * 1e6)
        text = str(out)
        decision = json.loads(text)["expressions"][0] if text.startswith("{") else "deny"
        if decision != ward[i]:
            mismatches += 1
            if mismatches <= 3:
                print(f"rego disagrees on request {i}: rego {decision} ({text}), ward {ward[i]}: {requests[i]}", file=sys.stderr)
    result.update({"rego_requests": n, "rego_mismatches": mismatches,
                   "rego_query_us_p50": round(statistics.median(query_us), 1),
                   "rego_query_us_p99": round(percentile(query_us, 0.99), 1)})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
