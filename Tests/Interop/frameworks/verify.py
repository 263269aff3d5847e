"""Judges what the framework drivers sent against what Causeway opened: per scenario the exact
set of exceptions (class, severity, owner, the tool's call ids, a causal path across the link
where asked), nothing missing and nothing extra; then a precision/recall table per framework.

usage: verify.py API_PORT RESULTS_JSON...
"""
import json
import sys
import time
import urllib.error
import urllib.request

api_port = int(sys.argv[1])
base = f"http://127.0.0.1:{api_port}/api/v1"


def get(path):
    try:
        with urllib.request.urlopen(base + path) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def wait_until_quiet(timeout=60):
    """Waits until the writer's queue is empty and no workflow is waiting to settle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = get("/stats")
        if stats["ingest"]["queued_spans"] == 0 and stats["queue"]["settling_workflows"] == 0:
            return True
        time.sleep(0.2)
    return False


def opened_in(workflows):
    found, cursor = [], None
    while True:
        page = get("/exceptions?limit=500" + (f"&cursor={cursor}" if cursor else ""))
        found += [e for e in page["exceptions"] if e["workflow_id"] in workflows]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def describe(exception):
    detail = get(f"/exceptions/{exception['id']}")
    calls = sorted({r["call_id"] for r in detail["tool_receipts"] if r["tool"] == detail.get("tool") and r["call_id"]})
    crosses = any(hop["relation"] == "linked_from" for hop in detail["causal_path"] or [])
    return {"class": detail["class"], "severity": detail["severity"], "owner": detail["owner"], "calls": calls,
            "crosses_link": crosses, "id": detail["id"], "summary": detail["summary"]}


def matches(expected, got):
    return (expected["class"], expected["severity"], expected["owner"]) == (got["class"], got["severity"], got["owner"]) \
        and (expected["calls"] is None or expected["calls"] == got["calls"]) \
        and (not expected["crosses_link"] or got["crosses_link"])


if not wait_until_quiet():
    print("FAIL: Causeway did not settle within 60 s")
    sys.exit(1)

failures, table = 0, []
for results_file in sys.argv[2:]:
    with open(results_file) as source:
        results = json.load(source)
    framework = results["framework"]
    expected_total = opened_total = matched_total = 0
    for scenario in results["scenarios"]:
        name = f"{framework}: {scenario['name']}"
        if scenario["error"]:
            failures += 1
            print(f"FAIL {name}: the driver raised (see above)")
        workflows = set()
        for trace_id in scenario["traces"]:
            workflow = get(f"/traces/{trace_id}")
            if workflow is None:
                failures += 1
                print(f"FAIL {name}: trace {trace_id} was not stored")
            else:
                workflows.add(workflow["workflow_id"])
        got = [describe(e) for e in opened_in(workflows)]
        expected = scenario["expect"]
        unmatched = list(got)
        missing = []
        for want in expected:
            hit = next((g for g in unmatched if matches(want, g)), None)
            if hit is None:
                missing.append(want)
            else:
                unmatched.remove(hit)
        expected_total += len(expected)
        opened_total += len(got)
        matched_total += len(expected) - len(missing)
        if missing or unmatched:
            failures += 1
            print(f"FAIL {name}")
            for want in missing:
                print(f"  missing: {want}")
            for extra in unmatched:
                print(f"  extra:   {extra}")
        else:
            print(f"ok   {name}: {len(got)} exception(s)")
    precision = matched_total / opened_total if opened_total else 1.0
    recall = matched_total / expected_total if expected_total else 1.0
    table.append((framework, len(results["scenarios"]), expected_total, opened_total, matched_total, precision, recall))

print()
print(f"{'framework':<16} {'scenarios':>9} {'expected':>8} {'opened':>6} {'right':>5} {'precision':>9} {'recall':>6}")
for framework, scenarios, expected, opened, right, precision, recall in table:
    print(f"{framework:<16} {scenarios:>9} {expected:>8} {opened:>6} {right:>5} {precision:>9.2f} {recall:>6.2f}")
sys.exit(1 if failures else 0)
