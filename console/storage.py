"""Static files: hashed, compressed names after `collectstatic`, plain names before it."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ConsoleStaticStorage(CompressedManifestStaticFilesStorage):
    """`make run` and deployments run collectstatic and get long-cacheable hashed URLs. A
    server started without it (a test's gunicorn, a first checkout) links the plain names,
    which WhiteNoise serves from static/ through the finders, instead of failing the page."""

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            return name
