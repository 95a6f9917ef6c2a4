"""The importers' writer: what it writes reads back as the same values, comments where asked."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from simulator.errors import ScenarioError
from simulator.importers.draft import ORDER, Draft, render
from simulator.scenario import load_text


def draft_of(document: dict[str, Any], **comments: str) -> Draft:
    draft = Draft(document=document)
    for path, text in comments.items():
        draft.note(tuple(int(p) if p.isdigit() else p for p in path.split("/")), text)
    return draft


def test_a_scenario_is_written_as_a_person_would_and_loads() -> None:
    draft = draft_of(
        {
            "title": "Imported: sg-1.json",
            "instances": {"ins-1": {"ip": "10.0.1.11", "security_groups": ["sg-1", "sg-2"]}},
            "security_groups": {
                "sg-1": {
                    "inbound": [
                        "0.0.0.0/0 + 8080 allow",
                        {
                            "peer": "10.0.0.0/8",
                            "protocol": "UDP",
                            "port": "53",
                            "action": "ACCEPT",
                            "description": "dns: yes # not a comment",
                        },
                    ],
                    "outbound": [],
                },
                "sg-2": {"inbound": ["0.0.0.0/0 + ALL allow"]},
            },
        },
        **{
            "security_groups/sg-1": "sg-1: sg-1.json line 3, Version 12",
            "security_groups/sg-1/inbound/1": "PolicyIndex 1\nfrom address template ipm-1",
        },
    )
    text = render(draft)
    assert text == (
        "title: 'Imported: sg-1.json'\n"
        "instances:\n"
        "  ins-1: {ip: 10.0.1.11, security_groups: [sg-1, sg-2]}\n"
        "security_groups:\n"
        "  # sg-1: sg-1.json line 3, Version 12\n"
        "  sg-1:\n"
        "    inbound:\n"
        "      - 0.0.0.0/0 + 8080 allow\n"
        "      # PolicyIndex 1\n"
        "      # from address template ipm-1\n"
        "      - {peer: 10.0.0.0/8, protocol: UDP, port: '53', action: ACCEPT, description: 'dns: "
        "yes # not a comment'}\n"
        "    outbound: []\n"
        "  sg-2:\n"
        "    inbound:\n"
        "      - 0.0.0.0/0 + ALL allow\n"
    )
    scenario = load_text(text, "imported.yaml")
    assert scenario.security_group("sg-1").inbound[1].description == "dns: yes # not a comment"


def test_a_mapping_too_wide_for_a_line_starts_on_the_dash() -> None:
    backends = [f"ins-{n}:8080" for n in range(8)]
    draft = draft_of(
        {
            "title": "t",
            "load_balancers": {
                "lb-1": {"listeners": [{"protocol": "TCP", "port": 80, "backends": backends}]}
            },
        }
    )
    text = render(draft)
    assert (
        "      - protocol: TCP\n        port: 80\n        backends:\n          - ins-0:8080\n"
        in text
    )


def test_an_unsupported_item_stops_the_import_unless_skipped() -> None:
    with pytest.raises(ScenarioError) as stopped:
        Draft().unsupported("lb.json", 7, "Listeners[0].HealthCheck.CheckType", "GRPC checks")
    assert str(stopped.value) == (
        "lb.json:7: Listeners[0].HealthCheck.CheckType: GRPC checks; not imported "
        "(--skip-unsupported leaves it out and lists it)"
    )
    draft = Draft(skip=True)
    draft.unsupported("lb.json", 7, "Listeners[0].HealthCheck.CheckType", "GRPC checks")
    assert [str(s) for s in draft.skipped] == [
        "lb.json:7: Listeners[0].HealthCheck.CheckType: GRPC checks"
    ]


TEXT = st.text(st.sampled_from("aZ09 :#-'\"[]{},&*!|>%@`?\té\n"), max_size=8)
SCALARS = st.one_of(TEXT, st.integers(-5, 70000), st.booleans(), st.none())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(
    document=st.dictionaries(st.sampled_from(ORDER), VALUES, max_size=5),
    commented=st.lists(st.sampled_from(ORDER), max_size=3),
)
def test_what_is_written_reads_back_as_the_same_values(
    document: dict[str, Any], commented: list[str]
) -> None:
    draft = Draft(document=document)
    for key in commented:
        draft.note((key,), f"about {key}\nsecond line")
    assert yaml.safe_load(render(draft)) == (document or None)
