"""The documentation site: it builds strictly, links cannot rot, and no page
asks another host for anything (``make docs`` runs the same two steps)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.docs_check import third_party_references

ROOT = Path(__file__).resolve().parent.parent


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own build tool, from this virtualenv
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_documentation_builds_strictly_and_asks_no_other_host(tmp_path):
    built = _build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert built.returncode == 0, built.stderr
    pages = {path.name for path in (tmp_path / "site").glob("*.html")}
    assert {"index.html", "operating.html", "architecture-notes.html"} <= pages
    assert third_party_references(tmp_path / "site") == []


def test_a_broken_link_fails_the_build(tmp_path):
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    with (tmp_path / "docs" / "operating.md").open("a") as page:
        page.write("\nSee [the gone page](no-such-page.md) and [a gone part](cases.md#no-such).\n")
    built = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert built.returncode != 0
    assert "link 'no-such-page.md'" in built.stderr
    assert "does not contain an anchor '#no-such'" in built.stderr


def test_the_check_finds_what_a_default_theme_would_load(tmp_path):
    (tmp_path / "index.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Lato">'
        '<script src="//cdnjs.cloudflare.com/ajax/libs/highlight.js/highlight.min.js"></script>'
        '<img srcset="img/a.png 1x, https://images.example/b.png 2x">'
        '<div style="background: url(https://tracker.example/pixel.gif)"></div>'
        '<a href="https://www.mkdocs.org/">made with MkDocs</a>'
        '<script src="js/base.js"></script>'
    )
    (tmp_path / "base.css").write_text(
        '@import "https://fonts.example/font.css";\nbody { background: url(img/local.png); }'
    )
    assert third_party_references(tmp_path) == [
        "base.css: https://fonts.example/font.css",
        "index.html: https://fonts.googleapis.com/css?family=Lato",
        "index.html: //cdnjs.cloudflare.com/ajax/libs/highlight.js/highlight.min.js",
        "index.html: https://images.example/b.png",
        "index.html: https://tracker.example/pixel.gif",
    ]
