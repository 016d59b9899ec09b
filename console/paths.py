"""Paths that are not console pages: they neither see nor touch a browser session."""

NOT_CONSOLE_PREFIXES = ("/api", "/static/", "/healthz", "/readyz", "/favicon")


def is_console_page(path: str) -> bool:
    return not path.startswith(NOT_CONSOLE_PREFIXES)
