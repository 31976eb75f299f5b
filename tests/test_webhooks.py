"""Webhooks (reference §3.9): once a run's outcome is final, it is POSTed to the run's
`webhook`, here a real receiver on 127.0.0.1 (which the test projects allow: loopback and
plain http). With the default config, loopback, private and plain-http targets are refused
with a 422 when the run is created, and nothing is created."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from conftest import make_app
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from support import slow, status, until

from threadloom.server.webhooks import BlockedAddress, GuardedResolver
from threadloom.protocol.webhooks import PAYLOAD_FIELDS, refusal
from threadloom.server.config import ConfigError
from threadloom.server.sections import WebhookUrlPolicy

GRAPHS = Path(__file__).parent / "graphs"
LOCAL = {"url": {"require_https": False, "disable_loopback": False}}  # the receiver: plain http on this machine
WEBHOOK_LOG = "threadloom.actors.webhooks"

Serve = Callable[..., Awaitable[LangGraphClient]]


@dataclass
class Hook:
    headers: dict[str, str]
    body: dict[str, Any]


class Receiver:
    """A webhook endpoint that records what it gets and answers with the statuses in
    `answers`, then 200."""

    def __init__(self) -> None:
        self.hooks: asyncio.Queue[Hook] = asyncio.Queue()
        self.answers: list[int] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.hooks.put_nowait(Hook(dict(request.headers), await request.json()))
        return web.Response(status=self.answers.pop(0) if self.answers else 200)

    async def next(self) -> Hook:
        return await asyncio.wait_for(self.hooks.get(), 10)


@pytest.fixture
async def receiver(aiohttp_server: Any) -> Receiver:
    hooks = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hooks.handle)
    hooks.url = str((await aiohttp_server(app)).make_url("/hook"))
    return hooks


def project(folder: Path, **config: Any) -> Path:
    path = folder / "langgraph.json"
    graphs = {name: f"{GRAPHS / name}.py:graph" for name in ("counter", "failing", "slow")}
    path.write_text(json.dumps({"graphs": graphs, **config}))
    return path


@pytest.fixture
async def serve(tmp_path: Path, aiohttp_server: Any, database: Any) -> AsyncIterator[Serve]:
    """Serve the test graphs with this `webhooks` section (and quick retries)."""
    clients: list[LangGraphClient] = []

    async def start(webhooks: dict[str, Any] | None = None, **settings: Any) -> LangGraphClient:
        config = project(tmp_path, **({} if webhooks is None else {"webhooks": webhooks}))
        server = await aiohttp_server(make_app(config=config, webhook_backoff_seconds=0.01, db=database(None), **settings))
        clients.append(get_client(url=str(server.make_url("")).rstrip("/"), api_key=None))
        return clients[-1]

    yield start
    for client in clients:
        await client.http.client.aclose()


async def post(client: LangGraphClient, path: str, body: Any) -> tuple[int, Any]:
    resp = await client.http.client.post(path, json=body)
    return resp.status_code, resp.json()


async def logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records if r.name == WEBHOOK_LOG)


# what is sent ----------------------------------------------------------------------------------


async def test_a_finished_run_is_posted_to_its_webhook(serve: Serve, receiver: Receiver) -> None:
    client = await serve(LOCAL)
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "counter", input={"log": ["go"]}, metadata={"k": "v"}, webhook=receiver.url)
    hook = await receiver.next()
    body = hook.body
    assert set(body) == PAYLOAD_FIELDS - {"error"}
    assert (body["status"], body["run_id"], body["thread_id"]) == ("success", run["run_id"], tid)
    assert (body["assistant_id"], body["created_at"]) == (run["assistant_id"], run["created_at"])
    assert body["values"] == (await client.threads.get_state(tid))["values"] == {"log": ["go", "first", "second"], "count": 2}
    assert body["kwargs"]["input"] == {"log": ["go"]} and body["kwargs"]["webhook"] == receiver.url
    assert body["metadata"]["k"] == "v" and body["multitask_strategy"] == "enqueue"
    started, ended, sent = (datetime.fromisoformat(body[k]) for k in ("run_started_at", "run_ended_at", "webhook_sent_at"))
    assert started <= ended <= sent and sent.utcoffset() is not None and not sent.utcoffset()
    assert hook.headers["Content-Type"] == "application/json"
    assert hook.headers["User-Agent"].startswith("threadloom")
    stored = await client.runs.get(tid, run["run_id"])
    assert stored["status"] == "success" and stored["kwargs"]["webhook"] == receiver.url


async def test_a_failed_run_reports_its_error_masked(serve: Serve, receiver: Receiver) -> None:
    client = await serve(LOCAL)
    tid = (await client.threads.create())["thread_id"]
    await client.runs.create(tid, "failing", input={"secret": True}, webhook=receiver.url)
    body = (await receiver.next()).body
    assert body["status"] == "error"
    assert body["error"] == {"error": "Boom", "message": "An internal error occurred"}
    assert "hunter2" not in json.dumps(body)


async def test_cancelled_runs_report_interrupted_or_rollback(serve: Serve, receiver: Receiver) -> None:
    client = await serve(LOCAL)
    tid = (await client.threads.create())["thread_id"]

    async def running(run: dict[str, Any]) -> bool:
        return await status(client, tid, run["run_id"]) == "running"

    first = await client.runs.create(tid, "slow", input=slow("a", 200), webhook=receiver.url)
    queued = await client.runs.create(tid, "slow", input=slow("b", 1), webhook=receiver.url)
    await until(lambda: running(first))
    await client.runs.cancel(tid, queued["run_id"])  # still pending: it never started
    body = (await receiver.next()).body
    assert (body["run_id"], body["status"], body["run_started_at"]) == (queued["run_id"], "interrupted", None)
    assert body["error"]["error"] == "UserInterrupt"

    second = await client.runs.create(tid, "slow", input=slow("c", 200), multitask_strategy="rollback", webhook=receiver.url)
    body = (await receiver.next()).body
    assert (body["run_id"], body["status"]) == (first["run_id"], "rollback")  # deleted, yet reported
    assert body["run_started_at"] is not None
    await until(lambda: running(second))
    await client.runs.cancel(tid, second["run_id"])
    body = (await receiver.next()).body
    assert (body["run_id"], body["status"], body["error"]["error"]) == (second["run_id"], "interrupted", "UserInterrupt")


async def test_a_stateless_run_reports_its_final_values(serve: Serve, receiver: Receiver) -> None:
    client = await serve(LOCAL)
    result = await client.runs.wait(None, "counter", input={"log": ["x"]}, webhook=receiver.url)
    body = (await receiver.next()).body
    assert body["status"] == "success" and body["kwargs"]["temporary"] is True
    assert body["values"] == result == {"log": ["x", "first", "second"], "count": 2}
    # without a checkpointer the values come from the stream, even one that does not stream them
    await client.runs.create(None, "counter", input={"log": ["y"]}, stream_mode=["updates"], webhook=receiver.url)
    assert (await receiver.next()).body["values"] == {"log": ["y", "first", "second"], "count": 2}


async def test_a_cron_fire_reports_its_run(serve: Serve, receiver: Receiver) -> None:
    client = await serve(LOCAL, cron_poll_seconds=0.05)
    cron = await client.crons.create("counter", schedule="* * * * * *", input={"log": ["cron"]}, webhook=receiver.url)
    body = (await receiver.next()).body
    await client.crons.delete(cron["cron_id"])
    assert body["status"] == "success" and body["values"]["log"] == ["cron", "first", "second"]


async def test_configured_headers_are_sent_with_their_environment_values(
    serve: Serve, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LG_WEBHOOK_TOKEN", "s3cret")
    headers = {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}", "X-Source": "tests"}
    client = await serve({**LOCAL, "headers": headers})
    await client.runs.wait(None, "counter", input={}, webhook=receiver.url)
    hook = await receiver.next()
    assert (hook.headers["Authorization"], hook.headers["X-Source"]) == ("Bearer s3cret", "tests")


def test_a_header_naming_an_unset_variable_stops_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LG_WEBHOOK_MISSING", raising=False)
    webhooks = {"headers": {"X-Token": "${{ env.LG_WEBHOOK_MISSING }}"}}
    with pytest.raises(ConfigError, match="webhooks.headers.X-Token: environment variable LG_WEBHOOK_MISSING is not set"):
        make_app(config=project(tmp_path, webhooks=webhooks))
    make_app(config=project(tmp_path, webhooks=webhooks, http={"disable_webhooks": True}))  # nothing sent, nothing needed


async def test_allowed_fields_filter_the_payload(serve: Serve, receiver: Receiver) -> None:
    client = await serve({**LOCAL, "allowed_fields": ["run_id", "status", "values"]})
    await client.runs.wait(None, "counter", input={}, webhook=receiver.url)
    assert set((await receiver.next()).body) == {"run_id", "status", "values"}


# delivery ------------------------------------------------------------------------------------


async def test_5xx_and_429_are_retried(serve: Serve, receiver: Receiver) -> None:
    receiver.answers = [500, 429]
    client = await serve(LOCAL)
    run = await client.runs.create(None, "counter", input={}, webhook=receiver.url)
    hooks = [(await receiver.next()).body for _ in range(3)]  # delivered on the third attempt
    assert {h["run_id"] for h in hooks} == {run["run_id"]}
    sent = [h["webhook_sent_at"] for h in hooks]
    assert sent == sorted(sent) and len(set(sent)) == 3  # each attempt stamped anew


async def test_other_4xx_is_not_retried_and_the_log_holds_no_secret(
    serve: Serve, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LG_WEBHOOK_TOKEN", "s3cret")
    receiver.answers = [400]
    client = await serve({**LOCAL, "headers": {"X-Token": "${{ env.LG_WEBHOOK_TOKEN }}"}})
    webhook = receiver.url.replace("http://", "http://someone:pa55word@") + "?key=querysecret"
    with caplog.at_level(logging.WARNING, logger=WEBHOOK_LOG):
        await client.runs.wait(None, "counter", input={}, webhook=webhook)
        assert (await receiver.next()).headers["X-Token"] == "s3cret"
        await until(lambda: logged(caplog, "(attempt 1): HTTP 400"))  # given up after one attempt
    assert receiver.hooks.empty()
    text = " ".join(r.getMessage() for r in caplog.records if r.name == WEBHOOK_LOG)
    assert receiver.url in text
    for secret in ("s3cret", "querysecret", "pa55word"):
        assert secret not in caplog.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_receiver_that_is_down_does_not_affect_the_run(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    client = await serve(LOCAL)
    tid = (await client.threads.create())["thread_id"]
    with caplog.at_level(logging.WARNING, logger=WEBHOOK_LOG):
        result = await client.runs.wait(tid, "counter", input={}, webhook=f"http://127.0.0.1:{free_port()}/hook")
        await until(lambda: logged(caplog, "(attempt 3): could not connect"))
    assert result["count"] == 2
    assert [r["status"] for r in await client.runs.list(tid)] == ["success"]
    assert (await client.threads.get(tid))["status"] == "idle"
    assert await client.http.get("/ok") == {"ok": True, "services": {}}


async def test_disabled_webhooks_are_neither_checked_nor_sent(
    tmp_path: Path, aiohttp_server: Any, receiver: Receiver
) -> None:
    server = await aiohttp_server(make_app(config=project(tmp_path, http={"disable_webhooks": True})))
    client = get_client(url=str(server.make_url("")).rstrip("/"), api_key=None)
    try:
        assert (await client.http.get("/info"))["threadloom"]["features"]["webhooks"] is False
        tid = (await client.threads.create())["thread_id"]
        run = await client.runs.create(tid, "counter", input={}, webhook=receiver.url)  # plain http to loopback: refused if enabled
        await client.runs.join(tid, run["run_id"])
        assert (await client.runs.get(tid, run["run_id"]))["kwargs"]["webhook"] == receiver.url  # still stored
    finally:
        await client.http.client.aclose()
    await server.close()  # a stopping server waits for pending deliveries: any would have arrived
    assert receiver.hooks.empty()


# what is refused ---------------------------------------------------------------------------------

# (webhook, detail): the official server's texts
REFUSED_BY_DEFAULT = [
    ("https://127.0.0.1/hook", "Webhook host blocked: loopback IP range"),
    ("https://localhost/hook", "Webhook host blocked: localhost address"),
    ("https://[::1]/hook", "Webhook host blocked: blocked IP range"),
    ("https://[::ffff:127.0.0.1]/hook", "Webhook host blocked: blocked IP range"),
    ("https://0.0.0.0/hook", "Webhook host blocked: blocked IP range"),
    ("https://10.0.0.1/hook", "Webhook host blocked: private IP range"),
    ("https://192.168.1.1/hook", "Webhook host blocked: private IP range"),
    ("https://169.254.169.254/latest/meta-data", "Webhook host blocked: blocked IP range"),
    ("https://100.64.0.1/hook", "Webhook host blocked: private IP range"),
    ("https://[fd00::1]/hook", "Webhook host blocked: private IP range"),
    ("http://example.com/hook", "Webhook must use https"),
    ("not a url", "Invalid webhook hostname ''"),
    ("https://", "Invalid webhook hostname ''"),
    ("mailto:someone@example.com", "Invalid webhook hostname ''"),
    ("ftp://example.com/hook", "Webhook host blocked: scheme 'ftp' not allowed"),
    ("https://no-such-host.invalid/hook", "Webhook host blocked: DNS resolution failed"),
    ("/hook", "Webhook URL must be an absolute http:// or https:// URL"),  # the official server posts to itself
]


@pytest.mark.parametrize(("webhook", "why"), REFUSED_BY_DEFAULT)
async def test_the_default_config_refuses_internal_and_plain_http_targets(
    client: LangGraphClient, webhook: str, why: str
) -> None:
    tid = (await client.threads.create())["thread_id"]
    threads = len(await client.threads.search(limit=100))
    fresh = str(uuid.uuid4())
    for path, extra in ((f"/threads/{tid}/runs", {}), ("/runs", {}), ("/runs/wait", {}),
                        (f"/threads/{fresh}/runs", {"if_not_exists": "create"})):
        code, body = await post(client, path, {"assistant_id": "counter", "webhook": webhook, **extra})
        assert (code, body) == (422, {"detail": why}), path
    assert await client.runs.list(tid) == []
    assert len(await client.threads.search(limit=100)) == threads  # no thread for a stateless run
    assert (await client.http.client.get(f"/threads/{fresh}")).status_code == 404
    code, body = await post(client, "/runs/crons", {"assistant_id": "counter", "schedule": "0 9 * * *", "webhook": webhook})
    assert (code, body) == (422, {"detail": why})
    assert await client.crons.search() == []


async def test_a_batch_with_one_refused_webhook_creates_no_run(client: LangGraphClient) -> None:
    threads = len(await client.threads.search(limit=100))
    batch = [{"assistant_id": "counter"}, {"assistant_id": "counter", "webhook": "http://127.0.0.1/hook"}]
    code, body = await post(client, "/runs/batch", batch)
    assert code == 422 and "Webhook" in body["detail"]
    assert len(await client.threads.search(limit=100)) == threads


async def test_allowed_domains_ports_and_url_length_are_enforced(serve: Serve, receiver: Receiver) -> None:
    port = int(receiver.url.split(":")[2].split("/")[0])
    policy = {**LOCAL["url"], "allowed_domains": ["localhost", "*.example.org"], "allowed_ports": [port, 443], "max_url_length": 80}
    client = await serve({"url": policy})
    refused = {
        receiver.url: "Webhook domain not allowed",  # 127.0.0.1 is not named
        "https://example.org/hook": "Webhook domain not allowed",  # the wildcard is for subdomains
        "https://hooks.example.com/hook": "Webhook domain not allowed",
        "https://a.example.org:8443/hook": "Webhook port 8443 not allowed",
        f"https://a.example.org/{'x' * 80}": "Webhook URL too long",
    }
    for webhook, why in refused.items():
        code, body = await post(client, "/runs", {"assistant_id": "counter", "webhook": webhook})
        assert (code, body) == (422, {"detail": why}), webhook
    for webhook, why in (("https://a.example.org:99999/", "Port out of range 0-65535"),
                         ("https://a.example.org:x/", "Port could not be cast to integer value as 'x'")):
        code, body = await post(client, "/runs", {"assistant_id": "counter", "webhook": webhook})
        assert (code, body) == (400, {"detail": why}), webhook  # Python's text, a 400, as there
    await client.runs.wait(None, "counter", input={}, webhook=receiver.url.replace("127.0.0.1", "localhost"))
    assert (await receiver.next()).body["status"] == "success"


# address classification ------------------------------------------------------------------------


LOOPBACK, PRIVATE, BLOCKED = "loopback IP range", "private IP range", "blocked IP range"


@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", LOOPBACK), ("127.9.9.9", LOOPBACK), ("::1", BLOCKED), ("0.0.0.0", BLOCKED),
    ("::ffff:127.0.0.1", BLOCKED), ("10.1.2.3", PRIVATE), ("172.16.0.1", PRIVATE),
    ("192.168.0.1", PRIVATE), ("169.254.169.254", BLOCKED), ("100.64.0.1", PRIVATE),
    ("fe80::1", BLOCKED), ("fc00::1", PRIVATE), ("224.0.0.1", BLOCKED), ("ff02::1", BLOCKED),
    ("240.0.0.1", BLOCKED), ("255.255.255.255", BLOCKED), ("::ffff:10.0.0.1", BLOCKED),
    ("64:ff9b::a00:1", BLOCKED), ("192.0.2.1", BLOCKED), ("8.8.8.8", None), ("2606:4700::1111", None),
    ("64:ff9b::808:808", None),
])
def test_addresses_are_classified_in_the_official_servers_words(address: str, why: str | None) -> None:
    assert refusal(ipaddress.ip_address(address), WebhookUrlPolicy()) == why


def test_the_policy_can_allow_loopback_or_private_addresses() -> None:
    loopback, private = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("10.0.0.1")
    assert refusal(loopback, WebhookUrlPolicy(disable_loopback=False)) is None
    assert refusal(private, WebhookUrlPolicy(disable_loopback=False)) == PRIVATE
    assert refusal(private, WebhookUrlPolicy(disable_private_ips=False)) is None
    assert refusal(loopback, WebhookUrlPolicy(disable_private_ips=False)) == LOOPBACK


async def test_sending_checks_the_addresses_it_connects_to() -> None:
    """DNS rebinding: a name may resolve elsewhere when sending than when checked; the
    sending connector's resolver checks each address again."""
    resolver = GuardedResolver(WebhookUrlPolicy())
    try:
        with pytest.raises(BlockedAddress, match="localhost resolves to .*, in a refused (loopback|blocked) IP range"):
            await resolver.resolve("localhost", 443)
    finally:
        await resolver.close()
