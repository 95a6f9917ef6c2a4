"""The Terraform importer: `terraform show -json` output in, a scenario out that replays as worked
out by hand from docs/semantics.md; every bad or unsupported input gives one located line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.importers import terraform
from simulator.importers.draft import Draft, render
from simulator.model import Health, Verdict
from simulator.scenario import load_text
from simulator.simulate import simulate

DATA = Path(__file__).parent / "data" / "terraform"
STATE = DATA / "clb-state.json"  # one CLB, two listeners, three backends, four rule sets
LB, WEB0, WEB1, API, BASTION = (
    "lb-8zq3n5xp", "ins-a1b2c3d4", "ins-e5f6g7h8", "ins-k9m8n7p6", "ins-q1w2e3r4"
)  # fmt: skip

# What a person adds to the imported file: clients, flows and expectations, each worked out by
# hand from docs/semantics.md (the § cited) and the rules of clb-state.json, as imported (index:
# rule; a template expands in place, address members outermost):
#   sg-5xk2m9qa (the CLB's own group) inbound: 0 0.0.0.0/0 TCP:443 accept; 1-3 the "trusted"
#     template group (office 198.51.100.0/25 and 198.51.100.200, partners 192.0.2.16/28)
#     TCP:8080 accept; 4 ::/0 TCP:443 accept; 5 0.0.0.0/0 ALL drop.
#   sg-7hd3p1wz (web[0], web[1]; and api, second) inbound: 0 0.0.0.0/0 TCP:8443 accept;
#     1 sg-9ft6r2ye TCP:22 accept; 2 0.0.0.0/0 ALL drop. Outbound: ALL accept.
#   sg-2nq8v4tc (api, first) inbound: 0-5 trusted x the "api-ports" service group (TCP:9000,
#     TCP:9100-9101) accept; 6 0.0.0.0/0 ALL drop. Outbound: ALL accept.
#   sg-9ft6r2ye (bastion 10.0.3.5) inbound: 0-1 office TCP:22 accept; 2 drop. Outbound:
#     0 10.0.0.0/16 ALL accept; 1 0.0.0.0/0 ALL drop.
#   api (10.0.2.21) is bound to sg-2nq8v4tc then sg-7hd3p1wz (orderly_security_groups; the
#   security_groups set lists them the other way round), evaluated as one list (§1.5).
#   Listeners: TCP:443 -> web[0], web[1] port 8443, health checks from the VIP
#   (health_source_ip_type 0); TCP:8080 -> api port 9000, from 100.64.0.0/10 (type 1).
# docs/import-terraform.md has the same working as a table; the tests below hold the two equal.
QUESTIONS = f"""\
clients:
  internet: 203.0.113.77
  office: 198.51.100.10
  office-printer: 198.51.100.200
  guest: 198.51.100.150
  partner: 192.0.2.20
flows:
  # CLB group rule 0 accepts TCP:443 from anywhere (§4.2, §1.3); layer 4 passes the client's
  # address to web[0] and web[1] on 8443 (§3.3), which sg-7hd3p1wz rule 0 accepts; both
  # backends are healthy (below), so both paths count and both pass (§3.8, §3.9).
  - {{name: https, from: internet, to: "{LB}:443", expect: allowed}}
  # TCP:8080 from 203.0.113.77: not 443, not in the trusted templates, ::/0 is IPv6, so the
  # catch-all drop of the CLB's own group decides (§3.2, §1.3).
  - {{name: api from the internet, from: internet, to: "{LB}:8080", expect: denied}}
  # 198.51.100.10 is in the office template (198.51.100.0/25): CLB group accepts 8080; api sees
  # the client on 9000 (§3.3), accepted by the office x TCP:9000 rule of sg-2nq8v4tc.
  - {{name: api from the office, from: office, to: "{LB}:8080", expect: allowed}}
  # 192.0.2.20 is in the partners template 192.0.2.16/28 (.16-.31): the same two accepts.
  - {{name: api from a partner, from: partner, to: "{LB}:8080", expect: allowed}}
  # The bastion's outbound rule 10.0.0.0/16 accepts the first packet (§1.6); web[0]'s rule 1
  # names sg-9ft6r2ye, which stands for the bastion's address 10.0.3.5 (§1.1): accepted.
  - {{name: ssh from the bastion, from: {BASTION}, to: "{WEB0}:22", expect: allowed}}
  # From api (10.0.2.21): its outbound accepts all; at web[0], rule 0 is port 8443, rule 1's
  # group holds only 10.0.3.5, so the catch-all drop decides (§1.3).
  - {{name: ssh from the api, from: {API}, to: "{WEB0}:22", expect: denied}}
  # api's first group ends in a catch-all drop, so sg-7hd3p1wz rule 1, which would accept the
  # bastion, is never read (§1.5, §1.3).
  - {{name: ssh from the bastion to the api, from: {BASTION}, to: "{API}:22", expect: denied}}
  # 198.51.100.200 is the template's single address: sg-9ft6r2ye rule for it accepts TCP:22.
  - {{name: ssh to the bastion, from: office-printer, to: "{BASTION}:22", expect: allowed}}
  # 198.51.100.150 is outside 198.51.100.0/25 and is not .200: the drop decides.
  - {{name: ssh from a guest, from: guest, to: "{BASTION}:22", expect: denied}}
  # The bastion may only talk inside 10.0.0.0/16; its outbound drop stops it first (§1.6).
  - {{name: bastion out, from: {BASTION}, to: "192.0.2.200:443", expect: denied}}
  # The service template group brought TCP:9100-9101 (metrics) for the trusted addresses.
  - {{name: metrics, from: partner, to: "{API}:9100", expect: allowed}}
  # Every api-ports member is TCP: UDP to 9000 meets only the catch-all drop.
  - {{name: udp to the api, from: partner, to: "{API}:9000", protocol: UDP, expect: denied}}
health_checks:
  # source: vip (health_source_ip_type 0): 203.0.113.10 -> TCP:8443, the backend's port (no
  # check port, §3.7); sg-7hd3p1wz rule 0 accepts 0.0.0.0/0 on 8443; the reply passes by state.
  - {{listener: "{LB}:443", backend: {WEB0}, expect: healthy}}
  - {{listener: "{LB}:443", backend: {WEB1}, expect: healthy}}
  # source 100.64.0.0/10 (type 1) is allowed by backend groups implicitly (§3.5), and there is
  # no ACL: healthy, although sg-2nq8v4tc allows nothing from the VIP.
  - {{listener: "{LB}:8080", backend: {API}, expect: healthy}}
"""
DOC = Path(__file__).parent.parent / "docs" / "import-terraform.md"


def hand_worked() -> dict[str, tuple[str, str]]:
    """The table "Worked out by hand" of docs/import-terraform.md: flow name, or listener and
    backend of a health check -> (the deciding rule, the verdict)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Worked out by hand", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    table = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        key, rule, verdict = cells[0], cells[2], cells[3]
        table[key.strip("`").replace("` `", " ")] = (rule.strip("`"), verdict)
    return table


def imported(path: Path, *, skip: bool = False) -> tuple[str, Draft]:
    draft = Draft(skip=skip)
    terraform.read(path, draft)
    return render(draft), draft


def test_the_required_state_replays_as_worked_out_by_hand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Import clb-state.json, append QUESTIONS, replay it: every verdict and deciding rule is
    the one of the table worked out by hand in docs/import-terraform.md."""
    text, _ = imported(STATE)
    scenario = load_text(text + QUESTIONS, "clb-state.yaml")
    assert [lb.name for lb in scenario.load_balancers] == [LB]
    (lb,) = scenario.load_balancers
    assert [str(listener.key) for listener in lb.listeners] == ["TCP:8080", "TCP:443"]
    assert sum(len(listener.backends) for listener in lb.listeners) == 3
    assert len(scenario.security_groups) == 4
    out = tmp_path / "shop.yaml"
    assert main(["import", "terraform", str(STATE), "-o", str(out)]) == 0
    out.write_text(out.read_text() + QUESTIONS)
    capsys.readouterr()
    assert main(["replay", "--format", "json", str(out)]) == 0
    (report,) = json.loads(capsys.readouterr().out)["scenarios"]
    replayed = {f["name"]: (f["decided_by"], f["verdict"]) for f in report["flows"]}
    replayed |= {
        f"{h['listener']} {h['backend']}": (h["decided_by"], h["status"])
        for h in report["health_checks"]
    }
    table = hand_worked()
    assert sorted(table) == sorted(replayed)
    assert len(report["flows"]) == 12 and len(report["health_checks"]) == 3
    for key, (rule, verdict) in table.items():
        decided_by, got = replayed[key]
        assert got == verdict, key
        if rule == "implicit":
            assert "allowed implicitly" in decided_by, key
        else:
            assert decided_by.startswith(f"{rule}: "), (key, decided_by)
    assert report["ok"]


def test_the_replay_example_of_the_docs_is_the_import_with_these_questions(
    monkeypatch: pytest.MonkeyPatch, update_goldens: bool
) -> None:
    """docs/import-terraform.md replays tests/data/terraform/clb-replay.yaml; it must stay the
    import of clb-state.json with QUESTIONS appended (pytest --update-goldens rewrites it)."""
    monkeypatch.chdir(DATA.parent.parent.parent)
    expected = imported(Path("tests/data/terraform/clb-state.json"))[0] + QUESTIONS
    replay = DATA / "clb-replay.yaml"
    if update_goldens:
        replay.write_text(expected)
    assert replay.read_text() == expected, "stale: run pytest --update-goldens"
    assert simulate(load_text(expected, str(replay))).ok


def test_what_the_state_holds_is_written_with_where_it_came_from() -> None:
    text, draft = imported(STATE)
    assert "# tencentcloud_instance.web[0], line 477: 'web-0'\n" in text
    assert "# tencentcloud_clb_listener.api, line 204: lbl-p9x3c6vn 'api'\n" in text
    assert "health_check: {source: 100.64.0.0/10, protocol: HTTP}" in text
    assert "health_check: {source: vip, protocol: TCP}" in text
    clb = draft.document["security_groups"]["sg-5xk2m9qa"]["inbound"]
    assert [rule["peer"] for rule in clb] == [
        "0.0.0.0/0", "198.51.100.0/25", "198.51.100.200", "192.0.2.16/28", "::/0", "0.0.0.0/0"
    ]  # fmt: skip
    assert clb[-1]["action"] == "DROP"  # the catch-all drop stays last
    web = draft.document["security_groups"]["sg-7hd3p1wz"]["inbound"]
    assert web[1]["peer"] == "sg-9ft6r2ye"  # a group as the peer
    # several groups: the order of orderly_security_groups, not that of the security_groups set
    assert draft.document["instances"][API]["security_groups"] == ["sg-2nq8v4tc", "sg-7hd3p1wz"]
    assert "\n      - 0.0.0.0/0 + ALL accept\n" in text  # seed notation, with no description
    api = draft.comments[("security_groups", "sg-2nq8v4tc", "inbound", 3)]
    assert api.endswith(
        "address template ipmg-4hv7c2nd > ipm-3kd8x1qo: 198.51.100.200; "
        "service template ppmg-1cs9j6xa > ppm-0jw4e7ub: tcp:9100-9101"
    )
    assert "Not read: tencentcloud_subnet (3), tencentcloud_vpc (1)" in draft.document["notes"]
    assert imported(STATE)[0] == text  # deterministic


def test_the_health_check_source_decides_the_api_backend(tmp_path: Path) -> None:
    """With health_source_ip_type 0 the probe comes from the VIP, which sg-2nq8v4tc drops."""
    document = json.loads(STATE.read_text())
    listener = _resource(document, "tencentcloud_clb_listener.api")
    listener["values"]["health_source_ip_type"] = 0
    path = _write(tmp_path, document)
    text, _ = imported(path)
    result = simulate(load_text(text, "vip.yaml"))
    status = {(h.listener.port, h.backend.instance): h.status for h in result.health_checks}
    # 203.0.113.10 is in no template of sg-2nq8v4tc: its catch-all drop decides (§3.5, §1.3).
    assert status[(8080, API)] is Health.UNHEALTHY
    assert status[(443, WEB0)] is Health.HEALTHY


def test_a_plan_is_read_from_its_planned_values() -> None:
    text, draft = imported(DATA / "clb-plan.json")
    assert "a plan (Terraform 1.9.8)" in draft.document["source"]
    web = draft.document["security_groups"]["sg-7hd3p1wz"]["inbound"]
    assert web[2]["peer"] == "10.0.2.0/24" and web[2]["port"] == "9100"
    question = f'flows:\n  - {{from: {API}, to: "{WEB0}:9100"}}\n'
    planned = simulate(load_text(text + question, "plan.yaml")).flows[0].verdict
    now = simulate(load_text(imported(STATE)[0] + question, "state.yaml")).flows[0].verdict
    # the plan's new rule 2 accepts 10.0.2.0/24 on TCP:9100; today the catch-all drop decides
    assert (planned, now) == (Verdict.ALLOWED, Verdict.DENIED)


def test_older_one_rule_resources_are_ordered_by_policy_index() -> None:
    text, draft = imported(DATA / "legacy-rules-state.json")
    dns = draft.document["security_groups"]["sg-4pk9w2dx"]["inbound"]
    # the state lists them by address (dns_deny, dns_ping, dns_ssh, dns_udp); policy_index
    # 0..3 puts the catch-all drop last
    assert [rule.get("description") for rule in dns] == [
        "DNS from the VPC", "ping, for the UDP health check", "SSH from the ops hosts",
        "catch-all drop",
    ]  # fmt: skip
    assert "health_check: {source: vip, protocol: UDP}" in text  # PING on a UDP listener
    questions = (
        "flows:\n"
        # ops (10.0.5.9) is in sg-6bn1r5yc, the peer of rule 2 (§1.1); outbound accepts all
        "  - {from: ins-o4p5q6r7, to: 'ins-d7n2s5q0:22', expect: allowed}\n"
        "health_checks:\n"
        # a UDP check pings from the VIP 10.0.4.100, accepted by the ICMP rule for 10.0.0.0/16,
        # and the UDP probe reaches a running service (§3.7)
        "  - {listener: 'lb-3mv8q1zt:53', backend: ins-d7n2s5q0, expect: healthy}\n"
    )
    assert simulate(load_text(text + questions, "legacy.yaml")).ok


def test_resources_of_nested_modules_are_read() -> None:
    text, _ = imported(DATA / "modules-state.json")
    assert "# module.network.module.firewall.tencentcloud_security_group_rule_set.app" in text
    assert "bypass_backend_security_groups: true" in text
    assert "persistent_connections: true" in text
    questions = (
        "clients: {internet: 203.0.113.5}\n"
        "flows:\n"
        # sg-3kw9z4fe accepts TCP:80; the backend's group accepts only 10.1.0.0/16, but
        # load_balancer_pass_to_target bypasses it for traffic from the CLB (§3.4)
        "  - {from: internet, to: 'lb-1hx6w3cn:80', expect: allowed}\n"
        "  - {from: internet, to: 'ins-m2q7w4e9:8080', expect: denied}\n"
        "health_checks:\n"
        "  - {listener: 'lb-1hx6w3cn:80', backend: ins-m2q7w4e9, expect: healthy}\n"
    )
    assert simulate(load_text(text + questions, "modules.yaml")).ok


def test_a_one_line_file_as_terraform_prints_it_imports_the_same(tmp_path: Path) -> None:
    one_line = tmp_path / "clb-state.json"
    one_line.write_text(json.dumps(json.loads(STATE.read_text())))
    assert len(one_line.read_text().splitlines()) == 1

    def uncommented(text: str) -> list[str]:
        lines = text.splitlines()
        return [line for line in lines if not line.lstrip().startswith(("#", "source:"))]

    assert uncommented(imported(one_line)[0]) == uncommented(imported(STATE)[0])


def test_the_command_line_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "imported.yaml"
    assert main(["import", "terraform", str(STATE), "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""
    assert main(["replay", str(out)]) == 0
    out.write_text(out.read_text() + QUESTIONS)
    capsys.readouterr()
    assert main(["replay", str(out)]) == 0
    assert "https" in capsys.readouterr().out


def test_skip_unsupported_lists_each_item_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(STATE.read_text())
    _resource(document, "tencentcloud_clb_listener.web")["values"]["end_port"] = 450
    targets = _resource(document, "tencentcloud_clb_attachment.api")["values"]["targets"]
    targets.append({"eni_ip": "10.0.2.99", "instance_id": "", "port": 9000, "weight": 10})
    _resources(document).append(_acl())
    _resource(document, WEB_RULES)["values"]["ingress"][1]["protocol"] = "SCTP"
    path = _write(tmp_path, document)
    assert main(["import", "terraform", str(path)]) == 2
    assert "--skip-unsupported leaves it out" in capsys.readouterr().err
    out = tmp_path / "out.yaml"
    assert main(["import", "terraform", str(path), "--skip-unsupported", "-o", str(out)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 5, lines
    assert all(line.startswith(f"skipped: {path}:") for line in lines)
    assert any("tencentcloud_vpc_acl.web: network ACLs are not read" in line for line in lines)
    assert any(".values.end_port: " in line and "port-range listener" in line for line in lines)
    assert any("its listener lbl-h4k7m2qa was left out" in line for line in lines)
    assert any(".targets[1].eni_ip: " in line for line in lines)
    # a rule's item is located at its Terraform attribute, as when it stops the import
    line = _line_of(path, '"SCTP"')
    assert (
        f"skipped: {path}:{line}: values.root_module.resources[22].values.ingress[1].protocol: "
        "tencentcloud_security_group_rule_set.web: protocol 'SCTP' is not modelled"
    ) in lines
    scenario = load_text(out.read_text(), str(out))
    assert [listener.port for listener in scenario.load_balancers[0].listeners] == [8080]
    web = next(group for group in scenario.security_groups if group.name == "sg-7hd3p1wz")
    assert len(web.inbound) == 2  # the SCTP rule is left out


def test_a_clb_left_out_leaves_out_its_listeners_and_attachments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(STATE.read_text())
    _resource(document, "tencentcloud_clb_instance.front")["values"]["snat_pro"] = True
    path = _write(tmp_path, document)
    out = tmp_path / "out.yaml"
    assert main(["import", "terraform", str(path), "--skip-unsupported", "-o", str(out)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 3)[3] for line in lines] == [
        "tencentcloud_clb_instance.front: backends see SNAT addresses, not modelled",
        "tencentcloud_clb_listener.api: its CLB lb-8zq3n5xp was left out",
        "tencentcloud_clb_listener.web: its CLB lb-8zq3n5xp was left out",
        "tencentcloud_clb_attachment.api: its listener lbl-p9x3c6vn was left out",
        "tencentcloud_clb_attachment.web: its listener lbl-h4k7m2qa was left out",
    ]
    assert load_text(out.read_text(), str(out)).load_balancers == ()


def test_a_udp_listener_with_a_custom_check_is_reported_as_the_api_importer_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CUSTOM on UDP: an exchange sgsim does not model (tencent_clb reports it too); with
    --skip-unsupported the listener keeps its default check, UDP from the VIP."""
    document = json.loads((DATA / "legacy-rules-state.json").read_text())
    listener = _resource(document, "tencentcloud_clb_listener.dns")["values"]
    listener["health_check_type"] = "CUSTOM"
    path = _write(tmp_path, document)
    assert main(["import", "terraform", str(path)]) == 2
    assert "a CUSTOM check on a UDP listener is not modelled" in capsys.readouterr().err
    text, draft = imported(path, skip=True)
    assert [item.what.rsplit(".", 1)[-1] for item in draft.skipped] == ["health_check_type"]
    assert "health_check: {source: vip}" in text


def test_a_grpc_check_is_read_as_http_and_says_so(tmp_path: Path) -> None:
    document = json.loads(STATE.read_text())
    _resource(document, "tencentcloud_clb_listener.api")["values"]["health_check_type"] = "GRPC"
    text, _ = imported(_write(tmp_path, document))
    assert "health_check: {source: 100.64.0.0/10, protocol: HTTP}" in text
    assert "'api'; a GRPC check, read as HTTP" in text


def test_a_second_forwarding_rule_of_a_layer7_listener_is_not_modelled(tmp_path: Path) -> None:
    document = json.loads((DATA / "modules-state.json").read_text())
    rule = _resource(document, "tencentcloud_clb_listener_rule.root")
    second = json.loads(json.dumps(rule))
    second["address"] = "tencentcloud_clb_listener_rule.api"
    second["values"].update(url="/api", rule_id="loc-9kd2f7xb", health_check_switch=False)
    _resources(document).append(second)
    path = _write(tmp_path, document)
    with pytest.raises(ScenarioError, match="forwarding by domain and URL is not modelled"):
        imported(path)
    text, draft = imported(path, skip=True)
    assert [item.what.rsplit(".", 1)[-1] for item in draft.skipped] == ["url"]
    assert "protocol: HTTP" in text  # the first rule's check is kept


def _tf(kind: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": f"{kind}.{name}",
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": "registry.terraform.io/tencentcloudstack/tencentcloud",
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }


def _single(sg: str, kind: str = "ingress", **changes: Any) -> dict[str, Any]:
    return _tf(
        "tencentcloud_security_group_rule",
        "extra",
        {
            "address_template": [], "cidr_ip": "10.9.0.0/16", "description": "",
            "id": "eyJzZ19pZCI6InNnIn0=", "ip_protocol": "TCP", "policy": "ACCEPT",
            "policy_index": None, "port_range": "22", "protocol_template": [],
            "security_group_id": sg, "source_sgid": "", "type": kind, **changes,
        },
    )  # fmt: skip


def _acl() -> dict[str, Any]:
    return _tf(
        "tencentcloud_vpc_acl",
        "web",
        {"egress": ["ACCEPT#0.0.0.0/0#ALL#ALL"], "id": "acl-2kq7d0vx",
         "ingress": ["ACCEPT#0.0.0.0/0#443#TCP"], "name": "web", "tags": {},
         "vpc_id": "vpc-9kq2x7sd"},
    )  # fmt: skip


def _lite() -> dict[str, Any]:
    return _tf(
        "tencentcloud_security_group_lite_rule",
        "web",
        {"egress": [], "id": "sg-7hd3p1wz", "ingress": ["ACCEPT#10.0.0.0/16#22#TCP"],
         "security_group_id": "sg-7hd3p1wz"},
    )  # fmt: skip


# -- bad input: one located line each -------------------------------------------------------
Edit = Callable[[dict[str, Any]], None]


def _set(address: str, key: str, value: Any) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        _resource(document, address)["values"][key] = value

    return edit


def _rule(address: str, index: int, **changes: Any) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        _resource(document, address)["values"]["ingress"][index].update(changes)

    return edit


def _edit(address: str, **changes: Any) -> Edit:
    return lambda document: _resource(document, address)["values"].update(changes)


def _drop(address: str) -> Edit:
    return lambda document: _resources(document).remove(_resource(document, address))


def _add(resource: dict[str, Any]) -> Edit:
    return lambda document: _resources(document).append(resource)


def _top(**changes: Any) -> Edit:
    return lambda document: document.update(changes)


RES = r"values\.root_module\.resources\[\d+\]"
WEB_RULES, API_RULES = (
    "tencentcloud_security_group_rule_set.web", "tencentcloud_security_group_rule_set.api"
)  # fmt: skip
BAD: list[tuple[str, Edit, str | tuple[str, int], str]] = [
    # (what, edit, marker on the reported line, FIELD: message as a regular expression)
    ("version", _top(format_version="2.0"), '"2.0"',
     r"format_version: format 2.0 is not supported"),
    ("no private ip", _set("tencentcloud_instance.web[1]", "private_ip", ""),
     '"private_ip": ""', RES + r"\.values\.private_ip: tencentcloud_instance\.web\[1\]: no "
     "private_ip"),
    ("bad ip", _set("tencentcloud_instance.api", "private_ip", "10.0.2.300"), "10.0.2.300",
     RES + r"\.values\.private_ip: .* '10\.0\.2\.300' is not an IP address"),
    ("same ip", _set("tencentcloud_instance.api", "private_ip", "10.0.1.11"),
     ('"private_ip": "10.0.1.11"', 2), RES + r"\.values\.private_ip: tencentcloud_instance\.web\[0\]: 10\.0\.1\.11 is also the "
     r"address of tencentcloud_instance\.api"),
    ("no listener", _set("tencentcloud_clb_attachment.web", "listener_id", "lbl-gone"),
     "lbl-gone", RES + r"\.values\.listener_id: .*unknown listener lbl-gone \(the input has: "
     r"lbl-h4k7m2qa, lbl-p9x3c6vn\)"),
    ("no clb", _set("tencentcloud_clb_listener.web", "clb_id", "lb-gone"), "lb-gone",
     RES + r"\.values\.clb_id: .*unknown CLB lb-gone"),
    ("no instance", _set("tencentcloud_clb_attachment.api", "targets",
                         [{"eni_ip": "", "instance_id": "ins-gone", "port": 9000, "weight": 10}]),
     "ins-gone", RES + r"\.values\.targets\[0\]\.instance_id: .*unknown instance ins-gone"),
    ("unbound group", _set("tencentcloud_instance.bastion", "orderly_security_groups",
                           ["sg-gone"]),
     "sg-gone", RES + r"\.values\.orderly_security_groups\[0\]: .*security group sg-gone is not "
     "in the input"),
    ("peer group", _rule("tencentcloud_security_group_rule_set.web", 1,
                         source_security_id="sg-peer0000"), "sg-peer0000",
     RES + r"\.values\.ingress\[1\]\.source_security_id: .*sg-peer0000 is not in the input"),
    ("two rule sources", _add(_single("sg-7hd3p1wz")), ('"security_group_id": "sg-7hd3p1wz"', 2),
     RES + r"\.values\.security_group_id: tencentcloud_security_group_rule\.extra: the rules of "
     r"sg-7hd3p1wz are already given by tencentcloud_security_group_rule_set\.web"),
    ("network type", _set("tencentcloud_clb_instance.front", "network_type", "PUBLIC"),
     '"PUBLIC"', RES + r"\.values\.network_type: .*'PUBLIC' is not OPEN or INTERNAL"),
    ("port type", _set("tencentcloud_clb_listener.web", "port", "https"), '"port": "https"',
     RES + r'\.values\.port: .*expected a whole number, got "https"'),
    ("switch type", _set("tencentcloud_clb_listener.web", "health_check_switch", "on"),
     '"on"', RES + r'\.values\.health_check_switch: .*expected true or false, got "on"'),
    ("source type", _set("tencentcloud_clb_listener.web", "health_source_ip_type", 2),
     '"health_source_ip_type": 2', RES + r"\.values\.health_source_ip_type: .*2 is not 0 \(the "
     r"VIP\) or 1 \(100\.64\.0\.0/10\)"),
    ("no vip", _set("tencentcloud_clb_instance.front", "clb_vips", []), '"clb_vips": []',
     RES + r"\.values\.clb_vips: .*no VIP"),
    ("ipv6 clb", _set("tencentcloud_clb_instance.front", "address_ip_version", "IPv6FullChain"),
     "IPv6FullChain", RES + r"\.values\.address_ip_version: .*an ipv6fullchain CLB is not "
     r"modelled; not imported \(--skip-unsupported"),
    ("snat pro", _set("tencentcloud_clb_instance.front", "snat_pro", True), '"snat_pro": true',
     RES + r"\.values\.snat_pro: .*SNAT"),
    ("ping on tcp", _set("tencentcloud_clb_listener.web", "health_check_type", "PING"),
     '"PING"', RES + r"\.values\.health_check_type: .*a PING check on a TCP listener is not "
     "modelled"),
    ("custom on udp", _edit("tencentcloud_clb_listener.web", protocol="UDP",
                            health_check_type="CUSTOM"),
     '"CUSTOM"', RES + r"\.values\.health_check_type: tencentcloud_clb_listener\.web: a CUSTOM "
     r"check on a UDP listener is not modelled; not imported \(--skip-unsupported"),
    ("tcp check on udp", _edit("tencentcloud_clb_listener.web", protocol="UDP"),
     '"health_check_type": "TCP"', r"a TCP check on a UDP listener is not modelled"),
    ("target group", _set("tencentcloud_clb_listener.web", "target_type", "TARGETGROUP"),
     '"TARGETGROUP"', RES + r"\.values\.target_type: .*target group are not read"),
    ("weight 0", _set("tencentcloud_clb_attachment.api", "targets",
                      [{"eni_ip": "", "instance_id": API, "port": 9000, "weight": 0}]),
     '"weight": 0', RES + r"\.values\.targets\[0\]\.weight: .*weight 0"),
    ("acl", _add(_acl()), '"type": "tencentcloud_vpc_acl"',
     RES + r"\.type: tencentcloud_vpc_acl\.web: network ACLs are not read"),
    ("lite rule", _add(_lite()), '"type": "tencentcloud_security_group_lite_rule"',
     r"rules in the lite notation are not read"),
    ("resources", lambda d: d["values"]["root_module"].update(resources={"a": 1}),
     '"resources": {', r"values\.root_module\.resources: expected a list, got a mapping"),
    ("values", _set("tencentcloud_instance.api", "orderly_security_groups", "sg-2nq8v4tc"),
     '"orderly_security_groups": "sg', RES + r"\.values\.orderly_security_groups: .*expected a "
     "list of text"),
    ("rule type", _add(_single("sg-0new0000", kind="both")), '"type": "both"',
     RES + r"\.values\.type: .*'both' is not ingress or egress"),
    # a rule: located at its Terraform attribute, whatever the converter calls it
    ("unknown protocol", _rule(WEB_RULES, 0, protocol="SCTP"), '"SCTP"',
     RES + r"\.values\.ingress\[0\]\.protocol: tencentcloud_security_group_rule_set\.web: "
     r"protocol 'SCTP' is not modelled; not imported \(--skip-unsupported"),
    ("no action", _rule(WEB_RULES, 0, action=""), '"action": ""',
     RES + r"\.values\.ingress\[0\]\.action: .*required: ACCEPT or DROP"),
    ("bad action", _rule(WEB_RULES, 0, action="ALLOW"), '"ALLOW"',
     RES + r"\.values\.ingress\[0\]\.action: .*'ALLOW' is not ACCEPT or DROP"),
    ("no peer", _rule(WEB_RULES, 0, cidr_block=None), '"cidr_block": null',
     RES + r"\.values\.ingress\[0\]\.cidr_block: .*no peer: one of cidr_block, ipv6_cidr_block, "
     "source_security_id, address_template_id, address_template_group is required"),
    ("two peers", _rule(WEB_RULES, 0, ipv6_cidr_block="::/0"), ('"ipv6_cidr_block": "::/0"', 2),
     RES + r"\.values\.ingress\[0\]\.ipv6_cidr_block: .*two peers, cidr_block and "
     "ipv6_cidr_block; a rule has exactly one"),
    ("bad cidr", _rule(WEB_RULES, 0, cidr_block="10.0.0.0/33"), "10.0.0.0/33",
     RES + r"\.values\.ingress\[0\]\.cidr_block: .*'10\.0\.0\.0/33' is not an address"),
    ("bad port", _rule(WEB_RULES, 0, port="80-"), '"80-"',
     RES + r"\.values\.ingress\[0\]\.port: .*port range '80-' has no upper end"),
    ("unknown rule attribute", _rule(WEB_RULES, 0, priority=5), '"priority": 5',
     RES + r"\.values\.ingress\[0\]\.priority: .*'priority' is not an attribute sgsim reads"),
    ("template not given", _rule("tencentcloud_security_group_rule_set.admin", 0,
                                 address_template_id="ipm-nothere"), '"ipm-nothere"',
     RES + r"\.values\.ingress\[0\]\.address_template_id: tencentcloud_security_group_rule_set"
     r"\.admin: unknown address template ipm-nothere; the input has: ipm-3kd8x1qo, ipm-6tb2w9ls"),
    ("service group not given", _rule(API_RULES, 0, service_template_group="ppmg-nothere"),
     '"ppmg-nothere"', RES + r"\.values\.ingress\[0\]\.service_template_group: .*unknown "
     "service template group ppmg-nothere"),
    ("member not given", _drop("tencentcloud_address_template.partners"),
     ('"address_template_group": "ipmg-4hv7c2nd"', 1),
     RES + r"\.values\.ingress\[0\]\.address_template_group: tencentcloud_security_group_rule_set"
     r"\.api: address template group ipmg-4hv7c2nd holds template ipm-6tb2w9ls, which is not in "
     "the input"),
    ("protocol and template", _rule(API_RULES, 0, port="9000"), '"port": "9000"',
     RES + r"\.values\.ingress\[0\]\.port: .*port and service_template_group are both given"),
    ("single protocol", _add(_single("sg-0new0000", ip_protocol="SCTP")), '"SCTP"',
     RES + r"\.values\.ip_protocol: tencentcloud_security_group_rule\.extra: protocol 'SCTP' is "
     "not modelled"),
    ("single cidr", _add(_single("sg-0new0000", cidr_ip="2001:db8::/129")), "2001:db8::/129",
     RES + r"\.values\.cidr_ip: .*'2001:db8::/129' is not an address"),
    ("single template", _add(_single("sg-0new0000", cidr_ip="", address_template=[
        {"group_id": "", "template_id": "ipm-gone"}])), '"ipm-gone"',
     RES + r"\.values\.address_template\[0\]\.template_id: .*unknown address template ipm-gone"),
    # listeners, targets, IDs, addresses
    ("listener protocol", _set("tencentcloud_clb_listener.web", "protocol", "SCTP"), '"SCTP"',
     RES + r"\.values\.protocol: .*a SCTP listener is not modelled"),
    ("no listener port", _set("tencentcloud_clb_listener.web", "port", None), '"port": null',
     RES + r"\.values\.port: tencentcloud_clb_listener\.web: no port: the listener's port"),
    ("listener port range", _set("tencentcloud_clb_listener.web", "port", 70000), "70000",
     RES + r"\.values\.port: .*port 70000 is out of range 1-65535"),
    ("same port", _set("tencentcloud_clb_listener.web", "port", 8080), ('"port": 8080', 2),
     RES + r"\.values\.port: tencentcloud_clb_listener\.web: TCP port 8080 of lb-8zq3n5xp is "
     r"also the port of tencentcloud_clb_listener\.api"),
    ("listener twice", _set("tencentcloud_clb_listener.web", "listener_id", "lbl-p9x3c6vn"),
     ('"listener_id": "lbl-p9x3c6vn"', 3),
     RES + r"\.values\.listener_id: .*listener lbl-p9x3c6vn is in the input twice"),
    ("no target port", _set("tencentcloud_clb_attachment.api", "targets",
                            [{"eni_ip": "", "instance_id": API, "port": None, "weight": 10}]),
     '"port": null', RES + r"\.values\.targets\[0\]\.port: .*no port: the backend's port"),
    ("another clb", _set("tencentcloud_clb_attachment.web", "clb_id", "lb-other000"),
     '"lb-other000"', RES + r"\.values\.clb_id: .*listener lbl-h4k7m2qa is a listener of "
     "lb-8zq3n5xp, not lb-other000"),
    ("same id", _set("tencentcloud_instance.web[1]", "id", WEB0), ('"id": "ins-a1b2c3d4"', 2),
     RES + r"\.values\.id: tencentcloud_instance\.web\[1\]: ins-a1b2c3d4 is also the ID of "
     r"tencentcloud_instance\.web\[0\]"),
    ("id not a name", _set("tencentcloud_instance.api", "id", "ins k9"), '"ins k9"',
     RES + r"\.values\.id: .*'ins k9' is not an ID sgsim can use as a name"),
    ("ipv6 address", _set("tencentcloud_instance.api", "ipv6_addresses", ["2001:db8::21"]),
     '"2001:db8::21"', RES + r"\.values\.ipv6_addresses\[0\]: .*a second address "
     r"\(2001:db8::21\) is not modelled"),
    ("second vip", _set("tencentcloud_clb_instance.front", "clb_vips",
                        ["203.0.113.10", "203.0.113.11"]), '"203.0.113.11"',
     RES + r"\.values\.clb_vips\[1\]: .*a second VIP \(203\.0\.113\.11\) is not modelled"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "edit", "marker", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_gives_one_located_line(
    what: str,
    edit: Edit,
    marker: str | tuple[str, int],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = json.loads(STATE.read_text())
    edit(document)
    path = _write(tmp_path, document)
    line = _line_of(path, marker)
    _assert_located(path, line, expected, capsys)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ('{\n  "format_version": "1.0",\n  oops\n}\n', 3, r"json: malformed JSON: Expecting"),
        ("\n", 1, r"file: the file is empty; expected the JSON that tccli or terraform show"),
        ('{"version": 4, "resources": []}', 1, r"format_version: not the JSON of `terraform "
         r"show -json`; this looks like a raw state file"),
        ("[1, 2]\n", 1, r"file: expected a mapping, got a list"),
        ('{\n  "format_version": "1.0"\n}\n', 1, r"values: the state holds no resources"),
        ('{"format_version": "1.0",\n "values": {"root_module": {"resources": [\n'
         '  {"address": "a.b", "mode": "managed", "type": "a", "values": 3}]}}}',
         3, r"values\.root_module\.resources\[0\]\.values: a\.b: expected an object"),
        ('{"format_version": "1.0",\n "values": {"root_module": {"resources": [\n'
         '  {"mode": "managed"}]}}}', 3, r"resources\[0\]\.address: required key is missing"),
    ],
)  # fmt: skip
def test_bad_documents_give_one_located_line(
    text: str, line: int, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)
    _assert_located(path, line, expected, capsys)


def test_a_plan_of_resources_not_yet_created_says_why_it_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((DATA / "clb-plan.json").read_text())
    for resource in document["planned_values"]["root_module"]["resources"]:
        if resource["address"] == "tencentcloud_instance.api":
            del resource["values"]["id"]  # unknown until apply: left out of planned_values
    path = _write(tmp_path, document)
    line = _line_of(path, ('"address": "tencentcloud_instance.api"', 1)) + 6  # "values": {
    _assert_located(
        path,
        line,
        r"planned_values\.root_module\.resources\[\d+\]\.values\.id: tencentcloud_instance\.api:"
        r" no id: a plan knows it only after apply",
        capsys,
    )


# -- helpers ---------------------------------------------------------------------------------
def _assert_located(
    path: Path, line: int, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "terraform", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert len(captured.err.splitlines()) == 1, captured.err
    assert captured.err.startswith(f"{path}:{line}: "), captured.err
    assert re.search(expected, captured.err), captured.err


def _resources(document: dict[str, Any]) -> list[dict[str, Any]]:
    resources: list[dict[str, Any]] = document["values"]["root_module"]["resources"]
    return resources


def _resource(document: dict[str, Any], address: str) -> dict[str, Any]:
    return next(r for r in _resources(document) if r["address"] == address)


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def _line_of(path: Path, marker: str | tuple[str, int]) -> int:
    """The line of ``marker``, which must be unique, or of its n-th occurrence."""
    text, nth = (marker, 0) if isinstance(marker, str) else marker
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert nth or len(lines) == 1, f"{text!r} is on lines {lines}"
    return lines[max(nth, 1) - 1]
