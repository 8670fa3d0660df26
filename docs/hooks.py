"""MkDocs hooks (mkdocs.yml `hooks:`): the site is built from the same Markdown a reader sees on
the repository, with no copy to keep in step.

- README.md, ARCHITECTURE.md and specs/README.md become the pages `index.md`,
  `architecture.md` and `specs.md`;
- a link that leaves docs/ (to a spec, a script, a workflow file) points at a copy of that
  file under `repo/` in the site; a link between pages is rewritten to the page it names;
- a nav entry whose page does not exist yet is left out (the pages other branches bring);
- the generated references (docs/lint.md's rule table, docs/diff-rules.md) must be the ones
  the code writes today, or the build fails.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from contracts.diff.reference import rule_reference
from contracts.lint_reference import with_rule_table

ROOT = Path(__file__).resolve().parent.parent
# site page -> the repository file it is built from
PAGES_FROM_REPO = {
    "index.md": "README.md",
    "architecture.md": "ARCHITECTURE.md",
    "specs.md": "specs/README.md",
}
_REPO_FILES = "repo"
_LINK = re.compile(r"(\]\()([^)\s]+)(\))")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
log = logging.getLogger("mkdocs.hooks.flowcontract")


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    config.nav = _existing(config.nav or [], Path(config.docs_dir))
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    stale = []
    lint_page = (ROOT / "docs" / "lint.md").read_text()
    if with_rule_table(lint_page) != lint_page:
        stale.append("docs/lint.md (python -m contracts.lint_reference docs/lint.md)")
    if (ROOT / "docs" / "diff-rules.md").read_text() != rule_reference():
        stale.append("docs/diff-rules.md (python -m contracts.diff.reference > docs/diff-rules.md)")
    if stale:
        raise PluginError("generated pages out of step with the code: " + "; ".join(stale))


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for page, source in PAGES_FROM_REPO.items():
        files.append(
            File.generated(
                config, page, abs_src_path=str(ROOT / source), inclusion=InclusionLevel.INCLUDED
            )
        )
    linked: set[str] = set()
    for file in files.documentation_pages():
        origin = _origin(file.src_uri)
        for target in _links((ROOT / origin).read_text()):
            resolved = _resolve(origin, target)
            if resolved is not None and _site_uri(resolved, files) is None:
                linked.add(resolved)
    for path in sorted(linked):
        if (ROOT / path).is_file():
            # included although exclude_docs leaves out docs/*.py and dotfiles are hidden
            copy = File.generated(
                config,
                f"{_REPO_FILES}/{path}",
                abs_src_path=str(ROOT / path),
                inclusion=InclusionLevel.INCLUDED,
            )
            files.append(copy)
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    here = page.file.src_uri
    origin = _origin(here)

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(2)
        resolved = _resolve(origin, target.partition("#")[0])
        if resolved is None:
            return match.group(0)
        _, hash_, anchor = target.partition("#")
        uri = _site_uri(resolved, files) or f"{_REPO_FILES}/{resolved}"
        relative = posixpath.relpath(uri, posixpath.dirname(here) or ".")
        return f"{match.group(1)}{relative}{hash_}{anchor}{match.group(3)}"

    return _outside_code(markdown, lambda text: _LINK.sub(rewrite, text))


def _existing(nav: list[Any], docs: Path) -> list[Any]:
    """The nav without the entries whose page is neither in docs/ nor built from the repo."""
    kept: list[Any] = []
    for entry in nav:
        if isinstance(entry, dict):
            [(title, value)] = entry.items()
            if isinstance(value, list):
                children = _existing(value, docs)
                if children:
                    kept.append({title: children})
            elif _page_exists(value, docs):
                kept.append(entry)
            else:
                log.info("nav: %s (%s) left out: no such page yet", title, value)
        elif _page_exists(entry, docs):
            kept.append(entry)
    return kept


def _page_exists(uri: str, docs: Path) -> bool:
    return (
        uri.startswith(("http://", "https://")) or uri in PAGES_FROM_REPO or (docs / uri).exists()
    )


def _origin(src_uri: str) -> str:
    """The repository path a site page is written in."""
    return PAGES_FROM_REPO.get(src_uri, f"docs/{src_uri}")


def _resolve(origin: str, target: str) -> str | None:
    """The repository path a relative link of `origin` names; None for a URL or an anchor."""
    path = target.partition("#")[0]
    if not path or "://" in path or path.startswith(("mailto:", "/")):
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(origin), path))


def _site_uri(repo_path: str, files: Files) -> str | None:
    """Where the site has `repo_path`: a page, or a file of docs/ (an image); None if nowhere."""
    page = _site_page(repo_path)
    if page is not None:
        return page
    in_docs = files.get_file_from_path(repo_path.removeprefix("docs/"))
    if (
        repo_path.startswith("docs/")
        and in_docs is not None
        and not in_docs.inclusion.is_excluded()
    ):
        return in_docs.src_uri
    return None


def _site_page(repo_path: str) -> str | None:
    """The site page built from `repo_path` (a folder: from its README.md), or None."""
    if (ROOT / repo_path).is_dir():
        repo_path = f"{repo_path}/README.md"
    for page, source in PAGES_FROM_REPO.items():
        if source == repo_path:
            return page
    if repo_path.startswith("docs/") and repo_path.endswith(".md"):
        return repo_path.removeprefix("docs/")
    return None


def _links(markdown: str) -> list[str]:
    found: list[str] = []

    def collect(text: str) -> str:
        found.extend(match.group(2) for match in _LINK.finditer(text))
        return text

    _outside_code(markdown, collect)
    return found


def _outside_code(markdown: str, change: Callable[[str], str]) -> str:
    """`markdown` with `change` applied to the text outside fenced blocks and code spans."""
    out: list[str] = []
    position = 0
    for fence in _FENCE.finditer(markdown):
        out.append(_outside_spans(markdown[position : fence.start()], change))
        out.append(fence.group(0))
        position = fence.end()
    out.append(_outside_spans(markdown[position:], change))
    return "".join(out)


def _outside_spans(text: str, change: Callable[[str], str]) -> str:
    out: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(change(text[position : span.start()]))
        out.append(span.group(0))
        position = span.end()
    out.append(change(text[position:]))
    return "".join(out)
