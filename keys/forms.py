from django import forms


class DeleteAccessKeyForm(forms.Form):
    confirmation = forms.CharField(
        label="To confirm deletion, enter the access key ID in the text input field.",
        max_length=128,
        # Django's "This field is required." would not say what to type.
        error_messages={"required": "Type the access key ID shown above to confirm deletion."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: object, access_key_id: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.access_key_id = access_key_id

    def clean_confirmation(self) -> str:
        typed = self.cleaned_data["confirmation"].strip()
        if typed != self.access_key_id:
            raise forms.ValidationError(
                "The access key ID you entered does not match. Type it exactly as shown above."
            )
        return typed
