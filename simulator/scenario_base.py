"""Stage 2, scenario loading: the names and addresses a scenario defines, shared by its readers.

``ScenarioReader`` remembers every name and address defined so far, so a second definition, or a
reference to something never defined, is reported where it is written, with a "did you mean".
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from .errors import did_you_mean
from .model import (
    Address,
)
from .rules import is_address
from .yamlnodes import LocatedDict, Reader

NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


class ScenarioReader(Reader):
    """A ``Reader`` that also keeps the scenario's names and addresses."""

    def __init__(self, file: str) -> None:
        super().__init__(file)
        self.defined: dict[str, tuple[str, int]] = {}  # name -> (kind, line)
        self.addresses: dict[Address, str] = {}
        self.acl_subnets: dict[str, str] = {}

    # -- names ---------------------------------------------------------------------------
    def name(self, name: str, kind: str, field: str, line: int) -> str:
        if not NAME.fullmatch(name):
            self.fail(
                line, field, f"'{name}' is not a valid name: use letters, digits, '.', '_' or '-'"
            )
        if is_address(name):
            self.fail(line, field, f"'{name}' is not a valid name: it reads as an address")
        if name in self.defined:
            other, other_line = self.defined[name]
            self.fail(
                line, field, f"name '{name}' is already used by the {other} on line {other_line}"
            )
        self.defined[name] = (kind, line)
        return name

    def address(self, value: Any, field: str, line: int, owner: str) -> Address:
        text = self.text(value, field, line)
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            self.fail(line, field, f"'{text}' is not a valid IPv4 or IPv6 address")
        if address in self.addresses:
            self.fail(
                line, field, f"address {address} is already used by '{self.addresses[address]}'"
            )
        self.addresses[address] = owner
        return address

    def reference(self, name: str, kinds: dict[str, Any], what: str, field: str, line: int) -> str:
        if name in kinds:
            return name
        if name in self.defined:
            article = "an" if what[0] in "aeiou" else "a"
            self.fail(line, field, f"'{name}' is a {self.defined[name][0]}, not {article} {what}")
        self.fail(line, field, f"unknown {what} '{name}'" + did_you_mean(name, kinds))

    def bound_groups(
        self,
        value: Any,
        field: str,
        line: int,
        groups: dict[str, int],
        *,
        required: bool = False,
        refused: str | None = None,
    ) -> tuple[str, ...]:
        """A list of security groups in binding order, each known and bound once.

        ``refused`` names what cannot have groups at all (a kind of load balancer).
        """
        bound: list[str] = []
        for item, item_field, item_line in self.items(value, field, line, required=required):
            if refused:
                self.fail(item_line, item_field, f"{refused} cannot have security groups (§3.2)")
            group = self.reference(
                self.text(item, item_field, item_line),
                groups,
                "security group",
                item_field,
                item_line,
            )
            if group in bound:
                self.fail(item_line, item_field, f"security group '{group}' is bound twice")
            bound.append(group)
        return tuple(bound)

    def optional_text(self, data: LocatedDict, key: str) -> str | None:
        if key not in data or data[key] is None:
            return None
        return self.text(data[key], key, data.key_lines[key])
