"""Pictures of scenarios: SVG, PNG, DOT and Mermaid show the same scene, the same way each time."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import struct
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pydot
import pytest
from matplotlib.transforms import Affine2D, Bbox

from simulator import ScenarioResult, load_file, load_text, simulate
from simulator.cli import main
from simulator.draw import FORMATS, draw, render_dot, render_mermaid, render_png, render_svg
from simulator.draw.mermaid import to_mermaid
from simulator.draw.picture import Drawing, drawing
from simulator.draw.scene import LOOKS, Kind, Outcome, Scene, scene
from simulator.topology import Role

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SEED_1 = ROOT / "scenarios" / "01-seed-1-public-clb-allowlist.yaml"
SVG = "{http://www.w3.org/2000/svg}"

AWKWARD = """
title: 'Odd "names": a.b <c> & #1; back\\slash, 100% — done'
clients:
  client.one: 203.0.113.10
  client-one: 198.51.100.20
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg.web-1]}
  rs_1: {ip: 10.0.1.12, security_groups: [sg.web-1]}
load_balancers:
  clb.v2-x:
    type: public
    vip: 119.28.10.10
    listeners: [{protocol: TCP, port: 80, backends: [rs-1:8080, rs_1:8080]}]
security_groups:
  sg.web-1:
    inbound: [client.one IP + 8080 allow, CLB VIP + 8080 allow]
flows:
  - {name: 'the "first" <one>', from: client.one, to: clb.v2-x:80}
  - {from: client-one, to: clb.v2-x:80}
  - {from: client-one, to: rs_1:8080}
  - {from: client.one, to: 192.0.2.99:443}
health_checks:
  - {listener: clb.v2-x:80, backend: rs-1, expect: healthy}
"""


def result_of(path: Path) -> ScenarioResult:
    return simulate(load_file(path))


@pytest.fixture(scope="module")
def seed() -> ScenarioResult:
    return result_of(SEED_1)


@pytest.fixture(scope="module")
def awkward() -> ScenarioResult:
    return simulate(load_text(AWKWARD, "awkward.yaml"))


def label_lines(graph: Scene) -> set[str]:
    nodes = {line for _, d in graph.nodes(data=True) for line in d["label"].split("\n")}
    edges = {line for _, _, d in graph.edges(data=True) for line in d["label"].split("\n")}
    return (nodes | edges) - {""}


# -- the scene -------------------------------------------------------------------------
def test_the_scene_has_every_host_flow_and_health_check(seed: ScenarioResult) -> None:
    graph = scene(seed)
    kinds = Counter(d["kind"] for _, _, d in graph.edges(data=True))
    assert kinds[Kind.FLOW] == len(seed.flows) == 7
    assert kinds[Kind.HEALTH_CHECK] == len(seed.health_checks) == 2
    assert kinds[Kind.FORWARD] == 2  # clb-1 to rs-1 and to rs-2
    roles = {n: d["role"] for n, d in graph.nodes(data=True)}
    assert roles["clb-1 health checker"] is Role.HEALTH_CHECKER
    assert [d["column"] for _, d in graph.nodes(data=True)] == [0, 0, 0, 2, 2, 1, 1]


def test_edges_carry_outcome_and_the_deciding_rule_in_short(seed: ScenarioResult) -> None:
    edges = {(u, v, d["label"]): d["outcome"] for u, v, d in scene(seed).edges(data=True)}
    assert edges["ClientA", "clb-1", "80: sg-web #0"] is Outcome.ALLOWED
    assert edges["ClientC", "clb-1", "80: sg-web #3"] is Outcome.DENIED
    assert edges["ClientA", "rs-1", "22: sg-web default DROP"] is Outcome.DENIED
    assert edges["ClientA", "clb-1", "443: no TCP listener"] is Outcome.DENIED
    assert edges["clb-1 health checker", "rs-2", "8080: sg-web #2"] is Outcome.HEALTHY
    assert edges["clb-1", "rs-1", ""] is Outcome.FORWARDS  # every backend: named on the VIP
    assert "TCP:80 → 8080" in scene(seed).nodes["clb-1"]["label"]


def test_partial_flows_and_failing_checks_name_each_backend() -> None:
    partial = scene(result_of(ROOT / "scenarios" / "22-partial-backends-disagree.yaml"))
    labels = {d["label"]: d["outcome"] for _, _, d in partial.edges(data=True)}
    assert labels["80:\nrs-1: sg-open #0\nrs-2: sg-allowlist default DROP"] is Outcome.PARTIAL
    failing = scene(result_of(ROOT / "scenarios" / "09-hc-source-public-vip.yaml"))
    checks = {
        d["label"]: d["outcome"]
        for _, _, d in failing.edges(data=True)
        if d["kind"] is Kind.HEALTH_CHECK
    }
    assert checks == {
        "8080: sg-clients-and-vip #1": Outcome.HEALTHY,
        "8080: sg-clients-only default DROP": Outcome.UNHEALTHY,
    }


def test_a_long_label_puts_its_port_on_a_line_of_its_own() -> None:
    ephemeral = scene(result_of(ROOT / "scenarios" / "19-acl-stateless-ephemeral-ports.yaml"))
    labels = {d["label"] for _, _, d in ephemeral.edges(data=True)}
    assert "8080 from :61000:\nacl-b outbound default DROP" in labels
    assert "8080 from :61000: sg-web #0" in labels  # short enough for one line
    persistent = scene(result_of(ROOT / "scenarios" / "18-layer7-persistent-connections.yaml"))
    labels = {d["label"] for _, _, d in persistent.edges(data=True)}
    assert "82:\nsg-half-range default DROP\n(part of range)" in labels
    assert all(len(line) <= 36 for label in labels for line in label.split("\n"))


def test_success_is_solid_failure_dashed_and_every_colour_differs() -> None:
    assert {o for o, look in LOOKS.items() if look.style == "solid"} == {
        Outcome.ALLOWED, Outcome.HEALTHY, Outcome.FORWARDS,
    }  # fmt: skip
    assert LOOKS[Outcome.DENIED].style == LOOKS[Outcome.UNHEALTHY].style == "dashed"
    assert LOOKS[Outcome.PARTIAL].style == "dotted"
    assert len({look.colour for look in LOOKS.values()}) == len(LOOKS)


# -- SVG -------------------------------------------------------------------------------
def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_svg_parses_and_shows_every_name_and_label(seed: ScenarioResult) -> None:
    svg = render_svg(seed)
    texts = svg_texts(svg)
    assert seed.scenario.title in texts
    missing = label_lines(scene(seed)) - set(texts)
    assert not missing
    assert ET.fromstring(svg).get("width") == "1152pt"  # 16 x 9 inches


def stroked_paths(svg: str) -> list[dict[str, str]]:
    """The style of every stroked, unfilled path: edges' curves and the legend's lines."""
    styles = []
    for path in ET.fromstring(svg).iter(f"{SVG}path"):
        style = dict(
            part.strip().split(": ", 1) for part in path.get("style", "").split(";") if part
        )
        if style.get("fill") == "none" and "stroke" in style:
            styles.append(style)
    return styles


@pytest.mark.parametrize(
    "name", ["01-seed-1-public-clb-allowlist.yaml", "25-service-not-running.yaml"]
)
def test_svg_colours_and_dashes_each_edge_by_its_outcome(name: str) -> None:
    result = result_of(ROOT / "scenarios" / name)
    outcomes = Counter(d["outcome"] for _, _, d in scene(result).edges(data=True))
    paths = stroked_paths(render_svg(result))
    for outcome, count in outcomes.items():
        look = LOOKS[outcome]
        drawn = [p for p in paths if p["stroke"] == look.colour.lower()]
        assert len(drawn) == count + 1, outcome  # each edge, and its line in the legend
        dashed = {"stroke-dasharray" in p for p in drawn}
        assert dashed == {look.style != "solid"}, outcome


def test_svg_of_a_denied_flow_is_dashed(seed: ScenarioResult) -> None:
    denied = [p for p in stroked_paths(render_svg(seed)) if p["stroke"] == "#d55e00"]
    assert denied
    assert all(p.get("stroke-dasharray") for p in denied)


# -- the picture's geometry -----------------------------------------------------------
Box = tuple[float, float, float, float]  # left, bottom, right, top, in pixels


@dataclass(frozen=True)
class Geometry:
    """What a drawn figure shows, in pixels, read back from its artists after drawing: each
    edge as polylines (its curve, its arrow's head) and its line's width, each label's box
    by edge, each node's marker and name, and the frame."""

    edges: list[tuple[str, list[list[tuple[float, float]]], float]]
    labels: dict[int, tuple[str, Box]]
    nodes: list[tuple[str, Box]]
    frame: Box


def extent(box: Bbox) -> Box:
    return (float(box.x0), float(box.y0), float(box.x1), float(box.y1))


def geometry(shown: Drawing) -> Geometry:
    canvas = shown.figure.canvas
    canvas.draw()  # lays out every text and its box, as saving does
    renderer = canvas.get_renderer()  # type: ignore[attr-defined]
    pixel = shown.figure.dpi / 72
    edges, labels = [], {}
    for number, ((source, target, _), line, label) in enumerate(shown.edges):
        path = line.get_transform().transform_path(line.get_path())
        polylines = [
            [(float(x), float(y)) for x, y in p] for p in path.to_polygons(closed_only=False)
        ]
        name = f"{source} → {target}" + (f" ({label.get_text()})" if label else "")
        edges.append((name, polylines, float(line.get_linewidth()) * pixel))
        if label is not None:
            patch = label.get_bbox_patch()
            assert patch is not None
            labels[number] = (name, extent(patch.get_window_extent(renderer)))
    nodes = [(name.get_text(), extent(name.get_window_extent(renderer))) for name in shown.names]
    for markers in shown.markers:
        shape = markers.get_paths()[0]
        for centre, scale in zip(
            markers.get_offset_transform().transform(markers.get_offsets()),
            itertools.cycle(markers.get_transforms()), strict=False,
        ):  # fmt: skip
            x0, y0, x1, y1 = extent(shape.transformed(Affine2D(scale)).get_extents())
            cx, cy = float(centre[0]), float(centre[1])
            nodes.append(("a marker", (cx + x0, cy + y0, cx + x1, cy + y1)))
    frame = extent(shown.figure.axes[0].get_window_extent(renderer))
    return Geometry(edges, labels, nodes, frame)


def grown(box: Box, by: float) -> Box:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def enters(polyline: list[tuple[float, float]], box: Box) -> bool:
    """Whether a polyline has any point inside the box: each segment clipped to it (Liang and
    Barsky), so that a segment crossing it without a point inside counts too."""
    for (x0, y0), (x1, y1) in itertools.pairwise(polyline):
        low, high = 0.0, 1.0
        for step, room in ((x0 - x1, x0 - box[0]), (x1 - x0, box[2] - x0),
                           (y0 - y1, y0 - box[1]), (y1 - y0, box[3] - y0)):  # fmt: skip
            if step == 0:
                if room < 0:
                    break
            elif step < 0:
                low = max(low, room / step)
            else:
                high = min(high, room / step)
        else:
            if low <= high:
                return True
    return False


def faults(shown: Geometry) -> list[str]:
    """Every way the picture breaks its rules: an edge through another's label (its line's
    half width counted), two labels overlapping, a label over a node or its name, or out of
    the frame; and a label that its own edge misses."""
    found = []
    for number, (text, box) in shown.labels.items():
        for other, (name, polylines, width) in enumerate(shown.edges):
            touched = any(enters(p, grown(box, width / 2)) for p in polylines)
            if other != number and touched:
                found.append(f"{name} runs through the label of {text}")
            if other == number and not any(enters(p, box) for p in polylines):
                found.append(f"the label of {text} is off its own edge")
        found += [f"the label of {text} covers {n!r}" for n, at in shown.nodes if overlap(box, at)]
        left, bottom, right, top = shown.frame
        if not (left <= box[0] and box[2] <= right and bottom <= box[1] and box[3] <= top):
            found.append(f"the label of {text} leaves the frame")
    for (a, first), (b, second) in itertools.combinations(shown.labels.values(), 2):
        if overlap(first, second):
            found.append(f"the labels of {a} and of {b} overlap")
    return found


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name[:2])
def test_no_edge_crosses_a_label_and_no_label_covers_another_or_a_node(path: Path) -> None:
    found = faults(geometry(drawing(scene(result_of(path)))))
    assert not found, "\n".join(found)


def test_the_geometry_check_finds_what_breaks_the_rules(seed: ScenarioResult) -> None:
    shown = geometry(drawing(scene(seed)))
    (first, (name, box)), (second, _) = list(shown.labels.items())[:2]
    moved = {**shown.labels, second: ("moved", box)}  # a second label on the first, off its edge
    found = faults(Geometry(shown.edges, moved, shown.nodes, shown.frame))
    assert f"the labels of {name} and of moved overlap" in found
    assert "the label of moved is off its own edge" in found
    assert f"{name} runs through the label of moved" in found
    node, at = shown.nodes[0]
    found = faults(Geometry(shown.edges, {first: (name, at)}, shown.nodes, shown.frame))
    assert f"the label of {name} covers {node!r}" in found
    outside = (box[0] - 1000, box[1], box[2] - 1000, box[3])
    found = faults(Geometry(shown.edges, {first: (name, outside)}, shown.nodes, shown.frame))
    assert f"the label of {name} leaves the frame" in found


# -- PNG -------------------------------------------------------------------------------
def test_png_is_a_png_of_1920_by_1080(seed: ScenarioResult) -> None:
    png = render_png(seed)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (1920, 1080)
    assert b"Matplotlib" not in png  # no version in the metadata


# -- byte for byte ---------------------------------------------------------------------
@pytest.mark.parametrize("extension", FORMATS)
def test_two_runs_write_the_same_bytes(
    extension: str, seed: ScenarioResult, tmp_path: Path
) -> None:
    first, second = tmp_path / f"a{extension}", tmp_path / f"b{extension}"
    draw(seed, first)
    draw(result_of(SEED_1), second)
    assert first.read_bytes() == second.read_bytes()
    assert b"\r\n" not in first.read_bytes() or extension == ".png"


def test_the_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"{seed}.svg"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "simulator", "graph", str(SEED_1), "-o", str(out)]
        subprocess.run(command, check=True, env=env, cwd=tmp_path)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_the_shipped_picture_is_current() -> None:
    shipped = ROOT / "docs" / "images" / "seed-1.svg"
    assert shipped.read_text(encoding="utf-8") == render_svg(result_of(SEED_1)), (
        "regenerate: sgsim graph scenarios/01-seed-1-public-clb-allowlist.yaml "
        "-o docs/images/seed-1.svg"
    )


def test_the_mermaid_example_in_the_docs_is_current() -> None:
    page = (ROOT / "docs" / "graph.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```mermaid\n(.*?)```", page, re.S)
    assert block == render_mermaid(result_of(SEED_1))


# -- DOT -------------------------------------------------------------------------------
def parse_dot(text: str) -> pydot.Dot:
    """pydot's own parser; its first use warns about pyparsing names pydot still calls."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r".* deprecated - use ", DeprecationWarning)
        (dot,) = pydot.graph_from_dot_data(text)
    return dot


def test_dot_parses_back_with_every_node_edge_and_attribute(seed: ScenarioResult) -> None:
    graph = scene(seed)
    dot = parse_dot(render_dot(seed))
    nodes = {n.get_name().strip('"'): n for n in dot.get_nodes()}
    nodes = {k: v for k, v in nodes.items() if k not in ("node", "edge", "graph")}
    assert set(nodes) == set(graph.nodes)
    assert nodes["clb-1"].get("shape") == "hexagon"
    assert nodes["clb-1 health checker"].get("shape") == "diamond"
    edges = dot.get_edges()
    assert len(edges) == graph.number_of_edges()
    by_label = {e.get("label").strip('"'): e for e in edges if e.get("label") != '""'}
    denied = by_label["80: sg-web #3"]
    assert (denied.get_source(), denied.get_destination()) == ("ClientC", '"clb-1"')
    assert denied.get("style") == "dashed"
    assert denied.get("color").strip('"') == LOOKS[Outcome.DENIED].colour
    assert by_label["8080: sg-web #2"].get("style") == "solid"
    assert dot.get("rankdir") == "LR"
    ranks = [sorted(n.get_name().strip('"') for n in s.get_nodes()) for s in dot.get_subgraphs()]
    assert ranks[1] == ["clb-1", "clb-1 health checker"]  # the checker beside its VIP


def test_dot_survives_awkward_names(awkward: ScenarioResult) -> None:
    dot = parse_dot(render_dot(awkward))
    assert dot.get("label") == r'"Odd \"names\": a.b <c> & #1; back\\slash, 100% — done"'
    names = {n.get_name().strip('"') for n in dot.get_nodes()} - {"node", "edge"}
    assert names == set(scene(awkward).nodes)


# -- Mermaid ---------------------------------------------------------------------------
NODE_LINE = re.compile(r"^    (\w+)(\(\[|\{\{|\{|\[/|\[)\"")
LINK_LINE = re.compile(r"^    (\w+) (-->|-\.->)(\|\"[^\"]*\"\|)? (\w+)$")
STYLE_LINE = re.compile(r"^    linkStyle (\d+) stroke:(#[0-9A-F]{6}),stroke-width:[\d.]+px,")


def mermaid_parts(text: str) -> tuple[list[str], list[re.Match[str]], list[int]]:
    lines = text.splitlines()
    nodes = [m.group(1) for line in lines if (m := NODE_LINE.match(line))]
    links = [m for line in lines if (m := LINK_LINE.match(line))]
    styles = [int(m.group(1)) for line in lines if (m := STYLE_LINE.match(line))]
    return nodes, links, styles


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name[:2])
def test_mermaid_has_a_line_per_node_a_link_per_edge_and_a_style_per_link(path: Path) -> None:
    result = result_of(path)
    graph = scene(result)
    text = render_mermaid(result)
    assert text.splitlines()[3] == "flowchart LR"
    nodes, links, styles = mermaid_parts(text)
    assert len(nodes) == len(set(nodes)) == graph.number_of_nodes()
    assert len(links) == graph.number_of_edges()
    flows = sum(1 for _, _, d in graph.edges(data=True) if d["kind"] is Kind.FLOW)
    assert flows == len(result.flows)
    assert sorted(styles) == list(range(len(links)))
    for link, (_, _, data) in zip(links, graph.edges(data=True), strict=True):
        assert (link.group(2) == "-->") is (LOOKS[data["outcome"]].style == "solid")


def test_mermaid_styles_each_link_by_its_outcome(seed: ScenarioResult) -> None:
    lines = render_mermaid(seed).splitlines()
    styles = {int(m.group(1)): m.group(2) for x in lines if (m := STYLE_LINE.match(x))}
    outcomes = [d["outcome"] for _, _, d in scene(seed).edges(data=True)]
    assert [styles[i] for i in range(len(outcomes))] == [LOOKS[o].colour for o in outcomes]
    dashed = [line for line in lines if "stroke-dasharray:8 4" in line]
    assert len(dashed) == outcomes.count(Outcome.DENIED)


def awkward_mermaid(result: ScenarioResult) -> str:
    """Mermaid text of the awkward scenario, one label also holding what Mermaid's parser reads:
    quotes, angle brackets, an entity code, a hash."""
    graph = scene(result)
    u, v, key = next(iter(graph.edges(keys=True)))
    graph.edges[u, v, key]["label"] += '\nsay "hi" <b>#35;</b> & #1 #quot;'
    graph.nodes[u]["label"] += '\n"quoted" <name>'
    return to_mermaid(graph)


def test_mermaid_survives_awkward_names(awkward: ScenarioResult) -> None:
    text = awkward_mermaid(awkward)
    nodes, links, _ = mermaid_parts(text)
    assert len(nodes) == len(set(nodes)) == scene(awkward).number_of_nodes()
    assert "client_client_one" in nodes and "client_client_one_2" in nodes
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", n) for n in nodes)
    assert len(links) == scene(awkward).number_of_edges()
    assert text.splitlines()[1] == (
        'title: "Odd \\"names\\": a.b <c> & #1; back\\\\slash, 100% — done"'
    )
    body = "\n".join(text.splitlines()[3:])
    for quoted in re.findall(r'"([^"]*)"', body):
        assert not re.search(r"[<>](?!br/>)", quoted.replace("<br/>", "")), quoted
        assert re.fullmatch(r"(#\d+;|#[a-z]+;|[^#])*", quoted), quoted


MERMAID_HOME = Path(os.environ.get("SGSIM_MERMAID", Path.home() / ".cache" / "sgsim" / "mermaid"))
PARSE = """
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
const [home, ...files] = process.argv.slice(2);
const require = createRequire(join(home, "package.json"));
const { JSDOM } = require("jsdom");
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const mermaid = (await import(pathToFileURL(require.resolve("mermaid")).href)).default;
mermaid.initialize({ startOnLoad: false });
let failed = 0;
for (const file of files) {
  try {
    await mermaid.parse(readFileSync(file, "utf8"));
  } catch (error) {
    failed += 1;
    console.log(`${file}: ${String(error.message ?? error).replace(/\\n/g, " | ")}`);
  }
}
process.exit(failed ? 1 : 0);
"""


def test_mermaid_parses_with_mermaid_itself(awkward: ScenarioResult, tmp_path: Path) -> None:
    node = shutil.which("node")
    modules = MERMAID_HOME / "node_modules"
    if node is None or not (modules / "mermaid").is_dir() or not (modules / "jsdom").is_dir():
        pytest.skip(
            f"needs node, and mermaid and jsdom in {MERMAID_HOME} (SGSIM_MERMAID): "
            f"npm install --prefix {MERMAID_HOME} mermaid@11 jsdom"
        )
    files = []
    texts = [awkward_mermaid(awkward), *(render_mermaid(result_of(p)) for p in SCENARIOS)]
    for number, text in enumerate(texts):
        files.append(tmp_path / f"{number:02}.mmd")
        files[-1].write_text(text, encoding="utf-8")
    script = tmp_path / "parse.mjs"
    script.write_text(PARSE, encoding="utf-8")
    done = subprocess.run(
        [node, str(script), str(MERMAID_HOME), *map(str, files)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


# -- the command -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["seed.svg", "seed.PNG", "seed.dot", "seed.Mmd"])
def test_graph_writes_the_file_and_prints_nothing(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / name
    assert main(["graph", str(SEED_1), "-o", str(out)]) == 0
    assert out.stat().st_size > 0
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "OUT/seed.pdf"], "OUT/seed.pdf: unknown picture format '.pdf'; "
         "use one of .svg, .png, .dot, .mmd"),
        (["-o", "OUT/seed"], "OUT/seed: unknown picture format '(none)'; "
         "use one of .svg, .png, .dot, .mmd"),
        (["-o", "OUT/no/such/folder/seed.svg"], "OUT/no/such/folder/seed.svg: cannot write: "
         "No such file or directory"),
    ],
)  # fmt: skip
def test_graph_refuses_what_it_cannot_write(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    assert main(["graph", str(SEED_1), *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"sgsim: {message.replace('OUT', str(tmp_path))}\n"


def test_graph_of_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert main(["graph", str(missing), "-o", str(tmp_path / "x.svg")]) == 2
    assert capsys.readouterr().err == f"sgsim: {missing}: no such file\n"
    assert not (tmp_path / "x.svg").exists()


def test_graph_needs_an_output(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["graph", str(SEED_1)])
    assert exit_.value.code == 2
    assert "-o/--output" in capsys.readouterr().err


def test_the_command_line_loads_no_drawing_library() -> None:
    code = "import sys, simulator.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "matplotlib" not in done.stdout
    assert "pydot" not in done.stdout
