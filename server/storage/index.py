"""LangGraph's `IndexConfig` for `langgraph.json`'s `store.index`: the same for every
backend's store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..imports import load_object
from ..sections import ConfigError, StoreIndex, StoreSection


def embeddings(index: StoreIndex, base_dir: Path) -> Any:
    """The `embed` of `store.index` as LangChain `Embeddings`: a function in a project
    file (sync or async, list[str] -> list[list[float]]) or a "provider:model" name."""
    from langchain_core.embeddings import Embeddings
    from langgraph.store.base import ensure_embeddings

    key = "store.index.embed"
    if ".py:" in index.embed:
        function = load_object(index.embed, base_dir, key)
        if not isinstance(function, Embeddings) and not callable(function):
            raise ConfigError(f"{key}: {index.embed} is not a function")
        return ensure_embeddings(function)
    try:
        return ensure_embeddings(index.embed)
    except Exception as exc:
        raise ConfigError(f"{key}: cannot set up the embeddings {index.embed!r}: {exc}") from None


def index_config(section: StoreSection, base_dir: Path) -> dict[str, Any] | None:
    """LangGraph's `IndexConfig` for `store.index`, or None without one."""
    index = section.index
    if index is None:
        return None
    fields = index.fields or ["$"]
    # LangGraph's SQLite store reads `text_fields` where its IndexConfig says `fields`
    config: dict[str, Any] = {"dims": index.dims, "embed": embeddings(index, base_dir), "fields": fields, "text_fields": fields}
    if index.distance_type is not None:
        config["distance_type"] = index.distance_type
    return config
