"""The credentials page's read of the root user's MFA devices, compiled once
(console/compiled.py), as keys/lookup.py reads its access keys: the page lists them on every
load."""

from console.compiled import CompiledSelect, Quote, in_model_order

from ..models import MFADevice, RootUser


def _owner_devices_sql(quote: Quote, tables: list[str]) -> str:
    (devices,) = tables
    owner = quote(MFADevice._meta.get_field("owner").column)
    return f"WHERE {devices}.{owner} = %s " + in_model_order(quote, MFADevice, devices)


_OWNER_DEVICES = CompiledSelect([MFADevice], _owner_devices_sql)


def devices_of(owner: RootUser) -> list[MFADevice]:
    """``MFADevice.objects.for_owner(owner)`` in the model's order, each with its owner set
    (serial numbers read the account ID)."""
    devices = [device for (device,) in _OWNER_DEVICES.rows([owner.pk])]
    for device in devices:
        device.owner = owner
    return devices
