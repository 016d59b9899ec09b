"""The Password and MFA sections of Your Security Credentials: what keys/views.py's page
shows beside the access keys."""

from django.http import HttpRequest

from .mfa import serial_number
from .mfa.lookup import devices_of
from .mfa.services import MFA_DEVICE_LIMIT, MFADeviceLimitExceeded
from .password import password_fields

MFA_LIMIT_MESSAGE = str(MFADeviceLimitExceeded())


def security_credentials_sections(request: HttpRequest) -> dict[str, object]:
    """What the Password and MFA sections of Your Security Credentials show; a view that
    answers one of them overrides its part (a form with errors, a device to remove)."""
    devices = devices_of(request.user)
    return {
        "password_fields": password_fields(),
        "mfa_serial": serial_number,
        "mfa_devices": devices,
        "mfa_device_limit": MFA_DEVICE_LIMIT,
        "at_mfa_limit": len(devices) >= MFA_DEVICE_LIMIT,
        "mfa_limit_message": MFA_LIMIT_MESSAGE,
        "removing_device": None,
        "open_section": request.GET.get("expanded"),
    }
