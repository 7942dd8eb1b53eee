#!/usr/bin/env python3
"""Times device-list pages on a populated server: the first page, a page 300 deep (following
keyset cursors), and a page filtered by installed software. Prints the median of several runs
of each, server-side as the client sees it over loopback.

usage: bench/api_latency.py BASE_URL API_TOKEN [SOFTWARE_NAME]
"""
import json
import ssl
import statistics
import sys
import time
import urllib.parse
import urllib.request

base, token = sys.argv[1].rstrip("/"), sys.argv[2]
software = sys.argv[3] if len(sys.argv) > 3 else "libssl3"
context = ssl._create_unverified_context()


def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, context=context) as response:
        body = json.load(response)
    return (time.perf_counter() - started) * 1000, body


def median_ms(path, runs=7):
    times = [get(path)[0] for _ in range(runs)]
    return statistics.median(times), min(times), max(times)


def report(label, path):
    median, low, high = median_ms(path)
    print(f"{label:<48} median {median:7.1f} ms  (min {low:.1f}, max {high:.1f})")


report("first page (250, sort=id)", "/api/v1/devices?limit=250")
report("first page (250, sort=hostname)", "/api/v1/devices?limit=250&sort=hostname")
# Last-seen time is not indexed on PostgreSQL (heap-only updates, migration 0014): a sort.
report("first page (250, sort=last_seen, oldest first)", "/api/v1/devices?limit=250&sort=last_seen")
report("first page (250, sort=last_seen, newest first)", "/api/v1/devices?limit=250&sort=last_seen&order=desc")
cursor, walked = None, 0
walk_started = time.perf_counter()
for page in range(299):
    path = "/api/v1/devices?limit=250&sort=hostname" + (f"&cursor={cursor}" if cursor else "")
    _, body = get(path)
    cursor = body.get("next_cursor")
    walked += len(body["items"])
    if not cursor:
        break
walk = time.perf_counter() - walk_started
print(f"walked {page + 1} pages ({walked} rows) in {walk:.1f} s")
if cursor:
    report("page 300 (rows 74,751-75,000, sort=hostname)", f"/api/v1/devices?limit=250&sort=hostname&cursor={cursor}")
report(f"software={software} (250, sort=hostname)", f"/api/v1/devices?limit=250&sort=hostname&software={software}")
report(f"software={software} + hostname contains", f"/api/v1/devices?limit=250&software={software}&hostname=kango")
# A name few devices have: the device list builds the set of them instead of probing each row.
catalogue = get("/api/v1/software?limit=1000")[1]["items"]
rare = min((e for e in catalogue if e["install_count"] > 0), key=lambda e: e["install_count"], default=None)
if rare:
    name = urllib.parse.quote(rare["name"])
    report(f"software={rare['name'][:20]} ({rare['install_count']} installs)", f"/api/v1/devices?limit=250&sort=hostname&software={name}")
# The devices of one catalogue entry (the software → devices index read in id order).
entries = get(f"/api/v1/software?name={urllib.parse.quote(software)}&limit=100")[1]["items"]
top = max((e for e in entries if e["name"] == software), key=lambda e: e["install_count"], default=None)
if top:
    devices = f"/api/v1/software/{top['id']}/devices?limit=250"
    report(f"devices with {software} {top['version'][:12]} ({top['install_count']} installs)", devices)
    _, body = get(devices)
    for _ in range(99):
        if not body.get("next_cursor"):
            break
        deeper = f"{devices}&cursor={body['next_cursor']}"
        _, body = get(deeper)
    else:
        report("  ... page 100 of them", deeper)
report("hostname contains (250, sort=hostname)", "/api/v1/devices?limit=250&sort=hostname&hostname=kango")
_, total = get("/api/v1/devices?limit=1&sort=id&order=desc")
print("highest device id:", total["items"][0]["id"] if total["items"] else None)
