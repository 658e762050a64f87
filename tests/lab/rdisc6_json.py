#!/usr/bin/env python3
"""rdisc6_json.py RDISC6_OUTPUT RA_SNIFF_JSON: put rdisc6's text and one
ra-sniff --json "ra" record in the same shape (what rdisc6 shows) and print
both; exit 0 when they agree, 1 (with the differences) when not."""
import json
import re
import sys


def num(v):
    v = v.strip()
    if v.startswith("infinite"):
        return 0xffffffff
    if v.startswith("unspecified") or v.startswith("undefined"):
        return 0
    return int(v.split()[0])


def yes(v):
    return v.strip().lower() == "yes"


def parse_rdisc6(text):
    r = {"prefixes": [], "routes": [], "rdnss": [], "dnssl": []}
    cur = None
    for line in text.splitlines():
        m = re.match(r"^( *)([^:]+?)\s*:\s*(.*)$", line)
        if line.startswith(" from "):
            r["router"] = line.split()[1]
            continue
        if not m:
            continue
        key, val = m.group(2).strip(), m.group(3)
        if key == "Hop limit":
            r["hop_limit"] = num(val)
        elif key == "Stateful address conf.":
            r["managed"] = yes(val)
        elif key == "Stateful other conf.":
            r["other"] = yes(val)
        elif key == "Mobile home agent":
            r["home_agent"] = yes(val)
        elif key == "Router preference":
            r["preference"] = val.strip()
        elif key == "Neighbor discovery proxy":
            r["proxy"] = yes(val)
        elif key == "Router lifetime":
            r["router_lifetime"] = num(val)
        elif key == "Reachable time":
            r["reachable_time"] = num(val)
        elif key == "Retransmit time":
            r["retrans_timer"] = num(val)
        elif key == "Prefix":
            p, l = val.strip().split("/")
            cur = {"prefix": p, "length": int(l)}
            r["prefixes"].append(cur)
        elif key == "On-link":
            cur["on_link"] = yes(val)
        elif key == "Autonomous address conf.":
            cur["autonomous"] = yes(val)
        elif key == "Valid time":
            cur["valid_lifetime"] = num(val)
        elif key == "Pref. time":
            cur["preferred_lifetime"] = num(val)
        elif key == "Route":
            p, l = val.strip().split("/")
            cur = {"prefix": p, "length": int(l)}
            r["routes"].append(cur)
        elif key == "Route preference":
            cur["preference"] = val.strip()
        elif key == "Route lifetime":
            cur["lifetime"] = num(val)
        elif key == "Recursive DNS server":
            if not r["rdnss"] or "lifetime" in r["rdnss"][-1]:
                r["rdnss"].append({"servers": []})
            r["rdnss"][-1]["servers"].append(val.strip())
        elif key == "DNS servers lifetime":
            r["rdnss"][-1]["lifetime"] = num(val)
        elif key == "DNS search list":
            r["dnssl"].append({"domains": val.split()})
        elif key == "DNS search list lifetime":
            r["dnssl"][-1]["lifetime"] = num(val)
        elif key == "MTU":
            r["mtu"] = num(val)
        elif key == "Source link-layer address":
            r["slla"] = val.strip().lower()
    return r


def from_json(j):
    f = j["flags"]
    r = {k: j[k] for k in ("router", "hop_limit", "router_lifetime", "reachable_time",
                           "retrans_timer", "mtu", "slla", "routes", "rdnss", "dnssl")}
    r.update(managed=f["managed"], other=f["other"], home_agent=f["home_agent"],
             proxy=f["proxy"], preference=f["preference"])
    r["prefixes"] = [{k: p[k] for k in ("prefix", "length", "on_link", "autonomous",
                                        "valid_lifetime", "preferred_lifetime")}
                     for p in j["prefixes"]]
    return r


def main():
    a = parse_rdisc6(open(sys.argv[1]).read())
    b = from_json(json.loads(open(sys.argv[2]).readline()))
    print("rdisc6:   " + json.dumps(a, sort_keys=True))
    print("ra-sniff: " + json.dumps(b, sort_keys=True))
    bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    for k in bad:
        print("differs: %s: rdisc6 %r, ra-sniff %r" % (k, a.get(k), b.get(k)))
    sys.exit(1 if bad or len(a) < 15 else 0)


main()
