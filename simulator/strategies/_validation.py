"""Argument checks shared by the strategies: each mistake is an ``InvalidArgument`` that says
which argument is wrong and what it should be, raised when the strategy is built."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..model import Network

T = TypeVar("T")
#: What a ``within`` or ``peers`` argument may hold: a network, or its text.
NetworkLike = Network | str


def families(family: object, name: str = "family") -> tuple[int, ...]:
    """The address families a ``family`` argument allows: 4, 6, or both for None."""
    if family is None:
        return (4, 6)
    if isinstance(family, bool) or family not in (4, 6):
        raise InvalidArgument(f"{name}={family!r} must be 4, 6 or None (either)")
    return (4,) if family == 4 else (6,)


def integer(value: object, name: str, low: int, high: int) -> int:
    """An int argument within ``low``..``high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an int")
    if not low <= value <= high:
        raise InvalidArgument(f"{name}={value} must be between {low} and {high}")
    return value


def bounds(
    low: object, high: object, low_name: str, high_name: str, floor: int, ceiling: int
) -> tuple[int, int]:
    """Two int arguments within ``floor``..``ceiling``, the first at most the second."""
    lo = integer(low, low_name, floor, ceiling)
    hi = integer(high, high_name, floor, ceiling)
    if lo > hi:
        raise InvalidArgument(f"{low_name}={lo} must be at most {high_name}={hi}")
    return lo, hi


def flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be True or False")
    return value


def network(value: object, name: str) -> Network:
    """A network argument, given as an ``ipaddress`` network or as text such as '10.0.0.0/8'."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if not isinstance(value, str):
        raise InvalidArgument(f"{name}={value!r} must be a network such as '10.0.0.0/8'")
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise InvalidArgument(f"{name}={value!r} is not a network: {error}") from None


def strategy(value: object, name: str) -> st.SearchStrategy[object]:
    if not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(f"{name}={value!r} must be a hypothesis strategy")
    return value


def non_empty(values: Iterable[T], name: str) -> list[T]:
    """A collection argument as a list without repeats, in its own order; never empty."""
    if isinstance(values, str | bytes):
        raise InvalidArgument(f"{name}={values!r} must be a collection, not one text")
    try:
        items = list(dict.fromkeys(values))
    except TypeError:
        raise InvalidArgument(f"{name}={values!r} must be a collection") from None
    if not items:
        raise InvalidArgument(f"{name} must not be empty: there would be nothing to draw")
    return items
