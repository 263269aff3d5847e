"""Browser tests of the reviewers' room (DESIGN.md §7–8) in a real headless Chromium (Debian's,
driven by Playwright), against a real `causeway serve` seeded over real OTLP by seed.py.
Screenshots of every page, at 1280 and 390 px wide, go to SHOTS_DIR for a person to look at.

usage: browser_test.py API_PORT SEED_JSON SHOTS_DIR
"""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Interop"))
from checks import Checks  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

api_port, seed, shots = int(sys.argv[1]), json.loads(open(sys.argv[2]).read()), sys.argv[3]
base = f"http://127.0.0.1:{api_port}"
TOKENS = {"alice": "alice-browser-token", "victor": "victor-browser-token", "root": "root-browser-token"}
checks = Checks("browser")
os.makedirs(shots, exist_ok=True)


def api(path, method="GET", body=None):
    request = urllib.request.Request(base + path, method=method, headers={"Authorization": f"Bearer {TOKENS['root']}",
                                                                            "Content-Type": "application/json"},
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for(what, condition, timeout=30):
    """Polls `condition` until it returns a true value; fails the run if it never does."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"browser: timed out waiting for {what}")


def by_class(items, name):
    return next(item for item in items if item["class"] == name)


# The seeded queue, as the API has it: four exceptions, the billing one breached (its SLA is 1 s).
def seeded():
    items = api("/api/v1/exceptions?limit=50")["exceptions"]
    classes = sorted(item["class"] for item in items)
    breached = [item for item in items if item["sla"]["breached"]]
    return items if classes == ["approval_required", "repeat_failure", "repeat_failure", "stale_connector_data"] and breached else None


items = wait_for("the four seeded exceptions, one breached", seeded)
approval = by_class(items, "approval_required")
billing = next(item for item in items if item["owner"] == "billing-ops")
stale = by_class(items, "stale_connector_data")
urgent_order = [item["id"] for item in sorted(items, key=lambda item: (item["sla"]["due_at"], item["id"]))]


def shoot(page, name):
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=os.path.join(shots, f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        checks.check(f"{name} at {width} px has no sideways scroll", overflow <= 0, True)
        # A table inside a scrolling box would hide its last columns until scrolled to.
        cut = page.evaluate("Array.from(document.querySelectorAll('.table-wrap')).filter(e => e.scrollWidth > e.clientWidth + 1).length")
        checks.check(f"{name} at {width} px shows every table column", cut, 0)
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page, who):
    page.goto(base + "/")
    checks.check(f"{who}: an unsigned page goes to /login", page.url.startswith(base + "/login"), True)
    page.fill("input[name=token]", TOKENS[who])
    page.click("button[type=submit]")
    page.wait_for_selector(f"[data-user='{who}']")


def sign_out(page):
    page.click("form[action='/logout'] button")
    page.wait_for_url(base + "/login")


with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    csp_violations = []
    page.on("console", lambda message: csp_violations.append(message.text) if "Content Security Policy" in message.text else None)

    # Sign-in page, then a failed sign-in.
    response = page.goto(base + "/")
    checks.check("the sign-in page answers 200", response.status, 200)
    checks.check("CSP header on pages", response.headers.get("content-security-policy"), "default-src 'self'; frame-ancestors 'none'")
    checks.check("nosniff header", response.headers.get("x-content-type-options"), "nosniff")
    checks.check("no-referrer header", response.headers.get("referrer-policy"), "no-referrer")
    page.fill("input[name=token]", "not-a-token")
    page.click("button[type=submit]")
    checks.check("a wrong token is refused", page.locator("[role=alert]").count(), 1)
    checks.check("the sign-in page names no one as browsing", page.locator(".who .user").count(), 0)
    shoot(page, "login")

    # A viewer reads but cannot act: no action form, and a post with a valid CSRF token is 403.
    sign_in(page, "victor")
    page.goto(f"{base}/exceptions/{approval['id']}")
    checks.check("viewer: no action form", page.locator("form.actions").count(), 0)
    checks.check("viewer: says why", "viewer" in page.locator(".readonly").inner_text(), True)
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    refused = page.request.post(f"{base}/exceptions/{approval['id']}/actions", form={"action": "ack", "csrf": token}, max_redirects=0)
    checks.check("viewer: a post with a valid CSRF token is 403", refused.status, 403)
    sign_out(page)

    # A reviewer of finance-approvals works the queue.
    sign_in(page, "alice")
    page.goto(base + "/")
    rows = page.locator("tr[data-exception-id]")
    checks.check("queue: most urgent first (breached first, then due soonest)", rows.evaluate_all("rows => rows.map(r => r.dataset.exceptionId)"), urgent_order)
    checks.check("queue: the breached item leads and says so", rows.first.get_attribute("data-exception-id"), billing["id"])
    checks.check("queue: breached in words", "breached" in rows.first.locator("td.due").inner_text(), True)
    checks.check("queue: due in words for the rest", page.locator(f"tr[data-exception-id='{approval['id']}'] td.due").inner_text().startswith("in "), True)
    checks.check("queue: the count of open items", page.locator(".count.status-open b").inner_text(), "4")
    shoot(page, "queue")

    page.select_option("select[name=class]", "stale_connector_data")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**class=stale_connector_data**")
    checks.check("filter by class", rows.evaluate_all("rows => rows.map(r => r.dataset.exceptionId)"), [stale["id"]])
    page.goto(base + "/?breached=true")
    checks.check("filter breached=true", rows.evaluate_all("rows => rows.map(r => r.dataset.exceptionId)"), [billing["id"]])
    page.goto(base + "/?owner=nobody-at-all")
    checks.check("an empty filter says what to do", page.locator(".empty a[href='/']").count(), 1)
    page.goto(base + "/?limit=2")
    checks.check("pages by cursor: a next link", page.locator("a[rel=next]").count(), 1)
    page.click("a[rel=next]")
    checks.check("the next page holds the rest", rows.evaluate_all("rows => rows.map(r => r.dataset.exceptionId)"), urgent_order[2:])

    # The exception: the causal path across the link, receipts, evidence (hostile text as text), history.
    response = page.goto(f"{base}/exceptions/{approval['id']}")
    checks.check("CSP on the exception page", response.headers.get("content-security-policy"), "default-src 'self'; frame-ancestors 'none'")
    hops = page.locator("li.hop")
    path = api(f"/api/v1/exceptions/{approval['id']}")["causal_path"]
    checks.check("the path as a tree, one hop per span, origin first", hops.evaluate_all("hops => hops.map(h => h.dataset.spanId)"),
                 [hop["span_id"] for hop in path])
    checks.check("the link hop is marked", page.locator("li.hop-link").count(), 1)
    checks.check("the link hop is the job's root", page.locator("li.hop-link > .hop-line .name").first.inner_text(), "refund job")
    checks.check("a hop's attributes on demand", page.locator("li.hop-trigger > details.attrs").count(), 1)
    checks.check("the receipts name the call", page.locator("table.receipts").inner_text().count("call_refund_1"), 1)
    checks.check("the history starts with opened", page.locator(".history-list li").first.get_attribute("data-action"), "opened")
    evidence = page.locator("section.evidence").inner_text()
    checks.check("hostile attribute value shown as text", "<img src=x onerror=window.__xss=1>" in evidence, True)
    checks.check("hostile attribute key shown as text", "<script>window.__xss=2</script>" in evidence, True)
    checks.check("no element came from span data", page.locator("img[src=x], section.evidence script").count(), 0)
    checks.check("nothing from span data ran", page.evaluate("window.__xss === undefined"), True)
    page.click("li.hop-trigger > details.attrs summary")
    shoot(page, "exception")

    # Acknowledge, assign, resolve through the page: the item and its history change, actor alice.
    page.fill("textarea[name=note]", "checking with the customer")
    page.click("button[value=ack]")
    page.wait_for_selector(".status-acknowledged")
    page.fill("input[name=owner]", "finance-leads")
    page.click("button[value=assign]")
    page.wait_for_selector(".owner:text('finance-leads')")
    page.fill("textarea[name=note]", "refund confirmed with the customer")
    page.click("button[value=resolve]")
    page.wait_for_selector(".status-resolved")
    history = page.locator(".history-list li")
    checks.check("the page's history shows each action", history.evaluate_all("lines => lines.map(l => l.dataset.action)"),
                 ["opened", "acknowledged", "assigned", "resolved"])
    stored = api(f"/api/v1/exceptions/{approval['id']}")
    checks.check("the API sees it resolved", stored["status"], "resolved")
    checks.check("the API sees the new owner", stored["owner"], "finance-leads")
    checks.check("every action's actor is the signed-in reviewer", [line["actor"] for line in stored["history"][1:]], ["alice"] * 3)
    checks.check("the note was kept", stored["history"][-1]["note"], "refund confirmed with the customer")

    # A post without the CSRF token is refused.
    refused = page.request.post(f"{base}/exceptions/{approval['id']}/actions", form={"action": "reopen"}, max_redirects=0)
    checks.check("a post without the CSRF token is 403", refused.status, 403)
    checks.check("and changed nothing", api(f"/api/v1/exceptions/{approval['id']}")["status"], "resolved")
    # Decisions through the page: reopened, the approval item offers approve and deny first, and
    # approving records the decision the agent hears.
    page.goto(f"{base}/exceptions/{approval['id']}")
    page.click("button[value=reopen]")
    page.wait_for_selector(".status-open")
    buttons = page.locator("form.actions button").evaluate_all("buttons => buttons.map(b => b.value)")
    checks.check("an approval item offers approve and deny first", buttons[:2], ["approve", "deny"])
    checks.check("deny is marked as the stopping choice", page.locator("button.danger[value=deny]").count(), 1)
    checks.check("what must be decided names the call", "call_refund_1" in page.locator("p.decision").inner_text(), True)
    page.fill("textarea[name=note]", "customer verified by phone")
    page.click("button[value=approve]")
    page.wait_for_selector(".decided")
    checks.check("the decision is shown", "approved by alice" in page.locator(".decided").inner_text(), True)
    stored = api(f"/api/v1/exceptions/{approval['id']}")
    checks.check("the API records the decision", (stored["decision"], stored["decided_by"], stored["status"]), ("approve", "alice", "resolved"))
    checks.check("the agent is told to proceed", api(f"/api/v1/decisions?trace_id={seed['job']}")["decision"], "proceed")
    shoot(page, "decided")
    # A reviewer outside the owner's team cannot act on billing's item.
    page.goto(f"{base}/exceptions/{billing['id']}")
    checks.check("alice: no actions on billing-ops' item", page.locator("form.actions").count(), 0)

    # The workflow timeline across the request and the job.
    response = page.goto(f"{base}/workflows/{seed['job']}")
    checks.check("the workflow page answers", response.status, 200)
    checks.check("one timeline", page.locator("svg.timeline").count(), 1)
    checks.check("both traces drawn", page.locator("svg.timeline .trace-header").count(), 2)
    checks.check("the link drawn as an arrow", page.locator("svg.timeline path.link").count(), 1)
    checks.check("the trigger flagged, linking to its exception", page.locator(f"svg.timeline a[href='/exceptions/{approval['id']}']").count(), 1)
    shoot(page, "workflow")
    page.goto(f"{base}/workflows/{seed['crm']}")
    checks.check("failed spans marked", page.locator("svg.timeline g.span.error").count(), 2)
    missing = page.goto(f"{base}/workflows/{'ab' * 16}")
    checks.check("an unknown trace is a 404 page", missing.status, 404)

    # Insights: server-drawn charts.
    page.goto(base + "/insights")
    checks.check("insights draws charts", page.locator("svg.chart").count() >= 4, True)
    checks.check("the exception tax figure", page.locator(".figure .label", has_text="Exception tax").count(), 1)
    shoot(page, "insights")

    checks.check("no dialog ever opened", dialogs, [])
    checks.check("no CSP violation (no inline script or style)", csp_violations, [])
    browser.close()

sys.exit(checks.finish("dashboard"))
