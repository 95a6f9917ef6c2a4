"""Import, security-group policies: one policy in the Tencent Cloud API's shape -> scenario rules.

A policy (the API's ``SecurityGroupPolicy``: ``Protocol``, ``Port``, ``CidrBlock``,
``Ipv6CidrBlock``, ``SecurityGroupId``, ``AddressTemplate``, ``ServiceTemplate``, ``Action``,
``PolicyDescription``) becomes one or more rule entries of a scenario file: seed-notation text,
or a structured mapping where the policy has a description. A policy that names an address or
service template becomes one rule per member (per CIDR, where a member is an address range),
all with the policy's action, in the template's order: under first match a run of rules with
one action decides exactly the packets the one policy decides (docs/semantics.md §1.3).

Both importers use ``convert``: the API importer (``tencent``) on the API's JSON, the Terraform
importer on resources mapped onto the API's field names (``tencent.export_policies`` is the way
back).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any, NoReturn

from ..errors import RuleError, did_you_mean
from ..model import Action, Network, PortRange, Protocol
from ..rules import parse_ports
from ..scenario_base import NAME
from ..yamlnodes import LocatedDict, Reader
from .draft import Draft

Service = tuple[Protocol, tuple[PortRange, ...]]


@dataclass(frozen=True, slots=True)
class Templates:
    """Parameter templates and template groups by ID, with their members as the API lists them.

    ``addresses``: an address template (``ipm-``) -> its members (``10.0.0.0/24``,
    ``10.0.0.1``, ``10.0.0.1-10.0.0.9`` and the IPv6 forms). ``services``: a service template
    (``ppm-``) -> its members (``tcp:80``, ``udp:53,5353``, ``tcp:8000-8100``, ``icmp``,
    ``ALL``...). A template group (``ipmg-``, ``ppmg-``) is either given in ``address_groups`` /
    ``service_groups`` as the IDs of its member templates, which are then looked up here, or
    already expanded in ``addresses`` / ``services`` under the group's ID.
    """

    addresses: Mapping[str, Sequence[str]] = default(default_factory=dict)
    services: Mapping[str, Sequence[str]] = default(default_factory=dict)
    address_groups: Mapping[str, Sequence[str]] = default(default_factory=dict)
    service_groups: Mapping[str, Sequence[str]] = default(default_factory=dict)


class NotModelled(RuleError):
    """A valid value that sgsim cannot represent (a protocol it does not know, an ICMP type)."""


#: Keys of a policy that carry no meaning for a verdict, and are not read.
IGNORED = frozenset({"PolicyIndex", "ModifyTime"})
#: Keys of a policy that are read.
READ = (
    "Protocol", "Port", "CidrBlock", "Ipv6CidrBlock", "SecurityGroupId", "AddressTemplate",
    "ServiceTemplate", "Action", "PolicyDescription",
)  # fmt: skip
_PROTOCOLS = {p.value.lower(): p for p in Protocol}


def convert(
    policy: Mapping[str, Any],
    *,
    reader: Reader,
    field: str,
    line: int,
    templates: Templates,
    draft: Draft,
) -> list[tuple[Any, str]]:
    """The rule entries for one policy given with the API's field names, each with a note.

    An entry is seed-notation text (``10.0.0.0/8 + TCP:80,443 accept``), or a structured
    mapping where the policy has a description. Its note says what of the policy it stands for
    beyond the policy itself (the template member it came from, a CIDR read with its host bits
    cleared), or is empty; the caller puts where the policy was read in front of it.

    A template is expanded into consecutive rules with the policy's action, address members
    outermost; a template with no members gives no rules. An unknown template ID, a missing
    or doubled peer, a malformed value: a ``ScenarioError`` at ``FIELD.KEY`` (``field`` is the
    policy's path, ``line`` its line, or each key's own line where ``policy`` is a
    ``LocatedDict``). What is valid but cannot be represented goes to ``draft.unsupported``;
    when that returns (the user asked to skip), the policy, or the template member, is left out.
    """
    at = _At(policy, reader, field, line, draft)
    at.unknown_keys()
    action = at.action()
    peers = list(at.peers(templates))
    services = at.services(templates)
    description = at.text("PolicyDescription")
    entries: list[tuple[Any, str]] = []
    for peer, peer_note in peers:
        for service, service_note in services:
            note = "; ".join(n for n in (peer_note, service_note) if n)
            entries.append((entry(peer, service, action, description), note))
    return entries


def entry(peer: str, service: Service, action: Action, description: str | None = None) -> Any:
    """A rule as a scenario file writes it: seed notation, or structured with a description."""
    protocol, ports = service
    if not description:
        verb = "accept" if action is Action.ACCEPT else "drop"
        return f"{peer} + {service_text(service)} {verb}"
    rule: dict[str, Any] = {"peer": peer, "protocol": str(protocol)}
    if protocol.has_ports and ports != (PortRange.all(),):
        rule["port"] = ",".join(str(r) for r in ports)
    rule["action"] = str(action)
    rule["description"] = description
    return rule


def service_text(service: Service) -> str:
    """The PORTS part of the seed notation, always with its protocol: ``TCP:80,443``, ``ICMP``,
    ``UDP:ALL``, ``ALL``."""
    protocol, ports = service
    if protocol is Protocol.ALL:
        return "ALL"
    if not protocol.has_ports:
        return str(protocol)
    return f"{protocol}:{','.join(str(r) for r in ports)}"


# -- members of templates --------------------------------------------------------------------
def address_member(member: str) -> tuple[tuple[str, ...], str]:
    """The peers an address-template member (or a ``CidrBlock``) stands for, and a note where
    they are not the member as written.

    An address or a CIDR is kept as written; a range ``A-B`` becomes the fewest CIDRs that
    cover exactly it, and a CIDR with host bits set its network. Raises ``RuleError`` for
    anything else.
    """
    text = member.strip()
    if "-" in text:
        networks = _address_range(member, *text.split("-", 1))
        return tuple(str(n) for n in networks), ""
    try:
        ipaddress.ip_network(text)
    except ValueError:
        pass
    else:
        return (text,), ""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise RuleError(f"'{member}' is not an address, a CIDR or an address range") from None
    return (str(network),), f"{text} has host bits set; read as {network}"


def _address_range(member: str, low_text: str, high_text: str) -> tuple[Network, ...]:
    """``A-B`` as the fewest CIDRs that cover exactly it."""
    try:
        low = ipaddress.ip_address(low_text.strip())
        high = ipaddress.ip_address(high_text.strip())
    except ValueError:
        raise RuleError(f"'{member}' is not an address, a CIDR or an address range") from None
    networks: tuple[Network, ...]
    if isinstance(low, ipaddress.IPv4Address) and isinstance(high, ipaddress.IPv4Address):  # noqa: SIM114 (by version)
        networks = () if high < low else tuple(ipaddress.summarize_address_range(low, high))
    elif isinstance(low, ipaddress.IPv6Address) and isinstance(high, ipaddress.IPv6Address):
        networks = () if high < low else tuple(ipaddress.summarize_address_range(low, high))
    else:
        raise RuleError(f"the range '{member}' mixes IPv4 and IPv6")
    if not networks:
        raise RuleError(f"the range '{member}' is reversed")
    return networks


def service_member(member: str) -> Service:
    """The protocol and ports of a service-template member: ``tcp:80``, ``udp:53,5353``,
    ``tcp:8000-8100``, ``tcp:all``, ``icmp``, ``gre``, ``ALL``.

    Raises ``NotModelled`` for a protocol sgsim does not know or an ICMP type, ``RuleError``
    for anything else that is malformed.
    """
    name, colon, ports = member.strip().partition(":")
    protocol = _protocol(name)
    if not colon:
        return protocol, (PortRange.all(),)
    return protocol, _ports(protocol, ports)


def _protocol(text: str) -> Protocol:
    protocol = _PROTOCOLS.get(text.strip().lower())
    if protocol is None:
        if not text.strip():
            raise RuleError("no protocol")
        raise NotModelled(f"protocol '{text.strip()}' is not modelled")
    return protocol


def _ports(protocol: Protocol, text: str) -> tuple[PortRange, ...]:
    """Ports as the API writes them (``80``, ``80,443``, ``8000-8100``, ``ALL``, empty)."""
    text = text.strip()
    if not text or text.lower() == "all":
        return (PortRange.all(),)
    if not protocol.has_ports:
        if protocol is Protocol.ALL:
            raise RuleError(f"protocol ALL takes port ALL, not '{text}'")
        raise NotModelled(
            f"port '{text}' with protocol {protocol} (a type or code) is not modelled"
        )
    return parse_ports(text)


# -- reading one policy ----------------------------------------------------------------------
class _At:
    """One policy being read, and where its keys were written."""

    def __init__(
        self, policy: Mapping[str, Any], reader: Reader, field: str, line: int, draft: Draft
    ) -> None:
        self.policy = policy
        self.reader = reader
        self.field = field
        self.line = line
        self.draft = draft

    def where(self, key: str, inside: str | None = None) -> tuple[str, int]:
        """The path and line of ``key``, in the policy or in its mapping ``inside``."""
        mapping = self.policy if inside is None else self.policy[inside]
        line = self.line
        if isinstance(mapping, LocatedDict):
            line = mapping.key_lines.get(key, mapping.line)
        elif inside is not None and isinstance(self.policy, LocatedDict):
            line = self.policy.key_lines.get(inside, self.line)
        parent = self.field if inside is None else f"{self.field}.{inside}"
        return f"{parent}.{key}", line

    def fail(self, key: str, message: str, inside: str | None = None) -> NoReturn:
        path, line = self.where(key, inside)
        self.reader.fail(line, path, message)

    def unsupported(self, key: str, why: str, inside: str | None = None) -> None:
        path, line = self.where(key, inside)
        self.draft.unsupported(self.reader.file, line, path, why)

    def unknown_keys(self) -> None:
        """A key the API may add later, with a value: not read, so not silently ignored."""
        for key, value in self.policy.items():
            if key not in READ and key not in IGNORED and value not in (None, "", [], {}):
                self.unsupported(key, f"'{key}' is not a field sgsim reads")

    def text(self, key: str, inside: str | None = None) -> str | None:
        """A text field; missing, null or empty is None. A number is taken as its digits."""
        raw = (self.policy if inside is None else self.policy[inside]).get(key)
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            self.fail(key, f"expected text, got {type(raw).__name__} {raw!r}", inside)
        return str(raw).strip() or None

    def action(self) -> Action:
        text = self.text("Action")
        if text is None:
            self.fail("Action", "required: ACCEPT or DROP")
        if text.upper() not in ("ACCEPT", "DROP"):
            self.fail(
                "Action",
                f"'{text}' is not ACCEPT or DROP" + did_you_mean(text.upper(), ("ACCEPT", "DROP")),
            )
        return Action(text.upper())

    # -- the peer ----------------------------------------------------------------------------
    def peers(self, templates: Templates) -> Iterator[tuple[str, str]]:
        """Each peer text with its note: one, or one per CIDR of an address template."""
        given = [k for k in ("CidrBlock", "Ipv6CidrBlock", "SecurityGroupId") if self.text(k)]
        template = self.template("AddressTemplate", ("AddressId", "AddressGroupId"))
        if template is not None:
            given.append("AddressTemplate")
        if not given:
            self.fail(
                "CidrBlock",
                "the policy has no peer: one of CidrBlock, Ipv6CidrBlock, SecurityGroupId or "
                "AddressTemplate is required",
            )
        if len(given) > 1:
            self.fail(given[1], f"the policy has two peers, {given[0]} and {given[1]}; "
                            "a policy has exactly one")  # fmt: skip
        key = given[0]
        if template is not None:
            yield from self.address_template(template, templates)
        elif key == "SecurityGroupId":
            yield self.group(), ""
        else:
            yield self.cidr(key)

    def cidr(self, key: str) -> tuple[str, str]:
        text = str(self.text(key))
        if "-" in text:
            self.fail(key, f"'{text}' is not an address or a CIDR")
        try:
            peers, note = address_member(text)
        except RuleError as error:
            self.fail(key, str(error))
        return peers[0], note

    def group(self) -> str:
        sg = str(self.text("SecurityGroupId"))
        if not NAME.fullmatch(sg):
            self.fail("SecurityGroupId", f"'{sg}' is not a security group ID")
        return sg

    def template(self, key: str, kinds: tuple[str, str]) -> tuple[str, str] | None:
        """``(kind, ID)`` of a template field: an ID or a group ID, not both; None if unset."""
        value = self.policy.get(key)
        if value in (None, "", {}):
            return None
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a mapping with {kinds[0]} or {kinds[1]}")
        given = [(kind, self.text(kind, key)) for kind in kinds]
        set_ = [(kind, text) for kind, text in given if text]
        if len(set_) > 1:
            self.fail(kinds[1], f"both {kinds[0]} and {kinds[1]} are given; a policy "
                      "names one template or one template group", key)  # fmt: skip
        return (set_[0][0], str(set_[0][1])) if set_ else None

    def members(
        self,
        key: str,
        kind_id: tuple[str, str],
        flat: Mapping[str, Sequence[str]],
        groups: Mapping[str, Sequence[str]],
    ) -> Iterator[tuple[str, str]]:
        """``(member, where)`` of a template or template group, in order."""
        kind, tid = kind_id
        what = key.removesuffix("Template").lower()
        label = f"{what} template"
        if kind.endswith("GroupId") and tid in groups:
            for member_id in groups[tid]:
                if member_id not in flat:
                    self.fail(kind, f"{what} template group {tid} holds template "
                              f"{member_id}, which is not in the input", key)  # fmt: skip
                for member in flat[member_id]:
                    yield member, f"{label} {tid} > {member_id}: {member}"
            return
        if tid not in flat:
            known = _same_kind(tid, {*flat, *groups})
            self.fail(
                kind,
                f"unknown {what} template {'group ' if kind.endswith('GroupId') else ''}{tid}"
                + did_you_mean(tid, known)
                + f"; the input has: {', '.join(known) or 'none'}",
                key,
            )
        for member in flat[tid]:
            yield member, f"{label} {tid}: {member}"

    def address_template(
        self, kind_id: tuple[str, str], templates: Templates
    ) -> Iterator[tuple[str, str]]:
        for member, where in self.members(
            "AddressTemplate", kind_id, templates.addresses, templates.address_groups
        ):
            try:
                peers, note = address_member(member)
            except RuleError as error:
                self.unsupported(kind_id[0], f"{where}: {error}", "AddressTemplate")
                continue
            for number, peer in enumerate(peers, 1):
                part = f" (CIDR {number} of {len(peers)})" if len(peers) > 1 else ""
                yield peer, where + part + (f" ({note})" if note else "")

    # -- the service -------------------------------------------------------------------------
    def services(self, templates: Templates) -> list[tuple[Service, str]]:
        """Each protocol and ports with its note: one, or one per service-template member."""
        template = self.template("ServiceTemplate", ("ServiceId", "ServiceGroupId"))
        protocol = self.text("Protocol")
        if template is not None:
            if protocol is not None or self.text("Port") is not None:
                self.fail("Protocol", "a policy gives Protocol and Port, or a "
                          "ServiceTemplate, not both")  # fmt: skip
            return list(self.service_template(template, templates))
        if protocol is None:
            self.fail("Protocol", "required, unless the policy has a ServiceTemplate")
        try:
            parsed = _protocol(protocol)
        except NotModelled as error:
            self.unsupported("Protocol", str(error))
            return []
        try:
            ports = _ports(parsed, self.text("Port") or "")
        except NotModelled as error:
            self.unsupported("Port", str(error))
            return []
        except RuleError as error:
            self.fail("Port", str(error))
        return [((parsed, ports), "")]

    def service_template(
        self, kind_id: tuple[str, str], templates: Templates
    ) -> Iterator[tuple[Service, str]]:
        for member, where in self.members(
            "ServiceTemplate", kind_id, templates.services, templates.service_groups
        ):
            try:
                yield service_member(member), where
            except NotModelled as error:
                self.unsupported(kind_id[0], f"{where}: {error}", "ServiceTemplate")
            except RuleError as error:
                self.fail(kind_id[0], f"{where}: {error}", "ServiceTemplate")


def _same_kind(tid: str, ids: set[str]) -> list[str]:
    """The IDs with the prefix of ``tid`` (``ipm-``, ``ipmg-``...), or all where none has."""
    prefix = tid.partition("-")[0]
    return sorted(i for i in ids if i.partition("-")[0] == prefix) or sorted(ids)


__all__ = [
    "IGNORED",
    "READ",
    "NotModelled",
    "Service",
    "Templates",
    "address_member",
    "convert",
    "entry",
    "service_member",
    "service_text",
]
