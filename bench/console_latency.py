#!/usr/bin/env python3
"""Times the console on a populated server: the device list page (250 rows) under several
sorts and with a software filter, server-side as the client sees it over loopback, and the
CSV export of every device (rows per second, the server's peak RSS before and after).

Signs in as admin with the first password from DATA_DIR/initial-admin-password and changes it
(as the console forces), so run it on a throwaway server.

usage: bench/console_latency.py BASE_URL DATA_DIR SERVER_PID [SOFTWARE_NAME]
"""
import json
import statistics
import sys
import time
import urllib.error
import urllib.request

base, data_dir, pid = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
software = sys.argv[4] if len(sys.argv) > 4 else "bash"


def call(method, path, body=None, cookie=None, csrf=None):
    request = urllib.request.Request(base + path, method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if cookie:
        request.add_header("Cookie", cookie)
    if csrf:
        request.add_header("X-CSRF-Token", csrf)
    return urllib.request.urlopen(request)


first = open(f"{data_dir}/initial-admin-password").read().strip()
try:
    with call("POST", "/api/v1/session", {"login": "admin", "password": first}) as response:
        cookie = response.headers["Set-Cookie"].split(";")[0]
        csrf = json.load(response)["csrf_token"]
    call("PUT", "/api/v1/me/password", {"current_password": first, "new_password": "Bench-2026!x"}, cookie, csrf).close()
except urllib.error.HTTPError:
    # A reused data directory (REUSE=1): the password was changed by an earlier run.
    with call("POST", "/api/v1/session", {"login": "admin", "password": "Bench-2026!x"}) as response:
        cookie = response.headers["Set-Cookie"].split(";")[0]


def timed(path, runs=7):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with call("GET", path, cookie=cookie) as response:
            body = response.read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), max(times), len(body)


def report(label, path):
    median, low, high, size = timed(path)
    print(f"{label:<52} median {median:7.1f} ms  (min {low:.1f}, max {high:.1f}; {size // 1024} KiB)")


def peak_rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:") or line.startswith("VmRSS:"):
            yield line.split()[0], int(line.split()[1]) // 1024


report("device list page, 250 rows, by host name", "/devices?limit=250&sort=hostname")
report("device list page, 250 rows, by OS", "/devices?limit=250&sort=os")
report("device list page, 250 rows, by last seen (newest)", "/devices?limit=250&sort=last_seen&order=desc")
report(f"device list page, 250 rows, software={software}", f"/devices?limit=250&sort=hostname&software={software}")
report("device list page, 1000 rows, by host name", "/devices?limit=1000&sort=hostname")
report("device detail page (summary)", "/devices/1")

before = dict(peak_rss())
for encoding in ["utf-8-bom", "shift_jis"]:
    started = time.perf_counter()
    rows = 0
    size = 0
    with call("GET", f"/devices.csv?sort=hostname&encoding={encoding}", cookie=cookie) as response:
        while True:
            chunk = response.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            rows += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    after = dict(peak_rss())
    print(f"CSV export ({encoding}): {rows - 1} rows, {size // (1 << 20)} MiB in {seconds:.2f} s = "
          f"{(rows - 1) / seconds:,.0f} rows/s; server RSS {before['VmRSS:']} -> {after['VmRSS:']} MiB, "
          f"peak {before['VmHWM:']} -> {after['VmHWM:']} MiB")
