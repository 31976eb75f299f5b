"""The runtime's webhooks, as langgraph.json's `webhooks` and `http.disable_webhooks` set
them up (secure defaults without a `webhooks` section)."""

from __future__ import annotations

import os

from actors.webhooks import Delivery, Webhooks

from .project import Project
from .sections import WebhooksSection


def webhooks_for(project: Project, *, backoff_seconds: float) -> Webhooks:
    """Raises `ConfigError` if a header names an environment variable that is not set
    (unless webhooks are disabled: then nothing is sent, and nothing needs it)."""
    section = project.webhooks or WebhooksSection()
    enabled = not project.http.disable_webhooks
    return Webhooks(
        section.url,
        headers=section.resolved_headers(os.environ) if enabled else None,
        allowed_fields=section.allowed_fields,
        enabled=enabled,
        delivery=Delivery(backoff_seconds=backoff_seconds),
    )
