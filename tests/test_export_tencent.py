"""A scenario's security group out as the API's SecurityGroupPolicySet, and back in: export then
import gives the same rules, or (where the API needs a rule split) the same verdict for every
packet."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import strategies as sgst
from simulator.analysis.diff import changed
from simulator.cli import main
from simulator.errors import UsageError
from simulator.evaluate import ordered
from simulator.importers import tencent
from simulator.importers.draft import Draft, render
from simulator.importers.tencent import port_fields
from simulator.model import Direction, Rule, Scenario, SecurityGroup
from simulator.scenario import load_text

DATA = Path(__file__).parent / "data" / "tencent"

SCENARIO = """\
title: export
clients: {ClientA: 203.0.113.10}
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg-web]}
  ops: {ip: 10.0.3.5, security_groups: [sg-ops]}
load_balancers:
  clb: {type: public, vip: 198.51.100.7, listeners: [{protocol: TCP, port: 80, backends: [rs-1:8080]}]}
security_groups:
  sg-ops: {}
  sg-web:
    inbound:
      - ClientA IP + 8080 allow
      - CLB VIP + 8080 accept
      - sg-ops + TCP:22,3389 allow
      - {peer: 2001:db8::/32, protocol: UDP, port: "53,1000-2000,3000-3001", action: DROP, description: no DNS}
      - 10.0.0.0/16 + ICMP allow
      - 0.0.0.0/0 + ALL drop
    outbound:
      - 10.0.0.0/8 + ALL allow
"""


def scenario_of(text: str = SCENARIO) -> Scenario:
    return load_text(text, "export.yaml")


def test_a_group_is_written_as_the_api_takes_it() -> None:
    policy_set = tencent.export_group(scenario_of(), "sg-web")["SecurityGroupPolicySet"]
    assert policy_set["Egress"] == [
        {"Action": "ACCEPT", "CidrBlock": "10.0.0.0/8", "Port": "ALL", "Protocol": "ALL"}
    ]
    v6 = {"Action": "DROP", "Ipv6CidrBlock": "2001:db8::/32", "PolicyDescription": "no DNS",
          "Protocol": "UDP"}  # fmt: skip
    assert policy_set["Ingress"] == [
        # peers resolved: a client's address, the VIP, a group by its name
        {"Action": "ACCEPT", "CidrBlock": "203.0.113.10", "Port": "8080", "Protocol": "TCP"},
        {"Action": "ACCEPT", "CidrBlock": "198.51.100.7", "Port": "8080", "Protocol": "TCP"},
        {"Action": "ACCEPT", "Port": "22,3389", "Protocol": "TCP", "SecurityGroupId": "sg-ops"},
        # the API's Port holds single ports or one range: the rule is split, same action
        {**v6, "Port": "53"}, {**v6, "Port": "1000-2000"}, {**v6, "Port": "3000-3001"},
        {"Action": "ACCEPT", "CidrBlock": "10.0.0.0/16", "Port": "ALL", "Protocol": "ICMP"},
        {"Action": "DROP", "CidrBlock": "0.0.0.0/0", "Port": "ALL", "Protocol": "ALL"},
    ]  # fmt: skip


def test_an_unknown_group_is_named_with_the_groups_there_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UsageError) as caught:
        tencent.export_group(scenario_of(), "sg-wbe")
    assert str(caught.value) == (
        "--group: unknown security group 'sg-wbe' (did you mean 'sg-web'?); "
        "the scenario's groups: sg-ops, sg-web"
    )
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    assert main(["export", "tencent", str(path), "--group", "sg-wbe"]) == 2
    assert "sgsim: --group: unknown security group 'sg-wbe'" in capsys.readouterr().err


def test_the_command_line_writes_what_the_importer_reads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Import the fixtures, export sg-bastion9z, import that file: the same rules."""
    imported = tmp_path / "imported.yaml"
    files = [str(f) for f in sorted(DATA.glob("*.json"))]
    assert main(["import", "tencent", *files, "-o", str(imported)]) == 0
    exported = tmp_path / "sg-bastion9z.json"
    assert main(["export", "tencent", str(imported), "--group", "sg-bastion9z",
                 "-o", str(exported)]) == 0  # fmt: skip
    assert capsys.readouterr().err == ""
    document = json.loads(exported.read_text())
    assert list(document) == ["SecurityGroupPolicySet"]
    assert len(document["SecurityGroupPolicySet"]["Ingress"]) == 15  # templates expanded
    assert main(["import", "tencent", str(exported), "-o", str(tmp_path / "back.yaml")]) == 0
    before = load_text(imported.read_text()).security_group("sg-bastion9z")
    text = (tmp_path / "back.yaml").read_text()
    after = load_text(text).security_group("sg-bastion9z")
    assert meaning(before) == meaning(after)


def test_a_peer_group_whose_name_is_not_an_id_is_warned_of(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The API takes a peer group by its ID: a scenario's own name for it is written, and said."""
    sample = Path(__file__).parent.parent / "examples" / "flow-logs" / "shop.yaml"
    assert main(["export", "tencent", str(sample), "--group", "sg-web"]) == 0
    out, err = capsys.readouterr()
    assert '"SecurityGroupId": "sg-db"' in out
    assert err == (
        "sgsim: warning: sg-db: not a security group ID (sg-xxxxxxxx); the API takes a peer "
        "group by its ID\n"
    )


def meaning(group: SecurityGroup) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """What decides a verdict, direction by direction: the rule's text aside."""

    def of(rule: Rule) -> tuple[object, ...]:
        return (rule.action, rule.protocol, rule.ports, rule.peers, rule.description)

    return [of(r) for r in group.inbound], [of(r) for r in group.outbound]


def round_trip(group: SecurityGroup) -> SecurityGroup:
    """Export ``group``, write the file as tccli would, import it, and load the scenario."""
    scenario = Scenario(file="<random>", title="random", security_groups=(group,))
    document = tencent.export_group(scenario, group.name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{group.name}.json"
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False))
        draft = Draft()
        tencent.read([path], draft)
        return load_text(render(draft), "back.yaml").security_group(group.name)


DESCRIPTIONS = st.sampled_from(["", "", "web", "DNS: yes # not a comment", "两行\nline two"])


@given(
    group=sgst.security_groups(max_size=4, names=st.sampled_from(["sg-web", "sg-0a1b2c3d"])),
    descriptions=st.lists(DESCRIPTIONS, min_size=8, max_size=8),
)
def test_export_then_import_is_the_identity(group: SecurityGroup, descriptions: list[str]) -> None:
    group = replace(
        group,
        inbound=tuple(
            replace(r, description=d) for r, d in zip(group.inbound, descriptions, strict=False)
        ),
        outbound=tuple(
            replace(r, description=d)
            for r, d in zip(group.outbound, descriptions[4:], strict=False)
        ),
    )
    back = round_trip(group)
    for direction in Direction:
        rules, again = group.rules(direction), back.rules(direction)
        if all(len(port_fields(rule)) == 1 for rule in rules):
            # every rule is one policy the API holds as it is: the very same rules
            assert meaning(SecurityGroup("x", again)) == meaning(SecurityGroup("x", rules))
        else:
            # a rule was split into consecutive policies: the same verdict for every packet
            old = ordered([(group.name, rules)], direction)
            new = ordered([(group.name, again)], direction)
            assert list(changed(old, new)) == []
