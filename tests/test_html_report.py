"""The HTML report: one self-contained page, parsed back; rendered in headless Chromium where
the machine has it."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.fixes import repair_all
from simulator.html_report import render_html
from simulator.results import ScenarioResult
from simulator.scenario import load_file
from simulator.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
BROKEN = ROOT / "docs" / "examples" / "egress-wrong-port.yaml"
VOID = {"meta", "br", "img", "link", "input", "hr", "col", "area", "base", "wbr", "source"}


class Page(HTMLParser):
    """Checks that tags nest, and collects what a reader would see and fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[str] = []
        self.fetches: list[str] = []
        self.text: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])
        for key in ("src", "href"):
            value = found.get(key)
            if value and not value.startswith("#"):
                self.fetches.append(value)
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    assert page.open == []
    return page


def fake_picture(result: ScenarioResult) -> str:
    return f'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><title>{len(result.flows)}</title></svg>'


def report(paths: list[Path]) -> str:
    results = [simulate(load_file(p)) for p in paths]
    return render_html(results, fixes=[repair_all(r) for r in results], picture=fake_picture)


def test_every_shipped_scenario_makes_a_well_formed_page_that_fetches_nothing() -> None:
    text = report(SCENARIOS)
    page = parsed(text)
    assert page.fetches == []
    assert "script" not in page.tags and "link" not in page.tags
    assert page.tags.count("section") == len(SCENARIOS)
    assert page.tags.count("svg") == len(SCENARIOS)
    assert "<?xml" not in text  # the picture is inlined as an element
    results = [simulate(load_file(p)) for p in SCENARIOS]
    traced = sum(len(r.flows) + len(r.health_checks) for r in results)
    assert page.tags.count("details") == traced  # one expandable trace per flow and check
    assert page.ids == [f"s{n}" for n in range(1, len(SCENARIOS) + 1)]


def test_the_page_holds_the_tables_the_fixes_and_the_steps() -> None:
    text = report([BROKEN])
    words = " ".join(parsed(text).text)
    assert "ClientA -> clb-1:80 (TCP)" in words
    assert "sg-client outbound: no rule matched, default DROP" in words
    assert "fix: change sg-client outbound #0 'CLB VIP + 8080 allow'" in words
    assert "first match reads 2 rules for TCP, port 80, destination 10.0.0.100" in words
    assert '<td class="bad">FAIL</td>' in text and '<td class="good">PASS</td>' in text


def test_each_flow_is_headed_by_its_name_and_its_chosen_source_port() -> None:
    text = report([ROOT / "scenarios" / "19-acl-stateless-ephemeral-ports.yaml"])
    summaries = re.findall(r"<summary>(.*?):? <span", text)
    assert "source port 1025 via CLB: ClientA:1025 -&gt; clb-1:80 (TCP)" in summaries
    assert "default source port 50000 via CLB: ClientA -&gt; clb-1:80 (TCP)" in summaries
    assert len(set(summaries)) == len(summaries)  # no two flows look alike


def test_names_are_escaped() -> None:
    scenario = load_file(BROKEN)  # a title is the user's text: it must be escaped
    result = simulate(replace(scenario, title="<b>&\"'</b>"))
    page = render_html([result], fixes=[[]])
    assert "&lt;b&gt;&amp;&quot;&#x27;&lt;/b&gt;" in page


def test_the_same_input_gives_the_same_page() -> None:
    assert report(SCENARIOS[:3]) == report(SCENARIOS[:3])


def test_cli_writes_the_page_with_real_pictures(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert main(["replay", str(SCENARIOS[0]), "--format", "html", "-o", str(out)]) == 0
    page = parsed(out.read_text(encoding="utf-8"))
    assert page.tags.count("svg") == 1 and page.fetches == []


def test_cli_output_that_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "report.html"
    assert main(["replay", str(SCENARIOS[0]), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sgsim: --output: cannot write {target}: ")
    assert err.count("\n") == 1


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)"
)
def test_headless_chromium_renders_the_page(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert main(["replay", str(BROKEN), "--format", "html", "-o", str(out)]) == 1
    assert CHROMIUM is not None
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", out.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert "<svg" in dom and "ClientA -&gt; clb-1:80 (TCP)" in dom
    shot = tmp_path / "page.png"
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1280,2000", out.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
