from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "keys"
    verbose_name = "Access keys"

    def ready(self) -> None:
        from .crypto import check_encryption_keys  # noqa: PLC0415 - once the apps are loaded

        # A malformed key refuses the start, as a missing one does in production: found later,
        # it would be a 500 on every signed request.
        check_encryption_keys()
