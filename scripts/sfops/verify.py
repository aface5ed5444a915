"""`sfops verify`: is the deployed site healthy and safe (playbook §3)?

Exit 0 when every check passes (loopback-only Observatory failures are reported as
"expected"), 1 when any check fails, 2 when something could not be checked (the stack config
cannot be read, the Netlify API is down: retried $SOUNDFACTORY_API_RETRY_ATTEMPTS times). Failures
are retried, a bounded number of times, only while the published deploy is fresh
(Netlify's CDN may still serve the previous one for a short while).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from components.http_retry import RetryExhausted
from components.netlify.api import NetlifyApiError
from scripts.sfops import verify_checks as checks
from scripts.sfops.context import AppContext, Exit
from scripts.sfops.observatory.grade import GRADE_ORDER, Scan, ScanError, analyze
from scripts.sfops.output import checks_table

# httpx (~0.35 s) is imported by the functions that send requests: the first line of output
# (which site, which stack) comes before it.


def api_errors() -> tuple[type[Exception], ...]:
    import httpx

    return (NetlifyApiError, RetryExhausted, httpx.HTTPError)


def _deploy_age_s(app: AppContext) -> tuple[float | None, str | None]:
    """(seconds since the published deploy went live or None when unknown, why the API could not be read)."""
    config = app.config
    try:
        with app.netlify_client() as client:
            deploy = client.get_site(config.netlify.site_id).get("published_deploy") or {}
    except api_errors() as exc:
        return None, str(exc) or type(exc).__name__
    stamp = deploy.get("published_at") or deploy.get("created_at")
    if not stamp:
        return None, None
    try:
        published = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None, None
    return (datetime.now(UTC) - published).total_seconds(), None


def _site_checks(
    site_url: str, *, min_grade: str, element: str, burst: int, timeout_s: float, preloaded: dict[str, bool]
) -> tuple[list[checks.Check], Scan | None]:
    import httpx

    from scripts.sfops.observatory.retrieve import retrieve

    loopback = checks.is_loopback_http(site_url)
    with httpx.Client(timeout=timeout_s) as http:
        results = [checks.homepage(http, site_url), checks.security_headers(http, site_url)]
        scan: Scan | None = None
        try:
            scan = analyze(retrieve(site_url, timeout_s=timeout_s, hsts_preloaded=preloaded))
        except ScanError as exc:
            results.append(checks.Check("observatory", "fail", str(exc), retryable=True))
        if scan is not None:
            results.append(checks.https_redirect(scan, loopback=loopback))
            results += checks.observatory(scan, loopback=loopback, min_grade=min_grade)
        results += [checks.function_alive(http, site_url, name) for name in ("send-sms", "verify-sms")]
        results.append(checks.webhook_rejects_unsigned(http, site_url))
        results.append(checks.element_present(http, site_url, element))
        results.append(checks.burst_not_limited(http, site_url, burst))
    return results, scan


def _netlify_checks(app: AppContext, timeout_s: float, api_down: str | None) -> list[checks.Check]:
    """The checks that read Netlify; an API that cannot be read is "could not check" (exit 2), not a failure."""
    if api_down is not None:  # already retried as $SOUNDFACTORY_API_RETRY_ATTEMPTS allows: do not wait again
        return [checks.Check("netlify-api", "error", f"could not check the site's variables: {api_down}")]
    import httpx

    try:
        with app.netlify_client() as client, httpx.Client(timeout=timeout_s) as http:
            return [checks.required_variables(client, app.config), checks.sms_auth_path(client, http, app.config)]
    except api_errors() as exc:
        return [checks.Check("netlify-api", "error", f"could not check the site's variables: {exc}")]


def _render(results: list[checks.Check], scan: Scan | None, site_url: str) -> Any:
    def render(console: Console) -> None:
        if scan is not None:
            table = Table(title=f"Observatory tests for {site_url}", title_justify="left")
            for column in ("test", "result", "score", "pass"):
                table.add_column(column)
            for test in scan.tests:
                table.add_row(test.title, test.result, f"{test.modifier:+d}", "yes" if test.passed else "no")
            console.print(table)
            console.print(f"Observatory score {scan.score}, grade {scan.grade} ({scan.tests_passed}/12 tests passed)")
        console.print(checks_table("verify", [(c.name, c.status, c.detail) for c in results]))
        failed = [c.name for c in results if c.failed]
        unchecked = [c.name for c in results if c.unchecked]
        if failed:
            console.print(f"FAILED: {', '.join(failed)}")
        if unchecked:
            console.print(f"COULD NOT CHECK: {', '.join(unchecked)}")
        if not failed and not unchecked:
            console.print("verify: all checks passed")

    return render


@click.command("verify")
@click.option("--min-grade", type=click.Choice(GRADE_ORDER), default="A", show_default=True)
@click.option("--element", default="live-stream", show_default=True, help="id of an element the homepage must have")
@click.option("--burst", type=click.IntRange(1, 50), default=10, show_default=True, help="requests in the 429 probe")
@click.option("--timeout", "timeout_s", type=click.FloatRange(0.5, 120), default=10.0, show_default=True)
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True)
@click.option("--retry-wait", type=click.FloatRange(0, 60), default=5.0, show_default=True, help="seconds")
@click.option(
    "--propagation-window",
    type=click.FloatRange(0, 3600),
    default=300.0,
    show_default=True,
    help="retry failures only while the published deploy is younger than this (seconds)",
)
@click.option("--hsts-preloaded", multiple=True, help="host on the HSTS preload list (repeatable)")
@click.pass_obj
def command(
    app: AppContext,
    min_grade: str,
    element: str,
    burst: int,
    timeout_s: float,
    retries: int,
    retry_wait: float,
    propagation_window: float,
    hsts_preloaded: tuple[str, ...],
) -> None:
    """Check the live site: headers graded as Mozilla's Observatory does, functions, variables."""
    site_url = app.config.netlify.site_url
    app.out.info(f"verifying {site_url} (stack {app.stack})")
    age, api_down = _deploy_age_s(app)
    fresh = age is not None and age < propagation_window
    settings: dict[str, Any] = {
        "min_grade": min_grade,
        "element": element,
        "burst": burst,
        "timeout_s": timeout_s,
        "preloaded": dict.fromkeys(hsts_preloaded, True),
    }
    results, scan = _site_checks(site_url, **settings)
    attempt = 0
    while fresh and attempt < retries and any(c.failed and c.retryable for c in results):
        attempt += 1
        app.out.info(f"deploy is {age:.0f}s old; retrying failed checks in {retry_wait:.0f}s ({attempt}/{retries})")
        time.sleep(retry_wait)
        results, scan = _site_checks(site_url, **settings)
    results += _netlify_checks(app, timeout_s, api_down)
    ok = not any(c.failed or c.unchecked for c in results)
    data = {
        "site": site_url,
        "ok": ok,
        "checks": [c.as_json() for c in results],
        "observatory": None
        if scan is None
        else {
            "score": scan.score,
            "grade": scan.grade,
            "tests": [
                {"name": t.name, "result": t.result, "modifier": t.modifier, "pass": t.passed} for t in scan.tests
            ],
        },
    }
    app.out.result(data, _render(results, scan, site_url))
    # A failed check is known and says more than one that could not be made.
    code = Exit.FAILED if any(c.failed for c in results) else Exit.ERROR if not ok else Exit.OK
    click.get_current_context().exit(int(code))
