"""The whole pipeline as a user runs it: `newswatch demo` and `newswatch run` in a subprocess (real Prefect)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _newswatch(args: list[str], tmp_path: Path, prefect_home: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEWSWATCH_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(prefect_home),
           "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("PREFECT_API_URL", None)
    return subprocess.run([sys.executable, "-m", "newswatch", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_demo_prints_the_expected_digest(tmp_path, prefect_home):
    result = _newswatch(["demo"], tmp_path, prefect_home)
    out = result.stdout
    assert result.returncode == 0, result.stderr[-3000:]
    # the Gwangju AI stories are in the digest ...
    assert "광주 국가 AI 데이터센터 2단계 착공" in out or "광주 AI 데이터센터 2단계 첫 삽" in out
    assert "광주AI융합실증센터 개소" in out
    assert "광주 AI 스타트업 12곳" in out
    # ... the wire story republished by a second outlet is shown once, with the other outlet named
    titles = ("광주 국가 AI 데이터센터 2단계 착공", "광주 AI 데이터센터 2단계 첫 삽")
    assert sum(out.count(t) for t in titles) == 1, out
    assert "+1" in out and "남도경제신문" in out and "한빛뉴스통신" in out
    # ... the new institution is reported in its own section
    institutions = out.split("신규 기관", 2)[-1]
    assert "광주AI융합실증센터" in institutions, out
    # ... and neither Gyeonggi-do's Gwangju nor the unrelated festival is
    assert "경기도 광주시" not in out and "AI 신호 제어" not in out
    assert "무등산 단풍" not in out
    assert "Traceback" not in result.stderr


def test_run_without_network_names_each_unreachable_feed(tmp_path, prefect_home):
    config = tmp_path / "offline.yaml"
    config.write_text(
        "feeds:\n"
        "  - {name: 닫힌포트, url: 'http://127.0.0.1:9/rss'}\n"
        "  - {name: 없는호스트, url: 'http://feeds.newswatch-test.invalid/rss'}\n"
        "fetch: {allow_private_addresses: true, connect_timeout: 2}\n"
        f"rules: ['{REPO / 'rules'}']\n",
        encoding="utf-8",
    )
    result = _newswatch(["run", "--config", str(config)], tmp_path, prefect_home)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [l for l in result.stdout.splitlines() if l.startswith("feed failed")]
    assert len(lines) == 2, result.stdout
    assert any("닫힌포트" in l and "connection" in l for l in lines), lines
    assert any("없는호스트" in l and "dns" in l for l in lines), lines
    assert "Traceback" not in result.stderr
    # run again at once: both feeds wait out their backoff, and each still gets its line
    again = _newswatch(["run", "--config", str(config)], tmp_path, prefect_home)
    assert again.returncode == 0, again.stderr[-3000:]
    waiting = [l for l in again.stdout.splitlines() if l.startswith("feed waiting")]
    assert len(waiting) == 2 and any("없는호스트" in l and "dns" in l and "next try" in l for l in waiting), again.stdout


def test_run_with_a_bad_config_exits_non_zero_with_the_place(tmp_path, prefect_home):
    config = tmp_path / "bad.yaml"
    config.write_text("feeds:\n  - {name: a, url: 'http://x/rss', colour: red}\n", encoding="utf-8")
    result = _newswatch(["run", "--config", str(config)], tmp_path, prefect_home, timeout=60)
    assert result.returncode == 2
    assert f"{config}:2:" in result.stderr and "colour" in result.stderr
    assert "Traceback" not in result.stderr
