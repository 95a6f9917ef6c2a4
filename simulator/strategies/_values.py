"""Addresses, networks and port ranges: pools of meaningful values first, then anything.

Each strategy is ``one_of(sampled_from(pool), general)``: the pool holds the values rules are
written with (private ranges, documentation addresses, well-known ports), so examples read like
real rule sets and shrink to the pool's first value.
"""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..model import Address, Network, PortRange
from . import _validation as check

#: Addresses worth trying before random ones, simplest first.
ADDRESS_POOL: dict[int, tuple[str, ...]] = {
    4: (
        "10.0.0.1", "10.0.1.11", "192.168.0.1", "172.16.0.1", "203.0.113.10",
        "100.64.0.1", "0.0.0.0", "255.255.255.255",
    ),
    6: ("2001:db8::1", "2001:db8:1::11", "fd00::1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
}  # fmt: skip
#: Networks worth trying before random ones, the catch-all first.
NETWORK_POOL: dict[int, tuple[str, ...]] = {
    4: (
        "0.0.0.0/0", "10.0.0.0/8", "10.0.1.0/24", "192.168.0.0/16", "172.16.0.0/12",
        "203.0.113.0/24", "100.64.0.0/10", "10.0.1.11/32",
    ),
    6: ("::/0", "2001:db8::/32", "2001:db8:1::/64", "fd00::/8", "2001:db8:1::11/128"),
}  # fmt: skip
#: Single ports and ranges worth trying before random ones.
PORT_POOL = (80, 443, 22, 8080, 53, 3389)
RANGE_POOL = ((8000, 8100), (1024, 65535), (1, 65535))
UNIVERSE = {4: ipaddress.ip_network("0.0.0.0/0"), 6: ipaddress.ip_network("::/0")}


def addresses(
    *, family: int | None = None, within: Network | str | None = None
) -> st.SearchStrategy[Address]:
    """IPv4 or IPv6 addresses, of ``family`` (4, 6 or None for either), inside ``within``.

    Shrinks to a simple address: ``10.0.0.1`` (or ``2001:db8::1``), or ``within``'s first.
    """
    versions = _versions(family, within)
    return st.one_of(*(_addresses(v, _universe(v, within)) for v in versions))


def _addresses(version: int, universe: Network) -> st.SearchStrategy[Address]:
    if universe.prefixlen == 0:
        pool = [ipaddress.ip_address(a) for a in ADDRESS_POOL[version]]
    else:
        ends = [universe[0], universe[1], universe[-1]] if universe.num_addresses > 1 else []
        pool = list(dict.fromkeys(ends or [universe[0]]))
    general = st.ip_addresses(network=universe)
    return st.one_of(st.sampled_from(pool), general)


def networks(
    *,
    family: int | None = None,
    within: Network | str | None = None,
    min_prefix: int | None = None,
    max_prefix: int | None = None,
) -> st.SearchStrategy[Network]:
    """IPv4 or IPv6 networks inside ``within`` whose prefix length is in
    ``min_prefix``..``max_prefix`` (any length by default).

    With ``family=None`` and prefix lengths IPv4 cannot have (over 32), only IPv6 is drawn.
    Shrinks to ``within`` itself, or to the catch-all ``0.0.0.0/0``.
    """
    versions = _versions(family, within)
    low = 0 if min_prefix is None else check.integer(min_prefix, "min_prefix", 0, 128)
    high = 128 if max_prefix is None else check.integer(max_prefix, "max_prefix", 0, 128)
    if low > high:
        raise InvalidArgument(f"min_prefix={low} must be at most max_prefix={high}")
    choices = []
    for version in versions:
        universe = _universe(version, within)
        lo, hi = max(low, universe.prefixlen), min(high, universe.max_prefixlen)
        if lo <= hi:
            choices.append(_networks(universe, lo, hi))
    if not choices:
        where = f" inside {within}" if within is not None else ""
        raise InvalidArgument(
            f"no network of family={family!r}{where} has a prefix length between "
            f"{low if min_prefix is not None else 0} and {high if max_prefix is not None else 'its maximum'}"
        )
    return st.one_of(*choices)


def _networks(universe: Network, low: int, high: int) -> st.SearchStrategy[Network]:
    pool = [universe] if universe.prefixlen >= low else []
    pool += [
        n
        for n in (ipaddress.ip_network(text) for text in NETWORK_POOL[universe.version])
        if n != universe and low <= n.prefixlen <= high and n.subnet_of(universe)  # type: ignore[arg-type]
    ]

    prefixes, anywhere = st.integers(low, high), st.ip_addresses(network=universe)

    @st.composite
    def general(draw: st.DrawFn) -> Network:
        prefix = draw(prefixes)
        address = draw(anywhere)
        return ipaddress.ip_network((address, prefix), strict=False)

    return st.one_of(st.sampled_from(pool), general()) if pool else general()


def port_ranges(*, min_port: int = 1, max_port: int = 65535) -> st.SearchStrategy[PortRange]:
    """Ranges of ports ``low``-``high`` with ``min_port <= low <= high <= max_port``.

    Shrinks to a well-known single port such as 80, or to ``min_port`` alone.
    """
    low, high = check.bounds(min_port, max_port, "min_port", "max_port", 0, 65535)
    pool = [PortRange(p, p) for p in PORT_POOL if low <= p <= high]
    pool += [PortRange(a, b) for a, b in RANGE_POOL if low <= a and b <= high]

    @st.composite
    def general(draw: st.DrawFn) -> PortRange:
        first = draw(st.integers(low, high))
        return PortRange(first, draw(st.integers(first, high)))

    return st.one_of(st.sampled_from(pool), general()) if pool else general()


def _versions(family: int | None, within: Network | str | None) -> tuple[int, ...]:
    versions = check.families(family)
    if within is None:
        return versions
    network = check.network(within, "within")
    if network.version not in versions:
        raise InvalidArgument(f"within={within!r} is IPv{network.version}, not family={family}")
    return (network.version,)


def _universe(version: int, within: Network | str | None) -> Network:
    return UNIVERSE[version] if within is None else check.network(within, "within")
