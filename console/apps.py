from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Console chrome"

    def ready(self) -> None:
        from . import settings_reads

        settings_reads.install()
