"""The shop's network rules, checked with sgsim before anything changes in the cloud.

The scenario file's own expectations run as tests too (see pyproject.toml); these say what no
single flow can: nobody else gets SSH, for every address at once, and properties over any
address hypothesis can think of.
"""

from __future__ import annotations

from ipaddress import IPv4Address, ip_network
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.testing import (
    assert_flow,
    assert_health_checks_pass,
    assert_never_reaches,
    load,
)

SHOP = load(Path(__file__).resolve().parent.parent / "scenarios" / "shop.yaml")
OFFICE = ip_network("198.51.100.0/24")
PARTNER = IPv4Address("203.0.113.40")


def test_the_office_and_the_partner_reach_the_shop() -> None:
    assert_flow(SHOP, "office-laptop", "shop-clb:443", "allowed")
    assert_flow(SHOP, "partner-api", "shop-clb:443", "allowed")


def test_strangers_reach_neither_the_shop_nor_a_backend() -> None:
    assert_flow(SHOP, "stranger", "shop-clb:443", "denied")
    assert_flow(SHOP, "192.0.2.200", "web-1:8443", "denied")  # any address, not only hosts


def test_every_health_check_passes() -> None:
    assert_health_checks_pass(SHOP)


def test_nobody_outside_the_office_gets_ssh() -> None:
    assert_never_reaches(SHOP, port=22, exempt=str(OFFICE))


def test_the_database_port_is_closed_to_everyone() -> None:
    assert_never_reaches(SHOP, port=3306)


@settings(deadline=None)
@given(address=st.ip_addresses(v=4))
def test_only_the_office_gets_ssh(address: IPv4Address) -> None:
    expected = "allowed" if address in OFFICE else "denied"
    assert_flow(SHOP, address, "web-1:22", expected)


@settings(deadline=None)
@given(address=st.ip_addresses(v=4))
def test_only_the_allowlist_reaches_the_shop(address: IPv4Address) -> None:
    expected = "allowed" if address in OFFICE or address == PARTNER else "denied"
    assert_flow(SHOP, address, "shop-clb:443", expected)
