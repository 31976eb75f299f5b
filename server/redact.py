"""Secrets never reach the logs: every record the server writes, traceback included, has
credentials (`Authorization: …`, `Bearer …`, `x-api-key: …`, `"password": "…"`,
`https://user:password@host`…), the credentials the request being served carries, and the
values of secret-looking environment variables (`*_KEY`, `*_TOKEN`, `*_SECRET`,
`*PASSWORD*`, `*CREDENTIALS*`, the webhook header variables…) replaced by `[redacted]`.
The server avoids logging such things in the first place; this catches what project code
and libraries let slip."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar, Token
from typing import Any

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words
_REDACTED_MARK = "_threadloom_redacted"  # set on a record once it is redacted

_SCHEMES = r"(?:bearer|basic|token|digest|apikey|api-key)"
# `Bearer <credential>` in free text (RFC 6750 b64token), when it looks like one
_SCHEME = re.compile(rf"(?i)(?<![\w-])({_SCHEMES})(\s+)([A-Za-z0-9._~+/-]+=*)")
# `key: value`, `key=value`, `"key": "value"`, `b'key': b'value'`, `?api_key=…&`, where the
# key names a credential (`openai_api_key`, `client_secret`, `access_token`, `x-api-key`…)
_KEY = r"[\w-]*?(?:authorization|api[_-]?key|apikey|secret|password|passwd|token|credentials?|cookie)"
_FIELD = re.compile(
    rf"(?i)(?<![\w-])(?P<key>{_KEY})(?P<sep>[\"']?\s*[:=]\s*)"
    rf"(?:(?P<open>b?(?P<q>[\"']))(?P<qscheme>{_SCHEMES}\s+)?(?P<qval>(?:\\.|(?!(?P=q))[^\\])*)(?P=q)"
    rf"|(?P<scheme>{_SCHEMES}\s+)?(?P<val>\[redacted\]|[^\s\"',;&}}\])]+))"
)
_NOT_SECRET = frozenset({"", "none", "null", "true", "false", REDACTED})
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)([^\s/@]+)@")
# what each of the three patterns needs to match, in lower case: in ASCII text without
# any of these, none of them does (outside ASCII, case folding is left to the patterns)
_CLUES = (
    "authorization", "api_key", "api-key", "apikey", "secret", "password", "passwd", "token", "credential",
    "cookie", "bearer", "basic", "digest", "://",
)
# secret-looking environment variable names
_SECRET_NAME = re.compile(
    r"(?i)(_KEY|_TOKEN|_SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|APIKEY|(?:^|_)(?:KEY|TOKEN|SECRET|PASS|PAT)S?(?:_|$))"
)
# request headers that carry credentials
_SECRET_HEADER = re.compile(r"(?i)(authorization|cookie|api[_-]?key|token|secret|password|[_-]key$)")

# the credentials of the request being served (set by the request-id middleware)
_REQUEST_SECRETS: ContextVar[tuple[str, ...]] = ContextVar("threadloom_request_secrets", default=())


def secret_values(environ: Mapping[str, str], prefixes: Iterable[str] = ()) -> set[str]:
    """Values of the variables whose names look secret, or start with one of `prefixes`."""
    prefixes = tuple(p for p in prefixes if p)
    return {
        value for name, value in environ.items()
        if len(value) >= MIN_SECRET_LENGTH and (_SECRET_NAME.search(name) or (prefixes and name.startswith(prefixes)))
    }


def request_secrets(headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The credentials among a request's headers: `Authorization`'s (without its scheme),
    `x-api-key`'s, each cookie's value…"""
    found: set[str] = set()
    for name, value in headers:
        if not _SECRET_HEADER.search(name):
            continue
        value = value.strip()
        if name.lower() in ("cookie", "set-cookie"):
            found.update(part.partition("=")[2].strip() for part in value.split(";"))
        else:  # `Bearer xyz`: `xyz` (what is logged reads `Bearer [redacted]`)
            scheme, _, credential = value.partition(" ")
            found.add(credential.strip() if credential else scheme)
    return tuple(s for s in found if len(s) >= MIN_SECRET_LENGTH)


def serving(headers: Iterable[tuple[str, str]]) -> Token[tuple[str, ...]]:
    """Redact these request headers' credentials from what is logged in this context (the
    task serving the request, and the threads it hands work to) until `served`."""
    return _REQUEST_SECRETS.set(request_secrets(headers))


def served(token: Token[tuple[str, ...]]) -> None:
    _REQUEST_SECRETS.reset(token)


def _looks_like_credential(value: str) -> bool:
    """After `Bearer`/`Basic`/`Token` in free text: a credential, not an English word
    (`basic configuration`, `token expired`)."""
    return len(value) >= MIN_SECRET_LENGTH and (
        any(c.isdigit() or c in "._~+/=-" for c in value) or any(c.isupper() for c in value[1:])
    )


def _field(match: re.Match[str]) -> str:
    key, sep = match["key"], match["sep"]
    if match["q"] is not None:
        value, scheme = match["qval"], match["qscheme"] or ""
        hidden = value if value.lower() in _NOT_SECRET and not scheme else REDACTED
        return f"{key}{sep}{match['open']}{scheme}{hidden}{match['q']}"
    value, scheme = match["val"], match["scheme"] or ""
    return f"{key}{sep}{scheme}{value if value.lower() in _NOT_SECRET and not scheme else REDACTED}"


def _scheme(match: re.Match[str]) -> str:
    return f"{match[1]}{match[2]}{REDACTED}" if _looks_like_credential(match[3]) else match[0]


class Redactor(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        self._by_length = sorted(self._secrets, key=len, reverse=True)

    def redact(self, text: str) -> str:
        request = _REQUEST_SECRETS.get()
        # longest first: a secret containing another is replaced whole
        for secret in sorted(self._secrets.union(request), key=len, reverse=True) if request else self._by_length:
            text = text.replace(secret, REDACTED)
        if text.isascii():
            lower = text.lower()
            if not any(word in lower for word in _CLUES):
                return text  # none of the patterns can match (most lines: an access line costs 1 µs, not 20)
        text = _FIELD.sub(_field, text)
        text = _SCHEME.sub(_scheme, text)
        return _URL_USERINFO.sub(rf"\1{REDACTED}@", text)

    def redact_record(self, record: logging.LogRecord) -> None:
        """The record's message, traceback and stack, redacted in place."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler will report msg and args as they are
            record.msg = self.redact(str(record.msg))
            if isinstance(record.args, tuple):
                record.args = tuple(self.redact(repr(a)) for a in record.args)
            elif record.args:
                record.args = (self.redact(repr(record.args)),)
        else:
            redacted = self.redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, _REDACTED_MARK, False):  # made before `install`, or by another factory
            self.redact_record(record)
        return True


_installed: Redactor | None = None


def scrub(text: str, prefixes: Iterable[str] = ("LG_WEBHOOK_",)) -> str:
    """`text` redacted as the logs are: for what is printed outside logging (a one-line
    startup error). Before `install`, with the secrets of the environment as it is now."""
    redactor = _installed or Redactor(secret_values(os.environ, prefixes))
    return redactor.redact(text)


def install(secrets: Iterable[str] = (), prefixes: Iterable[str] = ()) -> Redactor:
    """Redact every record logged from now on, whichever handler writes it (those project
    code adds later too): credentials, `secrets`, and the values of secret-looking
    variables of the environment as it is now."""
    redactor = Redactor({*secrets, *secret_values(os.environ, prefixes)})
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    make: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        redactor.redact_record(record)
        setattr(record, _REDACTED_MARK, True)  # the handlers' filter need not do it again
        return record

    logging.setLogRecordFactory(redacted_record)
    global _installed
    _installed = redactor
    return redactor
