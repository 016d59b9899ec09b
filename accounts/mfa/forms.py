from django import forms

from ..models import MFADevice
from .services import name_problem


class AssignMFADeviceForm(forms.Form):
    name = forms.CharField(
        label="Device name",
        max_length=200,
        strip=True,
        help_text="Up to 64 characters: letters, numbers and + = , . @ - _",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    kind = forms.ChoiceField(
        label="MFA device",
        choices=MFADevice.Kind.choices,
        widget=forms.RadioSelect,
        initial=MFADevice.Kind.TOTP,
    )

    def __init__(self, *args: object, passkeys_available: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.passkeys_available = passkeys_available

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        problem = name_problem(name)
        if problem:
            raise forms.ValidationError(problem)
        return name

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        if kind == MFADevice.Kind.PASSKEY and not self.passkeys_available:
            from .passkeys import UNAVAILABLE_BY_IP

            raise forms.ValidationError(UNAVAILABLE_BY_IP)
        return kind


def _code_field(label: str, autofocus: bool = False) -> forms.CharField:
    attrs = {"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"}
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(label=label, max_length=20, widget=forms.TextInput(attrs=attrs))


class AuthenticatorAppCodesForm(forms.Form):
    code_1 = _code_field("MFA code 1")
    code_2 = _code_field("MFA code 2")


class SignInMFACodeForm(forms.Form):
    code = _code_field("MFA code", autofocus=True)
