"""How the tests and `make screenshots` launch Debian's Chromium (Playwright may not download
one here). Without the background-networking flags it keeps dialling out on this closed
network; as root it needs --no-sandbox."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
