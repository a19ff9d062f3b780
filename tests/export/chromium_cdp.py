"""Drive headless Chromium over the DevTools protocol on a pipe: load a page, collect what went wrong.

``--remote-debugging-pipe`` speaks CDP as NUL-terminated JSON on file descriptors 3 (to
Chromium) and 4 (from Chromium), so only the standard library is needed. Console errors,
uncaught exceptions, browser log errors and every network request are collected from the
protocol's own events: nothing inside the page under test is trusted to report on itself.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any


def find_chromium() -> str | None:
    """The browser binary: $BLETHER_CHROMIUM, else the first of the usual names on PATH."""
    configured = os.environ.get("BLETHER_CHROMIUM")
    if configured:
        return configured if os.path.exists(configured) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    #: What the ``probe`` expression returned, read from the rendered page (JSON values).
    probe: Any = None


class _Pipe:
    def __init__(self, to_browser: int, from_browser: int) -> None:
        self._out = to_browser
        self._in = from_browser
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._in], [], [], remaining)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None, timeout: float = 30
    ) -> dict[str, Any]:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._out, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return
        while True:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == method:
                return


def load_page(
    chromium: str,
    url: str,
    *,
    width: int = 1200,
    height: int = 1600,
    timeout: float = 60,
    probe: str | None = None,
    full_page: bool = False,
) -> PageReport:
    """Open ``url`` headless, wait for load, screenshot, and report errors and requests.

    ``probe`` is a JavaScript expression evaluated in the loaded page (its value comes back as
    JSON), so a test can ask the browser what it actually rendered: computed styles, elements.
    ``full_page`` screenshots the whole page at ``width`` instead of the viewport.
    """
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()

    def wire_fds() -> None:  # in the child: its fd 3 reads our commands, fd 4 writes its answers
        high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
        os.dup2(high_r, 3)
        os.dup2(high_w, 4)

    with tempfile.TemporaryDirectory(prefix="blether-chromium-") as profile:
        process = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=wire_fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        pipe = _Pipe(to_browser_w, from_browser_r)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
                pipe.call(domain, session=session)
            pipe.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            pipe.events.clear()
            pipe.call("Page.navigate", {"url": url}, session=session)
            pipe.wait_for("Page.loadEventFired", timeout=timeout)
            pipe.call(
                "Runtime.evaluate",
                {"expression": "document.fonts.ready.then(() => true)", "awaitPromise": True},
                session=session,
            )
            probed = None
            if probe is not None:
                result = pipe.call("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)
                if "exceptionDetails" in result:
                    raise RuntimeError(f"probe failed: {result['exceptionDetails']}")
                probed = result["result"].get("value")
            shot_params: dict[str, Any] = {"format": "png"}
            if full_page:
                shot_params["captureBeyondViewport"] = True
                metrics = pipe.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
                shot_params["clip"] = {"x": 0, "y": 0, "width": width, "height": metrics["height"], "scale": 1}
            shot = pipe.call("Page.captureScreenshot", shot_params, session=session, timeout=timeout)
            report = PageReport(screenshot=base64.b64decode(shot["data"]), probe=probed)
            for event in pipe.events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                    report.errors.append(
                        "console: "
                        + " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", []))
                    )
                elif method == "Runtime.exceptionThrown":
                    details = params.get("exceptionDetails", {})
                    report.errors.append(
                        "exception: " + str(details.get("exception", {}).get("description") or details.get("text"))
                    )
                elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                    report.errors.append("log: " + params["entry"].get("text", ""))
                elif method == "Network.requestWillBeSent":
                    report.requests.append(params.get("request", {}).get("url", ""))
            try:
                pipe.call("Browser.close", timeout=5)
            except (EOFError, TimeoutError):
                pass
            return report
        finally:
            os.close(to_browser_w)
            os.close(from_browser_r)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
