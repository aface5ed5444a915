"""The monitor's status page on loopback: each check's state, open alerts, a latency chart.

Rendered on the server from the state file (so it shows what cron-driven runs recorded
too): no JavaScript, an inline SVG chart, a stylesheet from /status.css, and a CSP that
allows nothing else. The page refreshes itself every `refresh_s` seconds.
"""

from __future__ import annotations

import html
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from scripts.sfops.monitoring import state

COLORS = ["#1a73e8", "#d93025", "#188038", "#e37400", "#9334e6", "#12b5cb", "#b06000", "#5f6368", "#c5221f", "#137333"]
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
CSS = b"""body{font-family:system-ui,sans-serif;margin:2rem;color:#202124;background:#fff}
h1{font-size:1.4rem}table{border-collapse:collapse;margin-bottom:1.5rem}
td,th{border-bottom:1px solid #dadce0;padding:.35rem .8rem;text-align:left}
.up{color:#188038}.degraded{color:#e37400}.down{color:#d93025;font-weight:bold}
.suppressed,.unknown{color:#5f6368}.alerts li{color:#d93025;font-weight:bold;margin:.3rem 0}
.none{color:#188038}svg{border:1px solid #dadce0;background:#fafafa}
.legend span{margin-right:1rem;font-size:.85rem}
"""


def _chart(history: dict[str, list[list[Any]]], hours: float, now: float) -> str:
    width, height, pad = 900, 260, 40
    start = now - hours * 3600
    points = {
        check: [(t, ms) for t, ms, _ in samples if t >= start and ms is not None] for check, samples in history.items()
    }
    top = max([ms for samples in points.values() for _, ms in samples] + [100.0])
    parts = [
        f'<svg id="latency-chart" role="img" aria-label="latency over the last {hours:g} hours" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<text x="4" y="14" font-size="11">{top:.0f} ms</text>',
        f'<text x="4" y="{height - 4}" font-size="11">-{hours:g} h</text>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width}" y2="{height - pad}" stroke="#9aa0a6"/>',
    ]

    def x(t: float) -> float:
        return pad + (t - start) / (hours * 3600) * (width - pad)

    def y(ms: float) -> float:
        return float((height - pad) - ms / top * (height - 2 * pad))

    for index, (_check, samples) in enumerate(sorted(points.items())):
        color = COLORS[index % len(COLORS)]
        coords = " ".join(f"{x(t):.1f},{y(ms):.1f}" for t, ms in samples)
        if coords:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>')
    parts.append("</svg>")
    # The CSP forbids style attributes, so the legend's colours are SVG fills.
    legend_svg = "".join(
        f'<svg width="12" height="12"><rect width="12" height="12" fill="{COLORS[i % len(COLORS)]}"/></svg> '
        f"{html.escape(check)} "
        for i, check in enumerate(sorted(points))
    )
    return "".join(parts) + f'<p class="legend">{legend_svg}</p>'


def render(memory: state.MonitorState, *, title: str, hours: float, refresh_s: int, now: float) -> str:
    rows = []
    for check, last in sorted(memory.last.items()):
        status = str(last.get("status", "unknown"))
        latency = last.get("latency_ms")
        rows.append(
            f'<tr data-check="{html.escape(check)}"><td>{html.escape(check)}</td>'
            f'<td class="{html.escape(status)}">{html.escape(status)}</td>'
            f"<td>{'' if latency is None else f'{latency:.0f} ms'}</td>"
            f"<td>{html.escape(str(last.get('detail', '')))}</td></tr>"
        )
    firing = [(name, memory.alerts.tracks[name]) for name in memory.alerts.firing()]
    alerts = (
        "".join(
            f'<li class="alert firing" data-track="{html.escape(name)}">{html.escape(name)} firing since '
            f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(track.fired_at or now))}</li>"
            for name, track in firing
        )
        if firing
        else '<li class="none">no open alerts</li>'
    )
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{refresh_s}">'
        f'<title>{html.escape(title)}</title><link rel="stylesheet" href="/status.css"></head><body>'
        f"<h1>{html.escape(title)}</h1>"
        f'<h2>Open alerts</h2><ul class="alerts" id="alerts">{alerts}</ul>'
        '<h2>Checks</h2><table id="checks"><tr><th>check</th><th>state</th><th>latency</th><th>detail</th></tr>'
        + "".join(rows)
        + f"</table><h2>Latency, last {hours:g} hours</h2>"
        + _chart(memory.history, hours, now)
        + f"<p>{memory.cycles} cycles recorded; updated {time.strftime('%H:%M:%S UTC', time.gmtime(now))}</p>"
        "</body></html>\n"
    )


class StatusServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, state_file: Path, title: str, hours: float, refresh_s: int) -> None:
        self.state_file, self.title, self.hours, self.refresh_s = state_file, title, hours, refresh_s
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: StatusServer

    def log_message(self, format: str, *args: Any) -> None:
        return None  # the monitor's JSON log is the record

    def do_GET(self) -> None:
        if self.path == "/status.css":
            self._send(200, CSS, "text/css; charset=utf-8")
        elif self.path in ("/", "/index.html"):
            try:
                memory = state.load(self.server.state_file)
            except (state.StateError, OSError):
                memory = state.MonitorState()  # the monitor sets a bad file aside on its next cycle
            page = render(
                memory,
                title=self.server.title,
                hours=self.server.hours,
                refresh_s=self.server.refresh_s,
                now=time.time(),
            )
            self._send(200, page.encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
