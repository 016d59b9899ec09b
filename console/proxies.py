"""Which peers are the deployment's own proxies (DJANGO_TRUSTED_PROXIES): only what they add
to a request (the client's address, a request ID) is believed."""

import ipaddress
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@cache
def _trusted_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXIES)


@receiver(setting_changed)
def _forget_networks(*, setting: str, **kwargs: object) -> None:
    if setting == "TRUSTED_PROXIES":
        _trusted_networks.cache_clear()


def is_trusted_proxy(address: str) -> bool:
    networks = _trusted_networks()
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
