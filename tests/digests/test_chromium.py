"""The HTML e-mail, as received by a real SMTP server, rendered by headless Chromium at phone width.

Skips when /usr/bin/chromium is absent. Set NEWSWATCH_UPDATE_SCREENSHOT=1 to
refresh docs/digest-email.png from the run.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest

from digests.deliver import deliver_due
from digests.queue import queue_items
from tests.conftest import REPO
from tests.digests.helpers import T0, article, match, settings, story

CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 390  # a common phone viewport
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--hide-scrollbars",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (apt-get install chromium)")


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def received_html(store, tmp_path, monkeypatch, smtp) -> str:
    monkeypatch.setenv("NW_TEST_MAIL", smtp.url())
    s = settings(tmp_path, [{"name": "mail", "url": "${NW_TEST_MAIL}", "schedule": "immediate"}])
    for i in range(4):
        queue_items(store, s, story(i, outlets=2 + i), article(i), [match(new_inst=i == 2)], T0)
    queue_items(store, s, story(4), article(4), [match("semis", "광주 반도체")], T0)
    assert deliver_due(store, s, T0).failures == ()
    [msg] = smtp.messages
    return msg.get_body(("html",)).get_content()


def phone_page(html: str, probe: bool = False) -> str:
    """The mail inside a WIDTH-px iframe: headless Chromium will not make a window narrower than 500px."""
    script = (
        "<script>const f=document.querySelector('iframe');f.onload=()=>{const d=f.contentDocument.documentElement;"
        "document.body.setAttribute('data-w', d.scrollWidth+'/'+f.contentWindow.innerWidth)}</script>"
        if probe else ""
    )
    return (
        '<!DOCTYPE html><html><body style="margin:0;background:#d0d4da;">'
        f'<iframe srcdoc="{escape(html, quote=True)}" style="display:block;margin:0 auto;width:{WIDTH}px;height:1640px;border:0;background:#fff;"></iframe>'
        f"{script}</body></html>"
    )


def test_no_horizontal_scroll_at_phone_width(received_html, tmp_path):
    page = tmp_path / "probe.html"
    page.write_text(phone_page(received_html, probe=True), encoding="utf-8")
    out = chromium(tmp_path, "--window-size=500,900", "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    m = re.search(r'data-w="(\d+)/(\d+)"', out.stdout)
    assert m, out.stderr[-2000:]
    scroll, inner = int(m.group(1)), int(m.group(2))
    assert inner == WIDTH and scroll <= inner  # nothing wider than the phone screen


def test_screenshot(received_html, tmp_path):
    page = tmp_path / "mail.html"
    page.write_text(phone_page(received_html), encoding="utf-8")
    shot = tmp_path / "digest-email.png"
    out = chromium(tmp_path, "--window-size=500,1640", "--virtual-time-budget=5000", f"--screenshot={shot}", page.as_uri())
    assert shot.exists() and shot.stat().st_size > 20_000, out.stderr[-2000:]
    if os.environ.get("NEWSWATCH_UPDATE_SCREENSHOT"):
        shutil.copy(shot, REPO / "docs" / "digest-email.png")
