"""The README and docs/: every relative link and #anchor resolves, and the README stays short.

Anchors follow GitHub's rules for headings (as its github-slugger does): the
heading's text, lowercased; every character that is not a letter, a digit,
a space, a hyphen or an underscore removed (letters of any script kept);
each space a hyphen; a repeated slug gets -1, -2, ... in order. Explicit
``<a id>``/``<a name>`` anchors count too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 250

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*(?:[ \t]#+[ \t]*)?$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_INLINE_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
_HTML_ANCHOR = re.compile(r"<a\s[^>]*\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def slug(text: str) -> str:
    """GitHub's anchor for a heading's rendered text (before duplicate numbering)."""
    kept = "".join(ch for ch in text.lower() if ch in " -_" or unicodedata.category(ch)[0] in "LMN")
    return kept.replace(" ", "-")


def heading_text(markdown: str) -> str:
    """A heading's text as GitHub renders it: code spans and links reduced to their text."""
    text = _CODE_SPAN.sub(lambda m: m.group(2), markdown)
    text = _INLINE_LINK.sub(lambda m: m.group(1), text)
    return text.strip()


def prose_lines(markdown: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def anchors(markdown: str) -> set[str]:
    """Every anchor a Markdown file offers: numbered heading slugs and explicit <a id/name>."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(markdown):
        found.update(_HTML_ANCHOR.findall(line))
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(heading_text(match.group(2)))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def link_targets(markdown: str) -> list[str]:
    """The targets of inline links, images and reference definitions, outside code."""
    targets: list[str] = []
    for line in prose_lines(markdown):
        definition = _REFERENCE_DEFINITION.match(line)
        if definition:
            targets.append(definition.group(1))
            continue
        without_code = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        targets.extend(m.group(2) for m in _INLINE_LINK.finditer(without_code))
    return targets


@dataclass(frozen=True)
class BrokenLink:
    """A link that does not resolve, and why."""

    source: str
    target: str
    reason: str


def broken_links(path: Path, root: Path) -> list[BrokenLink]:
    """Every link in ``path`` that is relative and does not resolve inside ``root``."""
    source = path.relative_to(root).as_posix()
    broken: list[BrokenLink] = []
    for target in link_targets(path.read_text(encoding="utf-8")):
        if _SCHEME.match(target):
            continue  # an external URL
        if target.startswith("/"):
            broken.append(BrokenLink(source, target, "not relative"))
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(BrokenLink(source, target, "no such file"))
            continue
        if root.resolve() not in (resolved, *resolved.parents):
            broken.append(BrokenLink(source, target, "outside the repository"))
            continue
        if anchor and (
            resolved.suffix != ".md" or anchor not in anchors(resolved.read_text(encoding="utf-8"))
        ):
            broken.append(BrokenLink(source, target, "no such anchor"))
    return broken


def documents(root: Path) -> list[Path]:
    """The README and every Markdown file under docs/."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("With `azd up` (the main way)", "with-azd-up-the-main-way"),
        ("Who the user is: App Service Authentication", "who-the-user-is-app-service-authentication"),
        ("Known risks: what only Azure can show", "known-risks-what-only-azure-can-show"),
        (
            "Onto an existing function app: `func azure functionapp publish`",
            "onto-an-existing-function-app-func-azure-functionapp-publish",
        ),
        ("Microsoft's emulator or a real resource instead", "microsofts-emulator-or-a-real-resource-instead"),
        ("Node.js", "nodejs"),
        ("The `_default` hub", "the-_default-hub"),
        ("Presence: `GET /api/presence`", "presence-get-apipresence"),
        ("Café Ünïcode 3.13", "café-ünïcode-313"),
        ("Two  spaces - and a hyphen", "two--spaces---and-a-hyphen"),
        ("See [the docs](docs/README.md) first", "see-the-docs-first"),
    ],
)
def test_a_heading_gets_githubs_anchor(heading: str, expected: str) -> None:
    assert slug(heading_text(heading)) == expected


def test_a_repeated_heading_gets_numbered_anchors_in_order() -> None:
    text = "# Notes\n## Setup\ntext\n## Setup\n### Setup\n## Other\n"
    assert anchors(text) == {"notes", "setup", "setup-1", "setup-2", "other"}


def test_headings_inside_code_fences_are_not_anchors_but_html_anchors_are() -> None:
    text = '```sh\n# a comment\n```\n<a id="kept-here"></a>\n<a name="old-name"></a>\n## Real ##\n'
    assert anchors(text) == {"kept-here", "old-name", "real"}


def test_links_in_code_are_not_links_and_reference_definitions_are() -> None:
    text = "`[x](nowhere.md)` and [y](real.md#top)\n\n```\n[z](also-nowhere.md)\n```\n[ref]: other.md\n"
    assert link_targets(text) == ["real.md#top", "other.md"]


def test_the_checker_names_each_kind_of_broken_link(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.md").write_text("# A\n## Part two\n", encoding="utf-8")
    (root / "README.md").write_text(
        "# Top\n"
        "[ok](docs/a.md#part-two) [ok](#top) [ok](docs/) [web](https://example.com/x#y)\n"
        "[1](docs/b.md) [2](docs/a.md#part-three) [3](#bottom) [4](/docs/a.md) [5](../elsewhere.md)\n",
        encoding="utf-8",
    )
    (tmp_path / "elsewhere.md").write_text("# E\n", encoding="utf-8")
    assert broken_links(root / "README.md", root) == [
        BrokenLink("README.md", "docs/b.md", "no such file"),
        BrokenLink("README.md", "docs/a.md#part-three", "no such anchor"),
        BrokenLink("README.md", "#bottom", "no such anchor"),
        BrokenLink("README.md", "/docs/a.md", "not relative"),
        BrokenLink("README.md", "../elsewhere.md", "outside the repository"),
    ]


def test_every_relative_link_and_anchor_in_the_readme_and_docs_resolves() -> None:
    docs = documents(ROOT)
    assert len(docs) >= 6, [d.name for d in docs]
    assert [broken for path in docs for broken in broken_links(path, ROOT)] == []


def test_the_readme_links_to_every_doc_and_the_docs_index_lists_them_all() -> None:
    readme = link_targets((ROOT / "README.md").read_text(encoding="utf-8"))
    index = link_targets((ROOT / "docs" / "README.md").read_text(encoding="utf-8"))
    for doc in sorted((ROOT / "docs").glob("*.md")):
        if doc.name != "README.md":
            assert f"docs/{doc.name}" in readme, doc.name
            assert doc.name in index, doc.name


def test_each_doc_says_first_who_it_is_for() -> None:
    for doc in sorted((ROOT / "docs").glob("*.md")):
        paragraphs = doc.read_text(encoding="utf-8").split("\n\n")
        assert paragraphs[0].startswith("# "), doc.name
        assert paragraphs[1].startswith("For "), doc.name


def test_the_readme_is_at_most_250_lines() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES
