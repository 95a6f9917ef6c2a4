"""Stage 6, the command line: argparse, dispatch and exit codes; no logic of its own.

Exit status: 0 every expectation holds, 1 an expectation fails, 2 the input is invalid.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from . import __version__
from .analysis.diff import diff
from .analysis.lint import Severity, lint
from .analysis.reach import reach, require_listener, restrict_to
from .analysis.report import (
    render_diff_json,
    render_diff_text,
    render_findings_json,
    render_findings_table,
    render_reach_json,
    render_reach_text,
)
from .checks import Limits
from .demo import play, seed_files
from .errors import ScenarioError, SimulatorError, UsageError, did_you_mean
from .fixes import Repair, Target, repair, repair_all
from .html_report import render_html
from .importers.commands import add_commands, run_export, run_import
from .logs.commands import add_command as add_replay_log
from .logs.commands import run_replay_log
from .model import Flow, Scenario, TargetKind, Verdict
from .report import (
    render_flow_json,
    render_json,
    render_repairs,
    render_table,
    render_trace,
)
from .results import FlowResult
from .scenario import flow_from_options, load_file, target_from_options
from .simulate import simulate, trace
from .steps import render_steps, use_color

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """argparse, with a mistake on the command line said in one line, as every other mistake."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INVALID, f"sgsim: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog="sgsim",
        description="Simulate packets through Tencent Cloud load balancers and security groups.",
    )
    top.add_argument("--version", action="version", version=f"sgsim {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    replay = commands.add_parser(
        "replay",
        help="replay scenario files: every flow and health check, with the deciding rule",
        description="Replay scenario files (a folder means every *.yaml in it, sorted). "
        "Exit status 0: every expectation holds; 1: one fails; 2: invalid input.",
    )
    replay.add_argument("paths", nargs="+", metavar="PATH", help="scenario file or folder")
    replay.add_argument(
        "--format", choices=("table", "json", "html"), default="table",
        help="tables for people (default), the JSON report for programs, or one self-contained "
        "HTML page with pictures and every trace",
    )  # fmt: skip
    replay.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE instead of the terminal"
    )
    replay.add_argument(
        "--notes", action="store_true", help="print each scenario's notes above its tables"
    )
    _limit_options(replay)

    check = commands.add_parser(
        "lint",
        help="find rules that never apply, order that decides, exposures and failing checks",
        description="Lint scenario files. Exit status 0: no error-severity finding; 1: at least "
        "one; 2: invalid input.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="scenario file or folder")
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.add_argument(
        "--info", action="store_true", help="also list info findings (generalizations)"
    )
    _limit_options(check)

    who = commands.add_parser(
        "reach",
        help="every source address that gets through to a load balancer's or instance's port",
        description="Exactly which sources reach TARGET:PORT through every checkpoint, per "
        "backend the CLB may pick, and which are blocked by which rule; an instance among the "
        "sources must also pass its own outbound rules and subnet ACL.",
    )
    who.add_argument("file", metavar="FILE", help="scenario file")
    who.add_argument("--to", required=True, metavar="TARGET:PORT", help="LB:PORT or INSTANCE:PORT")
    who.add_argument(
        "--from",
        dest="source",
        metavar="NAME",
        help="only NAME's own address, with the rule that decides it",
    )
    who.add_argument("--protocol", metavar="P", help="TCP or UDP (default: the listener's)")
    who.add_argument("--format", choices=("text", "json"), default="text")

    compare = commands.add_parser(
        "diff",
        help="every region of packets, flow and health check whose verdict changes",
        description="Compare two scenario files. Exit status 0: equivalent; 1: something "
        "changes; 2: invalid input.",
    )
    compare.add_argument("old", metavar="OLD", help="scenario file before")
    compare.add_argument("new", metavar="NEW", help="scenario file after")
    compare.add_argument("--group", metavar="NAME", help="compare only this security group's rules")
    compare.add_argument("--format", choices=("text", "json"), default="text")

    one = commands.add_parser(
        "trace",
        help="trace one flow hop by hop, request and reply, for every backend the CLB may pick",
        description="Trace one flow, which need not be in the file, hop by hop: the request, "
        "then the reply, for every backend the CLB may pick. Exit status 0 whatever the "
        "verdict; 2 for invalid input.",
    )
    one.add_argument("file", metavar="FILE", help="scenario file")
    one.add_argument(
        "--from", dest="source", required=True, metavar="NAME", help="client or instance"
    )
    one.add_argument(
        "--to", required=True, metavar="TARGET:PORT", help="LB:PORT, INSTANCE:PORT or ADDRESS:PORT"
    )
    one.add_argument(
        "--protocol", metavar="P", help="TCP, UDP, ICMP, ICMPv6 or GRE (default: the listener's)"
    )
    one.add_argument("--src-port", type=int, metavar="N", help="source port (default 50000)")
    one.add_argument(
        "--format", choices=("text", "json"), default="text",
        help="hop tables for people (default) or one flow of the JSON report",
    )  # fmt: skip
    one.add_argument(
        "--steps", action="store_true",
        help="number every event: each rule read with a mark per field, the connection table, "
        "the reply",
    )  # fmt: skip
    one.add_argument(
        "--fix", action="store_true",
        help="also the smallest rule change that gives the --expect outcome, checked by "
        "simulating the scenario again",
    )  # fmt: skip
    one.add_argument(
        "--expect", choices=("allowed", "denied"),
        help="the outcome --fix aims for (default: allowed when denied or partial, else denied)",
    )  # fmt: skip
    one.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto",
        help="colour the steps: auto (default) on a terminal unless NO_COLOR is set",
    )  # fmt: skip

    teach = commands.add_parser(
        "demo",
        help="classroom mode: scenarios told flow by flow, with the deciding rule, or a quiz",
        description="Walk scenarios one flow at a time, then their health checks: who connects "
        "to what, a pause, then the outcome and the rule that decided it. Without a terminal, "
        "print it all (with --quiz, an answer key). Exit status 0; 2 for invalid input.",
    )
    teach.add_argument(
        "paths", nargs="*", metavar="FILE",
        help="scenario file or folder (default: the seed's scenarios 01 to 08 in ./scenarios)",
    )  # fmt: skip
    teach.add_argument(
        "--quiz", action="store_true",
        help="ask for each outcome first (a/d/p, h/u), then give the score and what was missed",
    )  # fmt: skip

    picture = commands.add_parser(
        "graph",
        help="draw a scenario: its hosts, and every flow and health check with its deciding rule",
        description="Draw a scenario: clients, load balancers with their health checkers, "
        "backends; every flow and health check as an edge coloured and dashed by its outcome and "
        "labelled with the rule that decided it. OUT's extension picks the format: .svg or .png "
        "(a picture), .dot (Graphviz), .mmd (Mermaid). Prints nothing. Exit status 0; 2 for "
        "invalid input.",
    )
    picture.add_argument("file", metavar="FILE", help="scenario file")
    picture.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="file to write: .svg, .png, .dot, .mmd"
    )
    add_commands(commands)
    add_replay_log(commands)
    return top


def _limit_options(command: argparse.ArgumentParser) -> None:
    """Tencent's quotas, which an account may have raised."""
    defaults = Limits()
    command.add_argument(
        "--max-rules-per-group", type=_count, default=defaults.rules_per_group, metavar="N",
        help="warn above N rules in a security group (default %(default)s)",
    )  # fmt: skip
    command.add_argument(
        "--max-groups-per-clb", type=_count, default=defaults.groups_per_load_balancer, metavar="N",
        help="warn above N security groups on a load balancer (default %(default)s)",
    )  # fmt: skip


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(args.max_rules_per_group, args.max_groups_per_clb)


def _count(text: str) -> int:
    """A whole number of at least 1, for argparse."""
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def scenario_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.glob("*.yaml"))
            if not found:
                raise UsageError(f"{name}: no *.yaml scenario files in this folder")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"{name}: no such file or folder")
    return files


def load_all(files: Sequence[Path]) -> list[Scenario]:
    """Every scenario, or every file's error on stderr and ``ScenarioError`` for the first."""
    scenarios, errors = [], []
    for file in files:
        try:
            scenarios.append(load_file(file))
        except ScenarioError as error:
            errors.append(error)
    for each in errors:
        print(each, file=sys.stderr)
    if errors:
        raise errors[0]
    return scenarios


def run_replay(args: argparse.Namespace) -> int:
    limits = _limits(args)
    results = [simulate(s, limits) for s in load_all(scenario_files(args.paths))]
    fixes = [repair_all(r) for r in results]
    if args.format == "json":
        report = render_json(results, fixes=fixes)
    elif args.format == "html":
        from .draw import render_svg  # noqa: PLC0415 (drawing loads matplotlib: only when asked)

        report = render_html(results, fixes=fixes, picture=render_svg)
    else:
        report = render_table(results, notes=args.notes, fixes=fixes)
    write_output(report, args.output)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def write_output(report: str, output: str | None) -> None:
    """The report on standard output, or in the file ``output``."""
    if output is None:
        sys.stdout.write(report)
        return
    try:
        Path(output).write_text(report, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--output: cannot write {output}: {error.strerror}") from None


def run_lint(args: argparse.Namespace) -> int:
    limits = _limits(args)
    files = []
    for scenario in load_all(scenario_files(args.paths)):
        found = lint(scenario, limits)
        files.append(
            (scenario.file, [f for f in found if args.info or f.severity is not Severity.INFO])
        )
    render = render_findings_json if args.format == "json" else render_findings_table
    sys.stdout.write(render(files))
    errors = any(f.severity is Severity.ERROR for _, found in files for f in found)
    return EXIT_FAILED if errors else EXIT_OK


def run_reach(args: argparse.Namespace) -> int:
    scenario = load_one(args.file, "reach")
    try:
        target, protocol = target_from_options(scenario, to=args.to, protocol=args.protocol)
        if args.source is not None:
            flow_from_options(scenario, source=args.source, to=args.to, protocol=args.protocol)
    except ScenarioError as error:
        message = error.message.replace("give the flow a protocol", "choose one with --protocol")
        raise UsageError(f"{_option(error.field)}: {message}") from None
    if target.kind is TargetKind.ADDRESS:
        raise UsageError(f"--to: '{args.to}' is not a load balancer or an instance of the scenario")
    require_listener(scenario, target.name, target.port, protocol)
    results = reach(scenario, target.name, target.port, protocol)
    if args.source is not None:
        address = scenario.host_address(args.source)
        results = [restrict_to(r, address, args.source) for r in results]
    render = render_reach_json if args.format == "json" else render_reach_text
    sys.stdout.write(render(args.to, results))
    return EXIT_OK


def load_one(file: str, command: str) -> Scenario:
    """The one scenario file a command reads."""
    if Path(file).is_dir():
        raise UsageError(f"{file}: a folder; {command} reads one scenario file")
    if not Path(file).is_file():
        raise UsageError(f"{file}: no such file")
    (scenario,) = load_all([Path(file)])
    return scenario


def _option(field: str) -> str:
    """The command-line option a field of a command-line question came from."""
    names = {"from": "--from", "to": "--to", "protocol": "--protocol", "src_port": "--src-port"}
    key = field.rsplit(".", maxsplit=1)[-1]
    return names.get(key, key)


def run_diff(args: argparse.Namespace) -> int:
    old, new = load_one(args.old, "diff"), load_one(args.new, "diff")
    if args.group is not None:
        names = {g.name for g in (*old.security_groups, *new.security_groups)}
        if args.group not in names:
            raise UsageError(
                f"--group: unknown security group '{args.group}'"
                + did_you_mean(args.group, sorted(names))
            )
    result = diff(old, new, group=args.group)
    if args.format == "json":
        sys.stdout.write(render_diff_json(result))
    else:
        sys.stdout.write(render_diff_text(args.old, args.new, result))
    return EXIT_OK if result.equivalent else EXIT_FAILED


def run_trace(args: argparse.Namespace) -> int:
    scenario = load_one(args.file, "trace")
    try:
        flow = flow_from_options(
            scenario, source=args.source, to=args.to, protocol=args.protocol, src_port=args.src_port
        )
    except ScenarioError as error:
        raise UsageError(f"{_option(error.field)}: {error.message}") from None
    if args.expect is not None and not args.fix:
        raise UsageError("--expect: only with --fix")
    result = trace(scenario, flow)
    fix = _fix(scenario, replace(flow, expect=_aim(result, args.expect))) if args.fix else None
    if args.format == "json":
        sys.stdout.write(render_flow_json(result, steps=args.steps, fix=fix))
    else:
        if args.steps:
            sys.stdout.write(render_steps(result, color=use_color(args.color, sys.stdout)))
        else:
            sys.stdout.write(render_trace(result))
        if fix is not None:
            sys.stdout.write("\n" + render_repairs([fix]) + "\n")
    return EXIT_OK


def _aim(result: FlowResult, expect: str | None) -> Verdict:
    """The outcome a fix aims for: the one asked, or the other one."""
    if expect is not None:
        return Verdict(expect)
    return Verdict.DENIED if result.verdict is Verdict.ALLOWED else Verdict.ALLOWED


def _fix(scenario: Scenario, flow: Flow) -> Repair:
    """The repair of one traced flow, asked of the scenario with the flow added to it (in place
    of the file's own flows of the same connection, which would only echo it)."""
    same = (flow.source, flow.target, flow.protocol, flow.src_port)
    others = tuple(
        f for f in scenario.flows if (f.source, f.target, f.protocol, f.src_port) != same
    )
    asked = replace(scenario, flows=(*others, flow))
    result = simulate(asked)
    target = Target("flow", len(asked.flows) - 1)
    if result.flows[-1].ok:
        return Repair(target.label(result), str(flow.expect), target.outcome(result),
                      reason="it is already so")  # fmt: skip
    return repair(result, target)


def run_demo(args: argparse.Namespace) -> int:
    files = scenario_files(args.paths) if args.paths else seed_files()
    results = [simulate(s) for s in load_all(files)]
    play(results, quiz=args.quiz, stdin=sys.stdin, stdout=sys.stdout)
    return EXIT_OK


def run_graph(args: argparse.Namespace) -> int:
    from .draw import draw  # noqa: PLC0415 (only this command draws; replay stays fast)

    draw(simulate(load_one(args.file, "graph")), args.output)
    return EXIT_OK


#: Each command's handler, by the name its subparser was added under in ``parser``.
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "replay": run_replay,
    "lint": run_lint,
    "reach": run_reach,
    "diff": run_diff,
    "trace": run_trace,
    "demo": run_demo,
    "graph": run_graph,
    "import": run_import,
    "export": run_export,
    "replay-log": run_replay_log,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run sgsim with ``argv`` (default: the process's arguments) and return the exit status."""
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError:
        return EXIT_INVALID  # already printed, one line per file
    except SimulatorError as error:
        print(f"sgsim: {error}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    except OSError as error:  # the report could not be written (a full disk, say)
        print(f"sgsim: cannot write the report: {error}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
