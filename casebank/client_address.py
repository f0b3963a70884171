"""Who a request comes from, as login throttling and rate limits count it.

A client is an IPv4 address, or the /64 network of an IPv6 one: a subscriber gets a whole /64,
so counting single IPv6 addresses would let one attacker be millions of clients. Behind
proxies, request.remote_addr is the forwarded address only when CASEBANK_PROXY_COUNT says so.
"""

import ipaddress

from flask import has_request_context, request


def client_of(address):
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def current_client():
    """The client of the current request ("cli" outside one: commands have no address)."""
    return client_of(request.remote_addr) if has_request_context() else "cli"
