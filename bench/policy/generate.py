#!/usr/bin/env python3
"""Reproducible synthetic policy sets for `ward policy bench`, with the same rules in Cedar and Rego.

usage: generate.py RULES SEED OUTDIR

Writes OUTDIR/policies/*.json (Ward), OUTDIR/requests.jsonl (matching request stream), OUTDIR/cedar.cedar,
OUTDIR/rego/ward.rego + OUTDIR/rego/data.json. Rules mix exact, prefix and template paths ({*}, {**}), exact
and prefix principal patterns, 1-2 methods, some header conditions and ~10% denies (a third of them with no
`from`). Every rule is for one workload (the worst case: the whole set is one table).
"""
import json
import os
import random
import sys

TARGET = "spiffe://example.org/ns/bench/sa/api"
METHODS = ["GET", "POST", "PUT", "DELETE"]


def principal(svc, client):
    return f"spiffe://example.org/ns/svc{svc}/sa/client{client}"


def make_rule(rng, index, services):
    svc = rng.randrange(services)
    deny = rng.random() < 0.10
    rule = {"id": f"r{index}", "effect": "deny" if deny else "allow"}
    if not (deny and rng.random() < 0.33):
        if rng.random() < 0.7:
            rule["from"] = [{"principals": [principal(svc, rng.randrange(5))]}]
        else:
            rule["from"] = [{"principals": [f"spiffe://example.org/ns/svc{svc}/*"]}]
    methods = sorted(set(rng.choice(METHODS) for _ in range(rng.randint(1, 2))))
    kind = rng.random()
    res = rng.randrange(max(2, 1 + index // 25))
    if kind < 0.4:
        path = f"/svc{svc}/api/v1/res{res}"
    elif kind < 0.65:
        path = f"/svc{svc}/api/res{res}/*"
    elif kind < 0.85:
        path = f"/svc{svc}/items{res}/{{*}}"
    else:
        path = f"/svc{svc}/files{res}/{{**}}"
    if deny and "from" not in rule:
        path = f"/svc{svc}/admin{res}/*"
    rule["to"] = [{"methods": methods, "paths": [path]}]
    if rng.random() < 0.10:
        rule["when"] = [{"key": "request.headers[x-tenant]", "values": [f"t{rng.randrange(4)}"]}]
    return rule


def request_for(rng, rule, services):
    """A request aimed at `rule`, sometimes perturbed so that it misses."""
    svc_principal = None
    if "from" in rule:
        p = rule["from"][0]["principals"][0]
        svc_principal = p[:-1] + f"sa/client{rng.randrange(5)}" if p.endswith("*") else p
    else:
        svc_principal = principal(rng.randrange(services), rng.randrange(5))
    method = rng.choice(rule["to"][0]["methods"])
    pattern = rule["to"][0]["paths"][0]
    if pattern.endswith("{**}"):
        path = pattern[:-4] + "/".join(f"p{rng.randrange(9)}" for _ in range(rng.randint(1, 3)))
    elif pattern.endswith("{*}"):
        path = pattern[:-3] + f"id{rng.randrange(1000)}"
    elif pattern.endswith("*"):
        path = pattern[:-1] + f"x{rng.randrange(100)}"
    else:
        path = pattern
    headers = {}
    if "when" in rule or rng.random() < 0.1:
        headers["x-tenant"] = f"t{rng.randrange(4)}"
    r = rng.random()
    if r < 0.10:
        method = rng.choice(METHODS)
    elif r < 0.20:
        path = path + "/extra"
    elif r < 0.25:
        svc_principal = principal(rng.randrange(services), rng.randrange(5))
    return {"target": TARGET, "principal": svc_principal, "method": method, "path": path, "headers": headers}


# ---- Cedar ---------------------------------------------------------------------------------------------

def cedar_str(s):
    return json.dumps(s)


def cedar_path(pattern):
    if "{" in pattern:
        segs = pattern[1:].split("/")
        conds = []
        rest = segs[-1] == "{**}"
        fixed = segs[:-1] if rest else segs
        conds.append(f"context.nseg > {len(fixed)}" if rest else f"context.nseg == {len(fixed)}")
        for i, s in enumerate(fixed):
            conds.append(f'context.s{i} != ""' if s == "{*}" else f"context.s{i} == {cedar_str(s)}")
        if rest:
            conds.append(f'context.s{len(fixed)} != ""')
        return "(" + " && ".join(conds) + ")"
    if pattern.endswith("*"):
        return f"context.path like {cedar_str(pattern)}"
    return f"context.path == {cedar_str(pattern)}"


def cedar_rule(policy, rule):
    conds = []
    if "from" in rule:
        p = rule["from"][0]["principals"][0]
        conds.append(f"context.principal like {cedar_str(p)}" if p.endswith("*") else f"context.principal == {cedar_str(p)}")
    to = rule["to"][0]
    conds.append("(" + " || ".join(f"context.method == {cedar_str(m)}" for m in to["methods"]) + ")")
    conds.append("(" + " || ".join(cedar_path(p) for p in to["paths"]) + ")")
    for c in rule.get("when", []):
        name = c["key"][len("request.headers["):-1]
        conds.append(f"(context.headers has {cedar_str(name)} && (" + " || ".join(
            f"context.headers[{cedar_str(name)}] == {cedar_str(v)}" for v in c["values"]) + "))")
    effect = "forbid" if rule["effect"] == "deny" else "permit"
    return f'@id("{policy}/{rule["id"]}")\n{effect}(principal, action, resource) when {{\n  ' + " &&\n  ".join(conds) + "\n};\n"


# ---- Rego ----------------------------------------------------------------------------------------------

REGO = r'''package ward

import rego.v1

default decision := "deny"

denied if {
	some r in data.denies
	match(r)
}

allowed if {
	some r in data.allows
	match(r)
}

decision := "deny" if denied

decision := "allow" if {
	not denied
	allowed
}

match(r) if {
	principal_ok(r)
	input.method in r.methods
	some p in r.paths
	path_match(p)
	header_ok(r)
}

principal_ok(r) if r.any_principal

principal_ok(r) if {
	some p in r.principals
	p.kind == "exact"
	p.value == input.principal
}

principal_ok(r) if {
	some p in r.principals
	p.kind == "prefix"
	startswith(input.principal, p.value)
}

path_match(p) if {
	p.kind == "exact"
	p.value == input.path
}

path_match(p) if {
	p.kind == "prefix"
	startswith(input.path, p.value)
}

path_match(p) if {
	p.kind == "template"
	count(p.segs) == count(input.segs)
	every i, s in p.segs {
		seg_ok(s, input.segs[i])
	}
}

path_match(p) if {
	p.kind == "rest"
	count(input.segs) > count(p.segs)
	every i, s in p.segs {
		seg_ok(s, input.segs[i])
	}
	input.segs[count(p.segs)] != ""
}

seg_ok(s, v) if {
	s == "{*}"
	v != ""
}

seg_ok(s, v) if {
	s != "{*}"
	s == v
}

header_ok(r) if not r.has_header

header_ok(r) if {
	r.has_header
	some v in r.header_values
	input.headers[r.header_name] == v
}
'''


def rego_rule(rule):
    out = {"id": rule["id"], "any_principal": "from" not in rule, "principals": [], "methods": rule["to"][0]["methods"],
           "paths": [], "has_header": "when" in rule}
    if "from" in rule:
        p = rule["from"][0]["principals"][0]
        out["principals"].append({"kind": "prefix", "value": p[:-1]} if p.endswith("*") else {"kind": "exact", "value": p})
    for p in rule["to"][0]["paths"]:
        if "{" in p:
            segs = p[1:].split("/")
            if segs[-1] == "{**}":
                out["paths"].append({"kind": "rest", "segs": segs[:-1]})
            else:
                out["paths"].append({"kind": "template", "segs": segs})
        elif p.endswith("*"):
            out["paths"].append({"kind": "prefix", "value": p[:-1]})
        else:
            out["paths"].append({"kind": "exact", "value": p})
    if "when" in rule:
        c = rule["when"][0]
        out["header_name"] = c["key"][len("request.headers["):-1]
        out["header_values"] = c["values"]
    return out


def main():
    rules_total, seed, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    services = max(2, rules_total // 50)
    per_policy = 10 if rules_total >= 100 else rules_total
    os.makedirs(os.path.join(outdir, "policies"), exist_ok=True)
    os.makedirs(os.path.join(outdir, "rego"), exist_ok=True)
    policies = []
    index = 0
    while index < rules_total:
        name = f"bench-{len(policies):05d}"
        rules = []
        for _ in range(min(per_policy, rules_total - index)):
            rules.append(make_rule(rng, index, services))
            index += 1
        policies.append({"name": name, "target": TARGET, "rules": rules})
    # 100 policies per file.
    for f in range(0, len(policies), 100):
        with open(os.path.join(outdir, "policies", f"set-{f // 100:04d}.json"), "w") as out:
            json.dump(policies[f:f + 100], out, indent=1)
    all_rules = [r for p in policies for r in p["rules"]]
    count = {10: 2000, 1000: 5000}.get(rules_total, 10000)
    with open(os.path.join(outdir, "requests.jsonl"), "w") as out:
        for _ in range(count):
            out.write(json.dumps(request_for(rng, rng.choice(all_rules), services)) + "\n")
    with open(os.path.join(outdir, "cedar.cedar"), "w") as out:
        for p in policies:
            for r in p["rules"]:
                out.write(cedar_rule(p["name"], r))
    with open(os.path.join(outdir, "rego", "ward.rego"), "w") as out:
        out.write(REGO)
    with open(os.path.join(outdir, "rego", "data.json"), "w") as out:
        json.dump({"allows": [rego_rule(r) for r in all_rules if r["effect"] == "allow"],
                   "denies": [rego_rule(r) for r in all_rules if r["effect"] == "deny"]}, out)


if __name__ == "__main__":
    main()
