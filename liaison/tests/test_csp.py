"""Every page carries a Content-Security-Policy that runs only this site's own scripts and
styles; no template has anything inline for it to block; and in a real browser the main pages,
the admin and the API docs (Swagger UI) work under it with no violation reported."""

import re

import pytest
from django.conf import settings

from conftest import browser_login

POLICY = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'", "form-action": "'self'",
}


def policy(response):
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize("path, persona", [
    ("/public/", None), ("/public/statistics/", None), ("/accounts/login/", None), ("/api/docs/", None),
    ("/api/schema/", None), ("/api/v1/public/issue-status/", None), ("/", "cadre"), ("/issues/", "cadre"),
    ("/admin/", "admin"), ("/no-such-page/", None),
])
def test_every_page_carries_the_policy(world, as_user, path, persona):
    response = as_user(getattr(world, persona) if persona else None).get(path)
    assert policy(response).items() >= POLICY.items(), path
    assert "unsafe" not in response.headers["Content-Security-Policy"]


def test_a_photo_keeps_its_own_stricter_policy(busy_world, as_user):
    response = as_user(busy_world.cadre).get(f"/issues/{busy_world.issue_a.code}/photos/{busy_world.photo_a.pk}/")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on… event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_a_script_style_or_handler_inline():
    found = []
    for template in sorted((settings.BASE_DIR / "templates").rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                if 'type="application/json"' not in match.group(0):
                    found.append(f"{template.relative_to(settings.BASE_DIR)}: {what}: {match.group(0)[:60]}")
    assert not found, "\n".join(found)


def test_swagger_asks_no_outside_validator(client):
    script = client.get("/api/docs/?script=").content.decode()
    assert '"validatorUrl": null' in script


# Reported by the page itself, from an init script: the browser runs those whatever the policy.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile));
"""


@pytest.fixture
def watched_page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_init_script(WATCH)
    page = context.new_page()
    page.base_url = live_server.url
    page.console_violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.console_violations.append(m.text))
    yield page
    context.close()


def visit(page, path, ready="main, body"):
    page.console_violations.clear()
    page.goto(page.base_url + path)
    page.locator(ready).first.wait_for()
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__violations") + page.console_violations


@pytest.mark.browser
def test_the_main_pages_and_the_api_docs_work_under_the_policy(tbusy_world, watched_page, screenshot_dir):
    w, page = tbusy_world, watched_page
    violations = {}
    for path in ("/public/", f"/public/villages/{w.village_a.pk}/", f"/public/villages/{w.village_a.pk}/card/",
                 "/public/statistics/", "/accounts/login/"):
        violations[path] = visit(page, path)

    # The API docs render every operation from the schema (Swagger UI's script and styles ran).
    violations["/api/docs/"] = visit(page, "/api/docs/", ready=".opblock")
    assert page.locator(".opblock").count() >= 30
    page.locator(".opblock-summary", has_text="/api/v1/issues/{code}/escalate/").click()
    page.locator(".opblock-body .responses-table").first.wait_for()
    page.locator(".opblock.is-open").screenshot(path=screenshot_dir / "api-docs-escalate.png")
    violations["/api/docs/"] += page.evaluate("window.__violations") + page.console_violations

    browser_login(page, "cadre")
    for path in ("/", "/issues/", f"/issues/{w.issue_a.code}/", f"/issues/{w.issue_a.code}/receipt/",
                 "/visits/diary/", f"/visits/villages/{w.village_a.pk}/households/", "/visits/coverage/",
                 f"/visits/households/{w.home_a.pk}/", "/days/"):
        violations[path] = visit(page, path)
    # The visit form finds households as one types (its script, and a fetch to the site).
    violations["/visits/new/"] = visit(page, f"/visits/new/?village={w.village_a.pk}")
    page.fill("#find-text", "王秀英")
    page.locator("#found li").first.wait_for()
    assert "王秀英" in page.locator("#found").inner_text()
    # The language switch submits itself.
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    violations["language switch"] = page.evaluate("window.__violations") + page.console_violations

    page.context.clear_cookies()
    browser_login(page, "admin")
    for path in ("/admin/", "/admin/teams/team/", f"/admin/teams/team/{w.team_a.pk}/change/",
                 "/admin/issues/issue/"):
        violations[path] = visit(page, path, ready="#content")

    found = {path: found for path, found in violations.items() if found}
    assert not found, "\n".join(f"{path}: {v}" for path, lines in found.items() for v in lines)
