"""The ``import`` and ``export`` commands: argparse and dispatch; the formats live beside.

Each format module is imported when its command runs, so the other commands start as fast.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import ScenarioError, UsageError
from ..scenario import load_text
from .draft import Draft, render


def add_commands(commands: Any) -> None:
    """``import`` and ``export``, on the top-level command's subparsers."""
    bring = commands.add_parser(
        "import",
        help="read a real configuration (Tencent Cloud API JSON or Terraform) into a scenario",
        description="Write a scenario file from a real configuration: the JSON that the "
        "Tencent Cloud API and tccli print, or the JSON of `terraform show -json`. Anything "
        "that cannot be represented stops the import, unless --skip-unsupported is given. Exit "
        "status 0; 2 for invalid or unsupported input.",
    )
    kinds = bring.add_subparsers(dest="format", required=True, metavar="FORMAT")
    api = kinds.add_parser(
        "tencent",
        help="API responses: security groups, templates, load balancers, listeners, targets",
        description="Read Tencent Cloud API responses (DescribeSecurityGroupPolicies, "
        "DescribeAddressTemplates, DescribeAddressTemplateGroups, DescribeServiceTemplates, "
        "DescribeServiceTemplateGroups, DescribeLoadBalancers, DescribeListeners, "
        "DescribeTargets, DescribeInstances), with or without the Response envelope.",
    )
    api.add_argument("files", nargs="+", metavar="FILE", help="a JSON response")
    state = kinds.add_parser(
        "terraform",
        help="the JSON of `terraform show -json` (a state or a plan)",
        description="Read the JSON that `terraform show -json` prints for a state or a plan.",
    )
    state.add_argument("files", nargs=1, metavar="FILE", help="terraform show -json output")
    for each in (api, state):
        each.add_argument(
            "-o", "--output", metavar="FILE", help="write the scenario to FILE instead of stdout"
        )
        each.add_argument(
            "--skip-unsupported", action="store_true",
            help="leave out what cannot be represented, and list each item left out on stderr",
        )  # fmt: skip

    out = commands.add_parser(
        "export",
        help="write a scenario's security group as Tencent Cloud API JSON",
        description="Write one security group of a scenario as the SecurityGroupPolicySet that "
        "ModifySecurityGroupPolicies takes. Exit status 0; 2 for invalid input.",
    )
    formats = out.add_subparsers(dest="format", required=True, metavar="FORMAT")
    api_out = formats.add_parser("tencent", help="SecurityGroupPolicySet JSON")
    api_out.add_argument("file", metavar="FILE", help="scenario file")
    api_out.add_argument("--group", required=True, metavar="NAME", help="the security group")
    api_out.add_argument(
        "-o", "--output", metavar="FILE", help="write the JSON to FILE instead of stdout"
    )


def run_import(args: argparse.Namespace) -> int:
    """Read, write the scenario, and load what was written, as any scenario file is loaded."""
    draft = Draft(skip=args.skip_unsupported)
    files = [Path(f) for f in args.files]
    for file in files:
        if file.is_dir():
            raise UsageError(f"{file}: a folder; name the JSON files in it")
        if not file.is_file():
            raise UsageError(f"{file}: no such file")
    try:
        if args.format == "tencent":
            from . import tencent  # noqa: PLC0415 (only this command reads the API's JSON)

            tencent.read(files, draft)
        else:
            from . import terraform  # noqa: PLC0415 (only this command reads Terraform)

            terraform.read(files[0], draft)
        text = render(draft)
        load_text(text, args.output or "<imported scenario>")  # an importer's mistake stops here
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    for item in draft.skipped:
        print(f"skipped: {item}", file=sys.stderr)
    from ..cli import write_output  # noqa: PLC0415 (the command line imports this module)

    write_output(text, args.output)
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    from ..cli import load_one, write_output  # noqa: PLC0415 (the command line imports this)
    from . import tencent  # noqa: PLC0415 (only this command writes the API's JSON)

    scenario = load_one(args.file, "export")
    document: dict[str, Any] = tencent.export_group(scenario, args.group)
    policies = document["SecurityGroupPolicySet"]
    peers = {p.get("SecurityGroupId", "") for d in ("Ingress", "Egress") for p in policies[d]}
    for peer in sorted(p for p in peers if p and not GROUP_ID.fullmatch(p)):
        print(f"sgsim: warning: {peer}: not a security group ID (sg-xxxxxxxx); the API takes "
              "a peer group by its ID", file=sys.stderr)  # fmt: skip
    write_output(json.dumps(document, indent=2, ensure_ascii=False) + "\n", args.output)
    return EXIT_OK


EXIT_OK, EXIT_INVALID = 0, 2
#: What a Tencent Cloud security group's ID looks like.
GROUP_ID = re.compile(r"sg-[0-9a-z]{8}")


__all__ = ["add_commands", "run_export", "run_import"]
