from django import forms

from .models import normalize_email


class SignInEmailForm(forms.Form):
    email = forms.EmailField(
        label="Root user email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def clean_email(self) -> str:
        # Where the email enters: from here on, sign-in, the throttle and the event history
        # see one spelling of it, whatever case and spaces were typed.
        return normalize_email(self.cleaned_data["email"])


class SignInPasswordForm(forms.Form):
    password = forms.CharField(
        label="Password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class RootCredentialsWarningForm(forms.Form):
    IAM_USERS = "iam-users"  # Get Started with IAM Users; Continue sends no go_to

    dont_show_again = forms.BooleanField(label="Don't show me this message again", required=False)
    go_to = forms.ChoiceField(choices=[(IAM_USERS, IAM_USERS)], required=False)
