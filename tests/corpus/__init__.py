"""The corpus: real public OpenAPI documents the mock must serve (issue 11).

`DOCUMENTS` lists them as `manifest.yaml` describes them; `materialize` gives the path of a
servable copy (a gzip-compressed document is decompressed into the directory given).

    from tests.corpus import DOCUMENTS, materialize, load_document
    path = materialize(DOCUMENTS[0], tmp_path)
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CORPUS", "DOCUMENTS", "Document", "load_document", "materialize"]

CORPUS = Path(__file__).parent


@dataclass(frozen=True, kw_only=True)
class Document:
    file: str  # under tests/corpus/; `.gz` when vendored compressed
    title: str
    source: str  # URL of the exact published version (commit or package version)
    licence: str
    openapi: str
    operations: int
    security: tuple[str, ...]
    features: tuple[str, ...]
    slow: bool = False  # large: run under `-m slow`

    @property
    def id(self) -> str:
        """The mock's API id for this document: its file name up to the first dot."""
        return self.file.split(".")[0]

    @property
    def served_name(self) -> str:
        """The file name the mock is given (without a `.gz` suffix)."""
        return self.file.removesuffix(".gz")


def _documents() -> tuple[Document, ...]:
    manifest = yaml.safe_load((CORPUS / "manifest.yaml").read_text())
    return tuple(
        Document(
            **{
                **entry,
                "openapi": str(entry["openapi"]),
                "security": tuple(entry["security"]),
                "features": tuple(entry["features"]),
            }
        )
        for entry in manifest["documents"]
    )


DOCUMENTS = _documents()


def materialize(document: Document, directory: Path) -> Path:
    """A path to `document` the mock can read: the vendored file, or its decompressed copy."""
    vendored = CORPUS / document.file
    if not document.file.endswith(".gz"):
        return vendored
    target = directory / document.served_name
    if not target.exists():
        target.write_bytes(gzip.decompress(vendored.read_bytes()))
    return target


def load_document(path: Path) -> dict[str, Any]:
    """The document as plain data (JSON or YAML by suffix)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
    else:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert isinstance(data, dict), f"{path}: not a mapping"
    return data
