"""The Tencent Cloud API importer: policies converted rule by rule; API responses in, a scenario
out that replays as worked out by hand from docs/semantics.md; every bad or unsupported input
gives one located line; a scenario group read from a policies file (``from_file``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.importers import tencent
from simulator.importers.draft import Draft, render
from simulator.importers.policies import Templates, convert
from simulator.scenario import load_file, load_text
from simulator.simulate import simulate
from simulator.yamlnodes import Reader, load

TEMPLATES = Templates(
    addresses={
        "ipm-office": ("198.51.100.0/25", "198.51.100.200"),
        "ipm-range": ("10.0.0.1-10.0.0.9",),
        "ipm-v6": ("2001:db8::/64", "2001:db8:1::1-2001:db8:1::2"),
    },
    address_groups={"ipmg-trusted": ("ipm-office", "ipm-v6")},
    services={"ppm-web": ("tcp:80,443", "tcp:8000-8100"), "ppm-dns": ("udp:53", "tcp:53")},
    service_groups={"ppmg-all": ("ppm-web", "ppm-dns")},
)


def policy(**fields: Any) -> dict[str, Any]:
    """A policy as DescribeSecurityGroupPolicies returns it: every field, unused ones empty."""
    base: dict[str, Any] = {
        "PolicyIndex": 0, "Protocol": "", "Port": "", "CidrBlock": "", "Ipv6CidrBlock": "",
        "SecurityGroupId": "", "AddressTemplate": {"AddressId": "", "AddressGroupId": ""},
        "ServiceTemplate": {"ServiceId": "", "ServiceGroupId": ""}, "Action": "ACCEPT",
        "PolicyDescription": "", "ModifyTime": "2024-05-01 10:00:00",
    }  # fmt: skip
    return base | fields


def converted(data: dict[str, Any], *, skip: bool = False) -> tuple[list[tuple[Any, str]], Draft]:
    """Convert ``data`` read from JSON text, so that errors are located on its lines."""
    located = load(json.dumps({"Ingress": [data]}, indent=2), "sg-1.json")
    draft = Draft(skip=skip)
    entries = convert(
        located["Ingress"][0],
        reader=Reader("sg-1.json"),
        field="Ingress[0]",
        line=located["Ingress"].item_lines[0],
        templates=TEMPLATES,
        draft=draft,
    )
    return entries, draft


@pytest.mark.parametrize(
    ("fields", "rules"),
    [
        ({"Protocol": "tcp", "Port": "80,443", "CidrBlock": "10.0.0.0/8"},
         ["10.0.0.0/8 + TCP:80,443 accept"]),
        ({"Protocol": "TCP", "Port": "ALL", "CidrBlock": "0.0.0.0/0", "Action": "DROP"},
         ["0.0.0.0/0 + TCP:ALL drop"]),
        ({"Protocol": "udp", "Port": "", "CidrBlock": "203.0.113.5"}, ["203.0.113.5 + UDP:ALL accept"]),
        ({"Protocol": "udp", "Port": "53,1000-2000", "CidrBlock": "10.0.0.0/8"},
         ["10.0.0.0/8 + UDP:53,1000-2000 accept"]),
        ({"Protocol": "ALL", "Port": "ALL", "Ipv6CidrBlock": "::/0"}, ["::/0 + ALL accept"]),
        ({"Protocol": "all", "Port": "", "SecurityGroupId": "sg-peer"}, ["sg-peer + ALL accept"]),
        ({"Protocol": "icmp", "Port": "ALL", "CidrBlock": "10.0.0.0/8"}, ["10.0.0.0/8 + ICMP accept"]),
        ({"Protocol": "ICMPV6", "Port": "ALL", "Ipv6CidrBlock": "2001:db8::/32"},
         ["2001:db8::/32 + ICMPv6 accept"]),
        ({"Protocol": "gre", "Port": "ALL", "CidrBlock": "10.0.0.0/8", "Action": "drop"},
         ["10.0.0.0/8 + GRE drop"]),
        ({"Protocol": "tcp", "Port": "22", "CidrBlock": "10.0.1.5/24"}, ["10.0.1.0/24 + TCP:22 accept"]),
    ],
)  # fmt: skip
def test_a_policy_becomes_one_rule_in_the_seed_notation(
    fields: dict[str, Any], rules: list[str]
) -> None:
    entries, _ = converted(policy(**fields))
    assert [rule for rule, _ in entries] == rules


def test_a_description_makes_a_structured_rule() -> None:
    entries, _ = converted(
        policy(Protocol="udp", Port="53", CidrBlock="10.0.0.0/8", PolicyDescription="DNS")
    )
    assert entries == [
        (
            {"peer": "10.0.0.0/8", "protocol": "UDP", "port": "53", "action": "ACCEPT",
             "description": "DNS"},
            "",
        )
    ]  # fmt: skip


def test_templates_expand_to_consecutive_rules_with_one_action() -> None:
    entries, _ = converted(
        policy(
            AddressTemplate={"AddressId": "", "AddressGroupId": "ipmg-trusted"},
            ServiceTemplate={"ServiceId": "ppm-web", "ServiceGroupId": ""},
            Action="DROP",
        )
    )
    # Address members outermost; 2001:db8:1::1-2001:db8:1::2 is not one CIDR: ::1/128, ::2/128.
    assert [rule for rule, _ in entries] == [
        "198.51.100.0/25 + TCP:80,443 drop",
        "198.51.100.0/25 + TCP:8000-8100 drop",
        "198.51.100.200 + TCP:80,443 drop",
        "198.51.100.200 + TCP:8000-8100 drop",
        "2001:db8::/64 + TCP:80,443 drop",
        "2001:db8::/64 + TCP:8000-8100 drop",
        "2001:db8:1::1/128 + TCP:80,443 drop",
        "2001:db8:1::1/128 + TCP:8000-8100 drop",
        "2001:db8:1::2/128 + TCP:80,443 drop",
        "2001:db8:1::2/128 + TCP:8000-8100 drop",
    ]
    assert entries[0][1] == (
        "address template ipmg-trusted > ipm-office: 198.51.100.0/25; "
        "service template ppm-web: tcp:80,443"
    )
    assert "2001:db8:1::1-2001:db8:1::2 (CIDR 2 of 2)" in entries[-1][1]


def test_an_address_range_becomes_the_fewest_cidrs_that_cover_it() -> None:
    entries, _ = converted(
        policy(AddressTemplate={"AddressId": "ipm-range"}, Protocol="tcp", Port="22")
    )
    # 10.0.0.1-10.0.0.9 = .1, .2-.3, .4-.7, .8-.9
    assert [rule for rule, _ in entries] == [
        "10.0.0.1/32 + TCP:22 accept",
        "10.0.0.2/31 + TCP:22 accept",
        "10.0.0.4/30 + TCP:22 accept",
        "10.0.0.8/31 + TCP:22 accept",
    ]


# (policy fields, the FIELD of the error, words of its message); the policy starts on line 3.
BAD = [
    ({"CidrBlock": "10.0.0.0/8"}, "Ingress[0].Protocol", "required, unless"),
    ({"Protocol": "tcp", "Port": "80"}, "Ingress[0].CidrBlock", "no peer"),
    ({"Protocol": "tcp", "CidrBlock": "10.0.0.0/8", "SecurityGroupId": "sg-1"},
     "Ingress[0].SecurityGroupId", "two peers, CidrBlock and SecurityGroupId"),
    ({"Protocol": "tcp", "CidrBlock": "10.0.0.300"}, "Ingress[0].CidrBlock", "not an address"),
    ({"Protocol": "tcp", "CidrBlock": "10.0.0.1-10.0.0.5"}, "Ingress[0].CidrBlock", "not an address or a CIDR"),
    ({"Protocol": "tcp", "Port": "80-", "CidrBlock": "10.0.0.0/8"}, "Ingress[0].Port", "no upper end"),
    ({"Protocol": "tcp", "Port": "90-80", "CidrBlock": "10.0.0.0/8"}, "Ingress[0].Port", "reversed"),
    ({"Protocol": "tcp", "Port": "70000", "CidrBlock": "10.0.0.0/8"}, "Ingress[0].Port", "out of range"),
    ({"Protocol": "ALL", "Port": "80", "CidrBlock": "10.0.0.0/8"}, "Ingress[0].Port", "ALL takes port ALL"),
    ({"Protocol": "tcp", "CidrBlock": "10.0.0.0/8", "Action": "ALLOW"}, "Ingress[0].Action", "not ACCEPT or DROP"),
    ({"Protocol": "tcp", "CidrBlock": "10.0.0.0/8", "Action": ""}, "Ingress[0].Action", "required"),
    ({"Protocol": "tcp", "CidrBlock": "10.0.0.0/8", "PolicyDescription": ["x"]},
     "Ingress[0].PolicyDescription", "expected text"),
    ({"Protocol": "tcp", "SecurityGroupId": "sg 1"}, "Ingress[0].SecurityGroupId", "not a security group ID"),
    ({"Protocol": "tcp", "AddressTemplate": {"AddressId": "ipm-ofice"}},
     "Ingress[0].AddressTemplate.AddressId", "unknown address template ipm-ofice (did you mean 'ipm-office'?)"),
    ({"Protocol": "tcp", "AddressTemplate": {"AddressGroupId": "ipmg-x"}},
     "Ingress[0].AddressTemplate.AddressGroupId", "unknown address template group ipmg-x; the input has: ipmg-trusted"),
    ({"Protocol": "tcp", "AddressTemplate": {"AddressId": "ipm-range", "AddressGroupId": "ipmg-trusted"}},
     "Ingress[0].AddressTemplate.AddressGroupId", "both AddressId and AddressGroupId"),
    ({"Protocol": "tcp", "AddressTemplate": "ipm-range"}, "Ingress[0].AddressTemplate", "expected a mapping"),
    ({"CidrBlock": "10.0.0.0/8", "ServiceTemplate": {"ServiceId": "ppm-nope"}},
     "Ingress[0].ServiceTemplate.ServiceId", "unknown service template ppm-nope"),
    ({"Protocol": "tcp", "CidrBlock": "10.0.0.0/8", "ServiceTemplate": {"ServiceId": "ppm-web"}},
     "Ingress[0].Protocol", "not both"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "where", "words"), BAD)
def test_a_bad_policy_is_a_located_error(fields: dict[str, Any], where: str, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        converted(policy(**fields))
    assert caught.value.file == "sg-1.json"
    assert caught.value.field == where
    assert words in caught.value.message
    assert caught.value.line > 2  # the key's own line in the JSON text


UNSUPPORTED = [
    ({"Protocol": "sctp", "CidrBlock": "10.0.0.0/8"}, "Ingress[0].Protocol", "protocol 'sctp'"),
    ({"Protocol": "icmp", "Port": "8", "CidrBlock": "10.0.0.0/8"}, "Ingress[0].Port", "type or code"),
    ({"Protocol": "tcp", "CidrBlock": "10.0.0.0/8", "PortRange": "1-2"}, "Ingress[0].PortRange",
     "not a field sgsim reads"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "where", "words"), UNSUPPORTED)
def test_what_cannot_be_represented_stops_or_is_skipped(
    fields: dict[str, Any], where: str, words: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        converted(policy(**fields))
    assert (caught.value.field, words in caught.value.message) == (where, True)
    assert "--skip-unsupported" in caught.value.message
    _, draft = converted(policy(**fields), skip=True)
    assert [(s.what, words in s.why) for s in draft.skipped] == [(where, True)]


def test_a_template_member_that_is_no_address_is_unsupported_and_only_it_is_skipped() -> None:
    templates = Templates(addresses={"ipm-mixed": ("www.example.com", "10.0.0.0/8")})
    located = load(
        json.dumps(policy(Protocol="tcp", AddressTemplate={"AddressId": "ipm-mixed"})), "f"
    )
    draft = Draft(skip=True)
    entries = convert(
        located, reader=Reader("f"), field="P", line=1, templates=templates, draft=draft
    )
    assert [rule for rule, _ in entries] == ["10.0.0.0/8 + TCP:ALL accept"]
    assert "www.example.com" in draft.skipped[0].why


# -- API responses in --------------------------------------------------------------------------
DATA = Path(__file__).parent / "data" / "tencent"
FILES = sorted(DATA.glob("*.json"))
LB = "lb-8k2m4n6p"
WEB0, WEB1, OLD, BASTION = "ins-web0a1b", "ins-web1c2d", "ins-stop5g6h", "ins-bast3e4f"

# What a person adds to the import of the fixtures, each outcome worked out by hand from
# docs/semantics.md (the § cited) and the fixtures' policies:
#   sg-clb0a1b2 (the CLB's own group) inbound: 0.0.0.0/0 TCP:443 accept; ::/0 TCP:443 accept;
#     the "trusted" group (office 198.51.100.0/25 and 198.51.100.200, partners
#     192.0.2.10-192.0.2.20) x TCP:80 accept; 0.0.0.0/0 ALL drop.
#   web-0, web-1 and web-old are bound to sg-web1x2y3 then sg-base4k5l, read as one list (§1.5):
#     sg-web1x2y3 inbound: 0.0.0.0/0 TCP:8080 accept; sg-bastion9z x the "ops" service group
#     (TCP:22, TCP:3389, TCP:9100-9101, UDP:8125) accept. Outbound: none.
#     sg-base4k5l inbound: office x TCP:22 accept; 10.0.0.0/16 ICMP accept; office IPv6 ICMPv6
#     accept; 0.0.0.0/0 ALL drop. Outbound: sg-db7m8n9p TCP:3306 accept; 0.0.0.0/0 ALL accept.
#   sg-bastion9z (bastion 10.0.1.5) inbound: trusted x TCP:22,3389 accept; office IPv6 x the
#     same accept; drop. Outbound: 10.0.0.0/16 ALL accept; UDP:53,123 accept; drop.
#   Listeners: TCP:443 -> the three web servers on 8080, checked from the VIP 203.0.113.10;
#   HTTP:80 -> web-0 and web-1 on 8080, checked from 100.64.0.0/10; UDP:8125 -> web-0 on 8125,
#   a PING check from the VIP. web-old is STOPPED.
QUESTIONS = f"""\
clients:
  internet: 203.0.113.77
  office: 198.51.100.10
  printer: 198.51.100.200
  guest: 198.51.100.150
  partner: 192.0.2.12
  outsider: 192.0.2.21
flows:
  # CLB group rule 0 accepts TCP:443 (§4.2); web-old fails its check (below), so the CLB picks
  # web-0 and web-1 (§3.8), which see the client on 8080 (§3.3): sg-web1x2y3 rule 0 accepts.
  - {{name: https, from: internet, to: "{LB}:443", expect: allowed}}
  # TCP:80 only for the trusted addresses; 203.0.113.77 is in neither template: the drop.
  - {{name: http from the internet, from: internet, to: "{LB}:80", expect: denied}}
  # 198.51.100.10 is in 198.51.100.0/25: the CLB group accepts; layer 7 without persistent
  # connections keeps the client's address (§3.3), which sg-web1x2y3 rule 0 accepts on 8080.
  - {{name: http from the office, from: office, to: "{LB}:80", expect: allowed}}
  # 192.0.2.12 is in the range 192.0.2.10-192.0.2.20 (as 192.0.2.12/30).
  - {{name: http from a partner, from: partner, to: "{LB}:80", expect: allowed}}
  # 192.0.2.21 is just past the range's end.
  - {{name: http from next door, from: outsider, to: "{LB}:80", expect: denied}}
  # The bastion's outbound 10.0.0.0/16 accepts; web-0's sg-web1x2y3 names sg-bastion9z, which
  # stands for 10.0.1.5 (§1.1), with TCP:22 of the ops group.
  - {{name: ssh from the bastion, from: {BASTION}, to: "{WEB0}:22", expect: allowed}}
  - {{name: metrics from the bastion, from: {BASTION}, to: "{WEB0}:9101", expect: allowed}}
  - {{name: statsd from the bastion, from: {BASTION}, to: "{WEB0}:8125", protocol: UDP,
     expect: allowed}}
  # web-0's outbound: sg-web1x2y3 has none, sg-base4k5l rule 1 accepts all (§1.5, §1.6); the
  # bastion's inbound has no rule for 10.0.1.11: its drop decides.
  - {{name: ssh to the bastion from a web server, from: {WEB0}, to: "{BASTION}:22",
     expect: denied}}
  - {{name: ssh to the bastion from the office, from: office, to: "{BASTION}:22",
     expect: allowed}}
  - {{name: rdp to the bastion from a partner, from: partner, to: "{BASTION}:3389",
     expect: allowed}}
  # sg-web1x2y3 has nothing for the printer; sg-base4k5l rule 1 is the office template's
  # second member, 198.51.100.200.
  - {{name: ssh to a web server from the printer, from: printer, to: "{WEB0}:22",
     expect: allowed}}
  # 198.51.100.150 is outside 198.51.100.0/25: sg-base4k5l's drop.
  - {{name: ssh to a web server from a guest, from: guest, to: "{WEB0}:22", expect: denied}}
  - {{name: ping a web server from the bastion, from: {BASTION}, to: {WEB1}, protocol: ICMP,
     expect: allowed}}
  # The bastion's outbound: UDP:53 is in rule 1 (53,123); TCP:443 only meets the drop.
  - {{name: dns from the bastion, from: {BASTION}, to: "192.0.2.53:53", protocol: UDP,
     expect: allowed}}
  - {{name: https out of the bastion, from: {BASTION}, to: "192.0.2.53:443", expect: denied}}
health_checks:
  # From the VIP to 8080: sg-web1x2y3 rule 0 accepts 0.0.0.0/0 (§3.5, §3.7).
  - {{listener: "{LB}:443", backend: {WEB0}, expect: healthy}}
  # InstanceState STOPPED: running false, so every check fails (§3.7).
  - {{listener: "{LB}:443", backend: {OLD}, expect: unhealthy}}
  # From 100.64.0.0/10: allowed implicitly by backend groups (§3.5).
  - {{listener: "{LB}:80", backend: {WEB1}, expect: healthy}}
  # The PING check pings from 203.0.113.10: sg-base4k5l takes ICMP only from 10.0.0.0/16, so
  # its drop stops the ping (§3.7).
  - {{listener: "{LB}:8125", backend: {WEB0}, expect: unhealthy}}
"""


def imported(files: list[Path], *, skip: bool = False) -> tuple[str, Draft]:
    draft = Draft(skip=skip)
    tencent.read(files, draft)
    return render(draft), draft


def test_the_fixtures_replay_as_worked_out_by_hand() -> None:
    text, _ = imported(FILES)
    scenario = load_text(text + QUESTIONS, "tencent.yaml")
    assert [lb.name for lb in scenario.load_balancers] == [LB, "lb-2old7qrs"]
    assert [i.name for i in scenario.instances] == [WEB0, WEB1, OLD, BASTION]
    result = simulate(scenario)
    wrong = [f"{f.flow.name}: {f.verdict}" for f in result.flows if f.ok is False]
    wrong += [
        f"{h.listener.key} {h.backend}: {h.status}" for h in result.health_checks if h.ok is False
    ]
    assert wrong == []
    assert result.ok
    assert len(result.flows) == 16 and len(result.health_checks) == 6


def test_the_replay_example_of_the_docs_is_the_import_with_these_questions(
    monkeypatch: pytest.MonkeyPatch, update_goldens: bool
) -> None:
    """docs/import-tencent.md replays tests/data/tencent/shop-replay.yaml; it must stay the
    import of the fixtures with QUESTIONS appended (pytest --update-goldens rewrites it)."""
    monkeypatch.chdir(DATA.parent.parent.parent)
    relative = [f.relative_to(DATA.parent.parent.parent) for f in FILES]
    expected = imported(relative)[0] + QUESTIONS
    replay = DATA / "shop-replay.yaml"
    if update_goldens:
        replay.write_text(expected)
    assert replay.read_text() == expected, "stale: run pytest --update-goldens"
    assert simulate(load_text(expected, str(replay))).ok


def test_what_the_responses_hold_is_written_with_where_it_came_from() -> None:
    text, draft = imported(FILES)
    document = draft.document
    assert document["instances"][OLD]["running"] is False
    assert document["instances"][WEB0]["security_groups"] == ["sg-web1x2y3", "sg-base4k5l"]
    assert document["instances"][WEB0]["subnet"] == "subnet-web5r7t"
    assert document["load_balancers"]["lb-2old7qrs"] == {
        "type": "private", "vip": "10.0.0.50", "network": "basic", "classic": True,
        "created": "2015-08-01", "listeners": [],
    }  # fmt: skip
    front = document["load_balancers"][LB]
    assert front["security_groups"] == ["sg-clb0a1b2"] and front["created"] == "2023-05-10"
    assert [listener["health_check"] for listener in front["listeners"]] == [
        {"source": "vip", "protocol": "TCP"},
        {"source": "100.64.0.0/10", "protocol": "HTTP"},  # from the HTTP listener's rule
        {"source": "vip", "protocol": "UDP"},  # PING on a UDP listener
    ]
    web = document["security_groups"]["sg-web1x2y3"]["inbound"]
    assert web[0] == "0.0.0.0/0 + TCP:8080 accept"  # PolicyIndex 0, listed second
    assert web[1]["peer"] == "sg-bastion9z" and web[1]["description"] == "ops from the bastion"
    assert document["security_groups"]["sg-db7m8n9p"] == {}  # a peer only
    assert "# 'web' (web servers): tests/data/tencent/sg-web1x2y3.json line 2, Version 12\n" in (
        text.replace(str(DATA) + "/", "tests/data/tencent/")
    )
    assert "# lbl-http80 'http':" in text and "InstanceState STOPPED: not running" in text
    assert (
        "PolicyIndex 2: address template ipmg-trusted > ipm-partners: 192.0.2.10-192.0.2.20 (CIDR 2 of 4)"
        in text
    )
    assert "sg-db7m8n9p: a peer only" in text
    assert imported(FILES)[0] == text  # deterministic


def test_the_envelope_and_the_bare_body_read_alike(tmp_path: Path) -> None:
    """sg-clb0a1b2.json has the API's envelope; the same body without it reads the same."""
    body = json.loads((DATA / "sg-clb0a1b2.json").read_text())["Response"]
    bare = tmp_path / "sg-clb0a1b2.json"
    bare.write_text(json.dumps(body, indent=2))
    templates = [DATA / "address-templates.json", DATA / "address-template-groups.json"]
    with_envelope = imported([*templates, DATA / "sg-clb0a1b2.json"])[1].document
    without = imported([*templates, bare])[1].document
    assert with_envelope["security_groups"] == without["security_groups"]


def test_a_top_level_id_names_a_file_of_any_name(tmp_path: Path) -> None:
    body = json.loads((DATA / "sg-web1x2y3.json").read_text())
    body["SecurityGroupId"] = "sg-other123"
    named = tmp_path / "policies of the web group.json"
    named.write_text(json.dumps(body))
    files = [DATA / "service-templates.json", DATA / "service-template-groups.json", named]
    draft = imported(files)[1]
    assert list(draft.document["security_groups"]) == ["sg-other123", "sg-bastion9z"]


def test_the_command_line_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "imported.yaml"
    assert main(["import", "tencent", *map(str, FILES), "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""
    out.write_text(out.read_text() + QUESTIONS)
    assert main(["replay", str(out)]) == 0
    assert "20/20 expectations hold: ok" in capsys.readouterr().out


def test_skip_unsupported_lists_what_it_leaves_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((DATA / "lb-8k2m4n6p.targets.json").read_text())
    targets = document["Response"]["Listeners"][0]["Targets"]
    targets[2]["Type"] = "ENI"  # web-old as a network interface
    path = tmp_path / "lb-8k2m4n6p.targets.json"
    path.write_text(json.dumps(document, indent=2))
    files = [str(f) for f in FILES if f.name != path.name] + [str(path)]
    assert main(["import", "tencent", *files]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and "Listeners[0].Targets[2].Type: a ENI backend" in err
    assert "--skip-unsupported leaves it out" in err
    assert main(["import", "tencent", "--skip-unsupported", *files]) == 0
    out, err = capsys.readouterr()
    assert err.startswith(f"skipped: {path}:") and "(not a CVM) is not modelled" in err
    assert "backends: ['ins-web0a1b:8080', 'ins-web1c2d:8080']" in out


def test_a_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "tencent", "no-such.json"]) == 2
    assert "no-such.json: no such file" in capsys.readouterr().err


# -- every bad or unsupported input: one located line ---------------------------------------
def _policy(**fields: Any) -> dict[str, Any]:
    return policy(**fields)


def _policies(*ingress: dict[str, Any]) -> dict[str, Any]:
    return {"SecurityGroupPolicySet": {"Version": "1", "Egress": [], "Ingress": list(ingress)}}


GROUP = {"Response": _policies(_policy(Protocol="tcp", Port="22", CidrBlock="10.0.0.0/8"))}


def _instance(ins: str, *ips: str, groups: tuple[str, ...] = ("sg-1",), **extra: Any) -> Any:
    return {
        "InstanceId": ins, "InstanceName": ins, "PrivateIpAddresses": list(ips),
        "SecurityGroupIds": list(groups), "InstanceState": "RUNNING",
        "VirtualPrivateCloud": {"VpcId": "vpc-1", "SubnetId": "subnet-1"}, **extra,
    }  # fmt: skip


def _balancer(**extra: Any) -> dict[str, Any]:
    return {
        "LoadBalancerId": "lb-1", "LoadBalancerName": "front", "LoadBalancerType": "OPEN",
        "Forward": 1, "LoadBalancerVips": ["203.0.113.10"], "VpcId": "vpc-1",
        "CreateTime": "2023-05-10 10:00:00", "SecureGroups": [], **extra,
    }  # fmt: skip


def _listener(**extra: Any) -> dict[str, Any]:
    return {"ListenerId": "lbl-1", "Protocol": "TCP", "Port": 80, "EndPort": 0,
            "HealthCheck": {"HealthSwitch": 1, "CheckType": "TCP", "SourceIpType": 0}, **extra}  # fmt: skip


def _target(**extra: Any) -> dict[str, Any]:
    return {"Type": "CVM", "InstanceId": "ins-1", "Port": 8080, "Weight": 10,
            "PrivateIpAddresses": ["10.0.1.11"], **extra}  # fmt: skip


def _clb(
    *,
    balancer: dict[str, Any] | None = None,
    listener: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None,
    instances: list[Any] | None = None,
) -> dict[str, Any]:
    """A group, an instance, a CLB, one listener and one target, with one part changed."""
    return {
        "sg-1.json": GROUP,
        "instances.json": {"InstanceSet": instances or [_instance("ins-1", "10.0.1.11")]},
        "lbs.json": {"LoadBalancerSet": [balancer or _balancer()]},
        "lb-1.listeners.json": {"Listeners": [listener or _listener()]},
        "lb-1.targets.json": {"Listeners": [{"ListenerId": "lbl-1", "Protocol": "TCP", "Port": 80,
                                             "Targets": [target or _target()]}]},
    }  # fmt: skip


SERVICES = {"ServiceTemplateSet": [{"ServiceTemplateId": "ppm-1", "ServiceSet": ["tcp:22"]}]}

# (files, the file, its line's text, FIELD, words of the message); each file is written as JSON
# with an indent of 2 unless given as text, and the line is the first that holds the text.
BAD_FILES = [
    pytest.param({"sg-1.json": '{"SecurityGroupPolicySet": {\n  "Ingress": [,]\n}}'},
                 "sg-1.json", '"Ingress"', "json", "malformed JSON: Expecting value (column 15)", id="malformed JSON"),
    pytest.param({"sg-1.json": "[1, 2]"}, "sg-1.json", "[1", "json", "expected a JSON object",
                 id="not an object"),
    pytest.param({"x.json": {"VpcSet": []}}, "x.json", '"VpcSet"', "VpcSet",
                 "not a response sgsim reads: expected one of the keys SecurityGroupPolicySet",
                 id="an unknown response"),
    pytest.param({"x.json": {"Response": {"Error": {"Code": "AuthFailure.SignatureExpire",
                                                    "Message": "expired"}, "RequestId": "r"}}},
                 "x.json", '"Response"', "Response",
                 "an error response: AuthFailure.SignatureExpire: expired", id="an error response"),
    pytest.param({"x.json": {"LoadBalancerSet": [], "InstanceSet": []}}, "x.json",
                 '"InstanceSet"', "InstanceSet", "one response per file", id="two responses"),
    pytest.param({"policies.json": GROUP}, "policies.json", '"Response"', "Response",
                 "does not say which security group it is about: name the file sg-xxxxxxxx.json",
                 id="policies of no group"),
    pytest.param({"sg-1.json": GROUP, "sg-1.copy.json": GROUP}, "sg-1.copy.json",
                 '"SecurityGroupPolicySet"', "Response.SecurityGroupPolicySet",
                 "the policies of sg-1 are given twice", id="a group twice"),
    pytest.param({"sg-1.json": _policies(_policy(PolicyIndex=0, Protocol="tcp", CidrBlock="10.0.0.0/8"),
                                         _policy(PolicyIndex=0, Protocol="udp", CidrBlock="10.0.0.0/8"))},
                 "sg-1.json", ('"PolicyIndex": 0', 2), "SecurityGroupPolicySet.Ingress[1].PolicyIndex",
                 "PolicyIndex 0 is also on line", id="a PolicyIndex twice"),
    pytest.param({"sg-1.json": _policies(_policy(PolicyIndex=0, Protocol="tcp", CidrBlock="10.0.0.0/8"),
                                         _policy(PolicyIndex=None, Protocol="udp", CidrBlock="10.0.0.0/8"))},
                 "sg-1.json", '"PolicyIndex": null', "SecurityGroupPolicySet.Ingress[1].PolicyIndex",
                 "give it to every policy, or to none", id="a PolicyIndex missing"),
    pytest.param({"sg-1.json": _policies(_policy(Protocol="tcp", CidrBlock="10.0.0.256/32"))},
                 "sg-1.json", "10.0.0.256", "SecurityGroupPolicySet.Ingress[0].CidrBlock",
                 "'10.0.0.256/32' is not an address", id="a bad CidrBlock"),
    pytest.param({"sg-1.json": _policies(_policy(ServiceTemplate={"ServiceId": "ppm-2"},
                                                 CidrBlock="10.0.0.0/8")),
                  "svc.json": SERVICES}, "sg-1.json", '"ppm-2"',
                 "SecurityGroupPolicySet.Ingress[0].ServiceTemplate.ServiceId",
                 "unknown service template ppm-2 (did you mean 'ppm-1'?); the input has: ppm-1",
                 id="an unknown template"),
    pytest.param({"sg-1.json": _policies(_policy(ServiceTemplate={"ServiceGroupId": "ppmg-1"},
                                                 CidrBlock="10.0.0.0/8")),
                  "groups.json": {"ServiceTemplateGroupSet": [
                      {"ServiceTemplateGroupId": "ppmg-1", "ServiceTemplateIdSet": ["ppm-9"]}]}},
                 "sg-1.json", '"ppmg-1"', "SecurityGroupPolicySet.Ingress[0].ServiceTemplate.ServiceGroupId",
                 "service template group ppmg-1 holds template ppm-9, which is not in the input",
                 id="a template group's missing template"),
    pytest.param({"a.json": {"AddressTemplateSet": [{"AddressTemplateId": "ipm-1",
                                                     "AddressSet": ["10.0.0.9-10.0.0.1"]}]}},
                 "a.json", "10.0.0.9-", "AddressTemplateSet[0].AddressSet[0]",
                 "the range '10.0.0.9-10.0.0.1' is reversed", id="a reversed address range"),
    pytest.param({"s.json": {"ServiceTemplateSet": [{"ServiceTemplateId": "ppm-1",
                                                     "ServiceSet": ["tcp:70000"]}]}},
                 "s.json", "tcp:70000", "ServiceTemplateSet[0].ServiceSet[0]",
                 "port 70000 is out of range", id="a bad service member"),
    pytest.param({"a.json": {"AddressTemplateSet": [{"AddressTemplateId": "ipm-1", "AddressSet": []},
                                                    {"AddressTemplateId": "ipm-1", "AddressSet": []}]}},
                 "a.json", ('"ipm-1"', 2), "AddressTemplateSet[1].AddressTemplateId",
                 "template ipm-1 is given twice", id="a template twice"),
    pytest.param(_clb(instances=[_instance("ins-1")]), "instances.json", '"PrivateIpAddresses"',
                 "InstanceSet[0].PrivateIpAddresses", "instance ins-1 has no private address",
                 id="an instance without an address"),
    pytest.param(_clb(instances=[_instance("ins-1", "10.0.1.11"), _instance("ins-2", "10.0.1.11")]),
                 "instances.json", ('"10.0.1.11"', 2), "InstanceSet[1].PrivateIpAddresses[0]",
                 "address 10.0.1.11 is also that of ins-1", id="an address twice"),
    pytest.param(_clb(balancer=_balancer(LoadBalancerType="PUBLIC")), "lbs.json", '"PUBLIC"',
                 "LoadBalancerSet[0].LoadBalancerType", "'PUBLIC' is not OPEN or INTERNAL",
                 id="a bad load balancer type"),
    pytest.param(_clb(balancer=_balancer(LoadBalancerVips=[])), "lbs.json", '"LoadBalancerVips"',
                 "LoadBalancerSet[0].LoadBalancerVips", "load balancer lb-1 has no VIP",
                 id="a load balancer without a VIP"),
    pytest.param(_clb(balancer=_balancer(CreateTime="last May")), "lbs.json", '"CreateTime"',
                 "LoadBalancerSet[0].CreateTime", "'last May' is not a time",
                 id="a bad creation time"),
    pytest.param(_clb(balancer=_balancer(LoadBalancerId="lb-2")), "lb-1.listeners.json",
                 '"Listeners"', "Listeners", "the listeners of load balancer lb-1, which is in no "
                 "DescribeLoadBalancers response", id="listeners of an unknown load balancer"),
    pytest.param(_clb(listener=_listener(ListenerId="lbl-2")), "lb-1.targets.json",
                 '"ListenerId"', "Listeners[0].ListenerId",
                 "listener lbl-1 is in no DescribeListeners response of lb-1 in the input "
                 "(its listeners: lbl-2)", id="targets of an unknown listener"),
    pytest.param(_clb(listener=_listener(HealthCheck={"HealthSwitch": 1, "SourceIpType": 2})),
                 "lb-1.listeners.json", '"SourceIpType"', "Listeners[0].HealthCheck.SourceIpType",
                 "2 is not 0 (the VIP) or 1 (100.64.0.0/10)", id="a bad health-check source"),
    pytest.param(_clb(target=_target(PrivateIpAddresses=["10.0.1.99"])), "lb-1.targets.json",
                 '"PrivateIpAddresses"', "Listeners[0].Targets[0].PrivateIpAddresses",
                 "ins-1 has 10.0.1.11 in DescribeInstances, which is not among these",
                 id="a target's address disagrees"),
    pytest.param(_clb(target=_target(InstanceId="ins-9", PrivateIpAddresses=[])),
                 "lb-1.targets.json", '"PrivateIpAddresses"', "Listeners[0].Targets[0].PrivateIpAddresses",
                 "backend ins-9 has no private address, and is in no DescribeInstances response",
                 id="a target without an address"),
    pytest.param(_clb(target=_target(Port=0)), "lb-1.targets.json", '"Port": 0',
                 "Listeners[0].Targets[0].Port", "port 0 is out of range", id="a target's bad port"),
    pytest.param({"lb-1.json": {"Listeners": [{"ListenerId": "a", "Targets": []}, {"ListenerId": "b"}]}},
                 "lb-1.json", '"Listeners"', "Listeners", "some listeners have Targets and some do not",
                 id="listeners and targets in one file"),
]  # fmt: skip

UNSUPPORTED_FILES = [
    pytest.param(_clb(balancer=_balancer(IPv6Mode="IPv6Nat64")), "lbs.json", '"IPv6Mode"',
                 "LoadBalancerSet[0].IPv6Mode", "an IPv6 NAT64 load balancer", id="NAT64"),
    pytest.param(_clb(balancer=_balancer(SnatPro=True)), "lbs.json", '"SnatPro"',
                 "LoadBalancerSet[0].SnatPro", "SnatPro", id="SnatPro"),
    pytest.param(_clb(balancer=_balancer(AddressIPv6="2001:db8::10")), "lbs.json",
                 '"AddressIPv6"', "LoadBalancerSet[0].AddressIPv6",
                 "a second address (2001:db8::10) is not modelled", id="a second VIP"),
    pytest.param(_clb(instances=[_instance("ins-1", "10.0.1.11", "10.0.1.12")]), "instances.json",
                 '"10.0.1.12"', "InstanceSet[0].PrivateIpAddresses[1]",
                 "a second address (10.0.1.12) is not modelled", id="a second private address"),
    pytest.param(_clb(instances=[_instance("ins-1", "10.0.1.11", groups=("sg-1", "sg-2"))]),
                 "instances.json", '"sg-2"', "InstanceSet[0].SecurityGroupIds[1]",
                 "ins-1 is bound to sg-2, whose policies are not in the input",
                 id="a group bound but not read"),
    pytest.param(_clb(listener=_listener(Protocol="TCP_QUIC")), "lb-1.listeners.json",
                 '"TCP_QUIC"', "Listeners[0].Protocol", "a TCP_QUIC listener is not modelled",
                 id="an unknown listener protocol"),
    pytest.param(_clb(listener=_listener(EndPort=90)), "lb-1.listeners.json", '"EndPort"',
                 "Listeners[0].EndPort", "a range of ports (80-90)", id="a port-range listener"),
    pytest.param(_clb(listener=_listener(TargetType="TARGETGROUP")), "lb-1.listeners.json",
                 '"TargetType"', "Listeners[0].TargetType", "through a target group",
                 id="a target group"),
    pytest.param(_clb(listener=_listener(Protocol="UDP", HealthCheck={"HealthSwitch": 1,
                                                                        "CheckType": "CUSTOM"})),
                 "lb-1.listeners.json", '"CUSTOM"', "Listeners[0].HealthCheck.CheckType",
                 "a CUSTOM check on a UDP listener is not modelled", id="a custom UDP check"),
    pytest.param(_clb(listener=_listener(Protocol="HTTP", HealthCheck=None, Rules=[
        {"LocationId": "loc-1", "Domain": "a.example.com", "Url": "/"},
        {"LocationId": "loc-2", "Domain": "b.example.com", "Url": "/"}])),
                 "lb-1.listeners.json", '"loc-2"', "Listeners[0].Rules[1].LocationId",
                 "forwarding by domain and URL is not modelled", id="two layer-7 rules"),
    pytest.param(_clb(target=_target(Weight=0)), "lb-1.targets.json", '"Weight"',
                 "Listeners[0].Targets[0].Weight", "weight 0", id="a target of weight 0"),
    pytest.param(_clb(target=_target(InstanceId="ins-9", PrivateIpAddresses=["10.0.1.99"])),
                 "lb-1.targets.json", '"ins-9"', "Listeners[0].Targets[0].InstanceId",
                 "ins-9 is in no DescribeInstances response, so the groups bound to it are unknown",
                 id="a target not among the instances"),
    pytest.param({"sg-1.json": _policies(_policy(Protocol="gre", Port="47", CidrBlock="10.0.0.0/8"))},
                 "sg-1.json", '"47"', "SecurityGroupPolicySet.Ingress[0].Port",
                 "port '47' with protocol GRE", id="a port with GRE"),
]  # fmt: skip


def _write(tmp_path: Path, files: dict[str, Any]) -> list[Path]:
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
        paths.append(path)
    return paths


def _line(path: Path, text: str | tuple[str, int]) -> int:
    """The line of the first occurrence of ``text`` in the file, or of its nth: ``(text, n)``."""
    content = path.read_text()
    text, nth = (text, 1) if isinstance(text, str) else text
    at = -1
    for _ in range(nth):
        at = content.index(text, at + 1)
    return content[:at].count("\n") + 1


@pytest.mark.parametrize(("files", "name", "text", "where", "words"), BAD_FILES)
def test_a_bad_input_is_one_located_line(
    tmp_path: Path, files: dict[str, Any], name: str, text: Any, where: str, words: str
) -> None:
    paths = _write(tmp_path, files)
    with pytest.raises(ScenarioError) as caught:
        imported(paths, skip=True)  # a mistake is never skipped
    error = caught.value
    assert (error.file, error.line, error.field) == (
        str(tmp_path / name),
        _line(tmp_path / name, text),
        where,
    )
    assert words in error.message


@pytest.mark.parametrize(("files", "name", "text", "where", "words"), UNSUPPORTED_FILES)
def test_what_cannot_be_represented_is_located_and_may_be_skipped(
    tmp_path: Path, files: dict[str, Any], name: str, text: Any, where: str, words: str
) -> None:
    paths = _write(tmp_path, files)
    with pytest.raises(ScenarioError) as caught:
        imported(paths)
    error = caught.value
    assert (error.file, error.line, error.field) == (
        str(tmp_path / name),
        _line(tmp_path / name, text),
        where,
    )
    assert words in error.message and "--skip-unsupported" in error.message
    text_out, draft = imported(paths, skip=True)
    assert [(s.file, s.what) for s in draft.skipped] == [(str(tmp_path / name), where)]
    load_text(text_out, "skipped.yaml")  # what is left is a valid scenario


# -- from_file ---------------------------------------------------------------------------------
FROM_FILE = """\
title: from file
clients: {office: 198.51.100.10, guest: 198.51.100.150, admin: 10.0.9.9}
instances:
  web: {ip: 10.0.1.11, security_groups: [sg-base4k5l]}
security_groups:
  sg-db7m8n9p: {}
  sg-base4k5l: {from_file: policies/sg-base4k5l.json, templates: [address-templates.json]}
flows:
  # sg-base4k5l rule 0 is the office template's 198.51.100.0/25 on TCP:22
  - {from: office, to: "web:22", expect: allowed}
  # 198.51.100.150 meets only the drop (rule 4, after the template's two members)
  - {from: guest, to: "web:22", expect: denied}
  # ICMP from 10.0.0.0/16 is accepted; 10.0.9.9 is inside
  - {from: admin, to: web, protocol: ICMP, expect: allowed}
"""


def _from_file(tmp_path: Path, scenario: str = FROM_FILE) -> Path:
    (tmp_path / "policies").mkdir(exist_ok=True)
    shutil.copy(DATA / "sg-base4k5l.json", tmp_path / "policies")
    shutil.copy(DATA / "address-templates.json", tmp_path)
    path = tmp_path / "scenario.yaml"
    path.write_text(scenario)
    return path


def test_from_file_reads_a_group_from_a_policies_file(tmp_path: Path) -> None:
    scenario = load_file(_from_file(tmp_path))
    group = scenario.security_group("sg-base4k5l")
    assert [r.text for r in group.inbound] == [
        "198.51.100.0/25 + TCP:22 accept", "198.51.100.200 + TCP:22 accept",
        "10.0.0.0/16 + ICMP accept", "2001:db8:10::/48 + ICMPv6 accept", "0.0.0.0/0 + ALL drop",
    ]  # fmt: skip
    assert group.outbound[0].description == "MySQL"
    assert {r.line for r in group.inbound} == {7}  # the line of from_file
    assert simulate(scenario).ok


FROM_FILE_BAD = [
    pytest.param("{from_file: policies/none.json}", "scenario.yaml", "sg-base4k5l:",
                 "security_groups.sg-base4k5l.from_file", "no such file", id="no such file"),
    pytest.param("{from_file: policies/sg-base4k5l.json}", "policies/sg-base4k5l.json",
                 '"ipm-office"', "SecurityGroupPolicySet.Ingress[0].AddressTemplate.AddressId",
                 "unknown address template ipm-office", id="a template not given"),
    pytest.param("{from_file: policies/sg-base4k5l.json, inbound: []}", "scenario.yaml",
                 "sg-base4k5l:", "security_groups.sg-base4k5l.inbound",
                 "from_file or from inbound and outbound", id="rules given twice"),
    pytest.param("{from_file: policies/sg-base4k5l.json, templates: [x.json], tempaltes: []}",
                 "scenario.yaml", "sg-base4k5l:", "security_groups.sg-base4k5l.tempaltes",
                 "unknown key (did you mean 'templates'?)", id="a misspelt key"),
    pytest.param("{from_file: policies/sg-base4k5l.json, templates: [x.json]}", "x.json", "[",
                 "json", "expected a JSON object", id="a bad templates file"),
    pytest.param("{from_file: policies/sg-base4k5l.json, templates: [policies/sg-base4k5l.json]}",
                 "policies/sg-base4k5l.json", '"SecurityGroupPolicySet"', "SecurityGroupPolicySet",
                 "a DescribeSecurityGroupPolicies response, not templates", id="not templates"),
    pytest.param("{from_file: address-templates.json}", "address-templates.json",
                 '"AddressTemplateSet"', "Response.AddressTemplateSet",
                 "a DescribeAddressTemplates response, not DescribeSecurityGroupPolicies",
                 id="another response"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "name", "text", "where", "words"), FROM_FILE_BAD)
def test_from_file_mistakes_are_located(
    tmp_path: Path, value: str, name: str, text: str, where: str, words: str
) -> None:
    scenario = FROM_FILE.replace(
        "{from_file: policies/sg-base4k5l.json, templates: [address-templates.json]}", value
    )
    path = _from_file(tmp_path, scenario)
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    error = caught.value
    where_line = _line(tmp_path / name, text)
    assert (error.file, error.line, error.field) == (str(tmp_path / name), where_line, where)
    assert words in error.message


def test_from_file_peers_must_be_groups_of_the_scenario(tmp_path: Path) -> None:
    """sg-base4k5l's outbound rule 0 names sg-db7m8n9p; without it the peer is unknown."""
    path = _from_file(tmp_path, FROM_FILE.replace("  sg-db7m8n9p: {}\n", ""))
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    error = caught.value
    assert error.file == str(tmp_path / "policies" / "sg-base4k5l.json")
    assert (error.line, error.field) == (5, "SecurityGroupPolicySet.Egress[0]")
    assert "unknown peer 'sg-db7m8n9p'" in error.message


def test_from_file_refuses_the_policies_of_another_group(tmp_path: Path) -> None:
    document = json.loads((DATA / "sg-web1x2y3.json").read_text())
    document["SecurityGroupId"] = "sg-web1x2y3"
    path = _from_file(tmp_path)
    (tmp_path / "policies" / "sg-base4k5l.json").write_text(json.dumps(document, indent=2))
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    assert "the file is about sg-web1x2y3, not sg-base4k5l" in caught.value.message
