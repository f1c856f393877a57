"""The built documentation site asks no other host for anything.

``python -m tests.docs_check SITE_DIR`` reads every page, stylesheet and
script reference of a built site (``make docs``) and fails, naming file and
address, if anything would be loaded from another host: a script, style
sheet, font, image, frame or icon, a CSS ``url()`` or ``@import``. Links a
reader may follow (``<a href>``) are not requests and are allowed.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

# Attributes through which a browser loads something by itself.
_LOADING_ATTRIBUTES = {"src", "srcset", "data", "poster", "background", "formaction"}
# <link> loads its href (style sheets, icons, fonts, preloads); <a> does not.
_LOADING_HREF_TAGS = {"link", "image", "use"}
_CSS_REFERENCE = re.compile(r"""(?:url\(\s*|@import\s+)['"]?([^'")\s;]+)""", re.IGNORECASE)


def _is_remote(address: str) -> bool:
    address = address.strip().lower()
    return address.startswith(("http:", "https:", "//", "ftp:", "ws:", "wss:"))


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loaded: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in _LOADING_ATTRIBUTES:
                # srcset lists "address width" pairs separated by commas.
                self.loaded.extend(part.split()[0] for part in value.split(",") if part.strip())
            elif name in ("href", "xlink:href") and tag in _LOADING_HREF_TAGS:
                self.loaded.append(value)
            elif name == "style":
                self.loaded.extend(_CSS_REFERENCE.findall(value))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.loaded.extend(_CSS_REFERENCE.findall(data))


def third_party_references(site: Path) -> list[str]:
    """``file: address`` for every reference in ``site`` that loads from another host."""
    found: list[str] = []
    for path in sorted(site.rglob("*")):
        if path.suffix in (".html", ".htm"):
            parser = _References()
            parser.feed(path.read_text(encoding="utf-8"))
            loaded = parser.loaded
        elif path.suffix == ".css":
            loaded = _CSS_REFERENCE.findall(path.read_text(encoding="utf-8"))
        else:
            continue
        found.extend(
            f"{path.relative_to(site)}: {address}" for address in loaded if _is_remote(address)
        )
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.docs_check SITE_DIR", file=sys.stderr)
        return 2
    site = Path(argv[0])
    if not (site / "index.html").is_file():
        print(f"{site}: no built site here (run mkdocs build first)", file=sys.stderr)
        return 2
    found = third_party_references(site)
    for line in found:
        print(f"third-party request: {line}", file=sys.stderr)
    if found:
        return 1
    pages = len(list(site.rglob("*.html")))
    print(f"{site}: {pages} pages, no request to another host")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
