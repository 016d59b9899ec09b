"""Static files: hashed, compressed names after `collectstatic`, plain names before it."""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

_MAX_REMEMBERED_URLS = 1024


class ConsoleStaticStorage(CompressedManifestStaticFilesStorage):
    """`make run` and deployments run collectstatic and get long-cacheable hashed URLs. A
    server started without it (a test's gunicorn, a first checkout) links the plain names,
    which WhiteNoise serves from static/ through the finders, instead of failing the page."""

    manifest_strict = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._remembered_urls: dict[str, str] = {}

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            return name

    def url(self, name: str | None, force: bool = False) -> str:
        """The URL of a static file, worked out once per name: the manifest is read when
        the process starts and does not change under it, and every page links the same
        few files (Django's own lookup was most of a ``static()`` call)."""
        if force or settings.DEBUG or name is None:
            return super().url(name, force)
        found = self._remembered_urls.get(name)
        if found is None:
            found = super().url(name)
            if len(self._remembered_urls) < _MAX_REMEMBERED_URLS:
                self._remembered_urls[name] = found
        return found
