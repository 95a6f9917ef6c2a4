"""A realistic rule set for the benchmarks: groups of rules over a few networks and services."""

from __future__ import annotations

import ipaddress
import random

PORTS = ["22", "80", "443", "8080", "3306", "6379", "8000-8100", "80,443", "ALL", "53"]
PROTOCOLS = ["TCP", "TCP", "TCP", "UDP", "ICMP", "ALL"]


def rule_texts(seed: int, count: int) -> list[str]:
    """``count`` rules in the seed notation, mostly accepts, some drops, IPv4 and IPv6."""
    rng = random.Random(seed)
    rules = []
    for _ in range(count):
        if rng.random() < 0.15:
            base = ipaddress.ip_network("2001:db8::/32")
            prefix = rng.choice([48, 56, 64, 128])
            net = ipaddress.ip_network(
                (
                    int(base.network_address)
                    + (
                        rng.getrandbits(96) << 0
                        if prefix == 128
                        else rng.getrandbits(prefix - 32) << (128 - prefix)
                    ),
                    prefix,
                )
            )
        else:
            network = ipaddress.ip_network(
                rng.choice(
                    [
                        "10.0.0.0/8",
                        "172.16.0.0/12",
                        "203.0.113.0/24",
                        "198.51.100.0/24",
                        "0.0.0.0/0",
                    ]
                )
            )
            prefix = rng.choice([network.prefixlen, 16, 20, 24, 28, 32])
            prefix = max(prefix, network.prefixlen)
            offset = (
                rng.getrandbits(prefix - network.prefixlen) << (32 - prefix)
                if prefix > network.prefixlen
                else 0
            )
            net = ipaddress.ip_network((int(network.network_address) + offset, prefix))
        protocol = rng.choice(PROTOCOLS)
        if protocol in ("ICMP", "ALL"):
            service = "ICMPv6" if protocol == "ICMP" and net.version == 6 else protocol
        else:
            service = f"{protocol}:{rng.choice(PORTS)}"
        action = "drop" if rng.random() < 0.2 else "allow"
        rules.append(f"{net} + {service} {action}")
    return rules


def scenario_text(seed: int = 7, groups: int = 5, rules: int = 512) -> str:
    """A scenario with ``groups`` groups of ``rules`` inbound rules, all bound to one instance."""
    lines = [
        "title: benchmark",
        "instances:",
        f"  web: {{ip: 10.9.9.9, security_groups: [{', '.join(f'g{i}' for i in range(groups))}]}}",
        "security_groups:",
    ]
    for i in range(groups):
        lines.append(f"  g{i}:")
        lines.append("    inbound:")
        lines += [f"      - '{text}'" for text in rule_texts(seed + i, rules)]
    return "\n".join(lines) + "\n"
