"""Where webhooks may connect (no SSRF): every address form of a private, loopback,
link-local, multicast or reserved network is refused, IPv6 forms that carry such an IPv4
address too; the transport connects to the address that was checked, never the name."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from ecrm.webhooks import destinations, transport
from ecrm.webhooks.destinations import Refused, Target


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.0.9",
        "10.0.0.1",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "192.0.2.10",
        "198.18.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "fc00::5",
        "ff02::1",
        "fec0::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::7f00:1",
        "2001:db8::1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ],
)
def test_an_address_that_is_not_public_is_refused(address: str) -> None:
    assert not destinations.is_public(ipaddress.ip_address(address))
    with pytest.raises(Refused):
        destinations.addresses(Target(address, 443, "/"))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_a_public_address_passes(address: str) -> None:
    assert destinations.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("https://Hooks.Example.com/in?x=1", "hooks.example.com", "/in?x=1"),
        ("https://hooks.example.com", "hooks.example.com", "/"),
        ("https://bücher.example/x", "xn--bcher-kva.example", "/x"),
        ("https://hooks.example.com.:443/x", "hooks.example.com", "/x"),
    ],
)
def test_a_plain_https_url_is_read_into_host_and_path(url: str, host: str, path: str) -> None:
    assert destinations.parse(url) == Target(host, 443, path)


@pytest.mark.parametrize(
    "url",
    [
        "https://a.localhost/",
        "https://db.internal/",
        "https://printer.local/",
        "https://hooks.example.com:22/",
        "https://hooks.example.com:0/",
        "https:///x",
        "https://x.example.com:99999/",
        "https://[::1/",
        "https://a\\@b.example.com/",
        "https://@hooks.example.com/",
        "HTTP://hooks.example.com/",
        "https://h\x00.com/",
        None,
        7,
        ["https://hooks.example.com/"],
    ],
)
def test_urls_webhooks_may_not_use_are_refused(url: Any) -> None:
    with pytest.raises(Refused):
        destinations.check(url)


def test_every_address_a_name_resolves_to_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(destinations, "resolve", lambda h, p: ["93.184.215.14", "10.0.0.1"])
    with pytest.raises(Refused):
        destinations.check("https://hooks.example.com/")
    monkeypatch.setattr(destinations, "resolve", lambda h, p: ["fe80::1%eth0"])
    with pytest.raises(Refused):
        destinations.check("https://hooks.example.com/")
    monkeypatch.setattr(destinations, "resolve", lambda h, p: ["93.184.215.14"])
    assert destinations.check("https://hooks.example.com/") == (
        Target("hooks.example.com", 443, "/"),
        ["93.184.215.14"],
    )


def test_the_transport_connects_to_the_checked_address_and_speaks_tls_to_the_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[Any] = []

    def connect(address: tuple[str, int], timeout: float) -> socket.socket:
        asked.append((address, timeout))
        raise ConnectionRefusedError("no network in tests")

    monkeypatch.setattr(socket, "create_connection", connect)
    target = Target("hooks.example.com", 443, "/in")
    with pytest.raises(OSError):
        transport.post(target, "93.184.215.14", {"Content-Type": "application/json"}, b"{}")
    assert asked == [(("93.184.215.14", 443), transport.TIMEOUT_SECONDS)]
