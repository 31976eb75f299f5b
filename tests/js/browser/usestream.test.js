// useStream (@langchain/langgraph-sdk/react) in a real Chromium against a real threadloom:
// the page (built by Vite, served from another 127.0.0.1 port, so every API call is
// cross-origin) submits, streams tokens, stops, rejoins after a reload and answers an
// interrupt. Screenshots go to tests/js/output/.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@langchain/langgraph-sdk";
import { build } from "vite";
import { launchChromium } from "../lib/browser.js";
import { TOKENS, until } from "../lib/sdk.js";
import { startServer } from "../lib/server.js";
import { serveStatic } from "../lib/static.js";

const JS = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUTPUT = join(JS, "output");
const WAIT = { timeout: 60_000 }; // an upper bound against hanging, not a timing assertion

let api, site, browser, client;

before(async () => {
  await mkdir(OUTPUT, { recursive: true });
  await build({ configFile: join(JS, "vite.config.js") });
  [api, site, browser] = await Promise.all([startServer(), serveStatic(join(JS, "app", "dist")), launchChromium()]);
  client = new Client({ apiUrl: api.url, apiKey: null, callerOptions: { maxRetries: 0 } });
  assert.notEqual(new URL(site.url).origin, new URL(api.url).origin);
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await api?.stop();
});

const pageUrl = (params) => `${site.url}/index.html?${new URLSearchParams({ api: api.url, ...params })}`;

/** A fresh browser context and page; records requests, console errors and page errors, and
 * always leaves a screenshot in output/<name>.png. */
async function withPage(name, fn, { expectConsoleErrors = [] } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = { requests: [], responses: [], consoleErrors: [], pageErrors: [] };
  page.on("response", (r) => log.responses.push(r));
  page.on("console", (m) => m.type() === "error" && log.consoleErrors.push(m.text()));
  page.on("pageerror", (e) => log.pageErrors.push(String(e)));
  page.on("request", (r) => {
    log.requests.push(r.allHeaders().then((headers) => ({ method: r.method(), url: new URL(r.url()), headers, body: r.postData() })));
  });
  // every distinct text the first AI message (and the error) shows, as the DOM changes
  // (recorded afresh after each reload)
  await page.addInitScript(() => {
    window.__aiTexts = [];
    window.__errorTexts = [];
    new MutationObserver(() => {
      const ai = document.querySelector('li[data-type="ai"] .content');
      if (ai && window.__aiTexts.at(-1) !== ai.textContent) window.__aiTexts.push(ai.textContent);
      const error = document.querySelector("#error");
      if (error && window.__errorTexts.at(-1) !== error.textContent) window.__errorTexts.push(error.textContent);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  try {
    await fn(page, log);
    assert.deepEqual(log.pageErrors, [], "uncaught errors in the page");
    const unexpected = log.consoleErrors.filter((text) => !expectConsoleErrors.some((re) => re.test(text)));
    assert.deepEqual(unexpected, [], "console errors in the page");
  } finally {
    await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true }).catch(() => {});
    await context.close();
  }
}

async function requests(log, method, pathPattern) {
  const all = await Promise.all(log.requests);
  return all.filter((r) => r.url.origin === new URL(api.url).origin && r.method === method && pathPattern.test(r.url.pathname));
}

const messagesOnPage = (page) =>
  page.$$eval("li.message", (items) => items.map((li) => [li.dataset.type, li.querySelector(".content").textContent]));
const threadOf = (page) => new URL(page.url()).searchParams.get("thread");
const events = (page) => page.evaluate(() => window.__events);
const aiTexts = (page) => page.evaluate(() => window.__aiTexts);
const errorTexts = (page) => page.evaluate(() => window.__errorTexts);

async function send(page, text) {
  await page.fill("#text", text);
  await page.click("#send");
}

/** Waits until the page is idle and its last message is `type` with `content`. */
function waitForLast(page, type, content) {
  return page.waitForFunction(
    ([type, content]) => {
      const items = document.querySelectorAll("li.message");
      const last = items[items.length - 1];
      return document.querySelector("#state").textContent === "idle" && last?.dataset.type === type && last.querySelector(".content").textContent === content;
    },
    [type, content],
    WAIT,
  );
}

/** Waits until the page is streaming and the AI message shows at least `n` characters. */
function waitForPartial(page, n) {
  return page.waitForFunction(
    (n) => document.querySelector("#state").textContent === "loading" && (document.querySelector('li[data-type="ai"] .content')?.textContent.length ?? 0) >= n,
    n,
    WAIT,
  );
}

describe("useStream in Chromium", () => {
  it("submits a message: the fake chat model's tokens reach the page and its reply appears", async () => {
    await withPage("chat", async (page, log) => {
      await page.goto(pageUrl({ assistant: "chat" }));
      await send(page, "hi there");
      await waitForLast(page, "ai", "You said: hi there");
      assert.deepEqual(await messagesOnPage(page), [["human", "hi there"], ["ai", "You said: hi there"]]);

      const threadId = threadOf(page);
      assert.ok(threadId, "the thread id reached the page (onThreadId)");
      const [create] = await requests(log, "POST", /^\/threads$/);
      assert.ok(create, "useStream created the thread");
      const [run] = await requests(log, "POST", new RegExp(`^/threads/${threadId}/runs/stream$`));
      const body = JSON.parse(run.body);
      assert.equal(body.assistant_id, "chat");
      assert.deepEqual(body.input, { messages: [{ type: "human", content: "hi there" }] });
      assert.deepEqual([...body.stream_mode].sort(), ["messages-tuple", "values"]);
      assert.equal(body.stream_resumable, true); // reconnectOnMount
      assert.equal(body.on_disconnect, "continue");
      const [serverRun] = await client.runs.list(threadId);
      // what the run streamed: the model's tokens as `messages` events, between the values.
      // (Replayed from the server: Chromium does not reliably keep a streamed body for
      // DevTools to read; the next test watches the tokens arrive on the page.)
      const frames = [];
      for await (const part of client.runs.joinStream(threadId, serverRun.run_id, { lastEventId: "-1" })) {
        if (part.event) frames.push([part.event, part.data]);
      }
      assert.deepEqual(frames.map(([event]) => event), ["metadata", "values", ...TOKENS.map(() => "messages"), "values"]);
      assert.deepEqual(frames.filter(([e]) => e === "messages").map(([, [chunk]]) => chunk.content), TOKENS);

      assert.equal(serverRun.status, "success");
      // Content-Location was readable cross-origin: onCreated got the run id
      assert.deepEqual((await events(page)).filter((e) => e.kind === "created"), [{ kind: "created", run_id: serverRun.run_id, thread_id: threadId }]);
      assert.deepEqual((await events(page)).filter((e) => e.kind === "finish"), [{ kind: "finish", run_id: serverRun.run_id, next: [] }]);
      const state = await client.threads.getState(threadId);
      assert.deepEqual(state.values.messages.map((m) => [m.type, m.content]), await messagesOnPage(page));
      const pageIds = await page.$$eval("li.message", (items) => items.map((li) => li.dataset.id));
      assert.deepEqual(pageIds, state.values.messages.map((m) => m.id));
      assert.equal(await page.evaluate((t) => sessionStorage.getItem(`lg:stream:${t}`), threadId), null);
    });
  });

  it("streams the reply token by token", async () => {
    await withPage("tokens", async (page) => {
      await page.goto(pageUrl({ assistant: "slowchat", delay: "0.1" }));
      await send(page, "one token at a time");
      const expected = "You said: one token at a time";
      await waitForLast(page, "ai", expected);
      const seen = await aiTexts(page);
      assert.equal(seen.at(-1), expected);
      for (const text of seen) assert.ok(expected.startsWith(text), `"${text}" is a prefix of the reply`);
      // 13 tokens (words and spaces); the page showed the reply growing, not just the end
      assert.ok(seen.length >= 5, `the page showed ${seen.length} stages: ${JSON.stringify(seen)}`);
      assert.ok(seen.includes("You"), JSON.stringify(seen));
    });
  });

  it("stop() during a slow stream cancels the run", async () => {
    await withPage("stop", async (page, log) => {
      await page.goto(pageUrl({ assistant: "slowchat", delay: "0.3" }));
      const words = "please stop me before I finish this rather long sentence";
      await send(page, words);
      await waitForPartial(page, "You said:".length);
      const [{ run_id: runId }] = (await events(page)).filter((e) => e.kind === "created");
      const threadId = threadOf(page);
      assert.equal(await page.evaluate((t) => sessionStorage.getItem(`lg:stream:${t}`), threadId), runId);
      await page.click("#stop");
      await page.waitForFunction(() => document.querySelector("#state").textContent === "idle", null, WAIT);

      const run = await until(async () => {
        const r = await client.runs.get(threadId, runId);
        return ["pending", "running"].includes(r.status) ? null : r;
      });
      assert.equal(run.status, "interrupted");
      const cancels = await requests(log, "POST", new RegExp(`^/threads/${threadId}/runs/${runId}/cancel$`));
      assert.equal(cancels.length, 1);
      assert.equal(cancels[0].url.searchParams.get("wait"), "0");
      assert.equal(cancels[0].url.searchParams.get("action"), "interrupt");

      const thread = await client.threads.get(threadId);
      assert.equal(thread.status, "interrupted");
      assert.equal(thread.error?.error, "UserInterrupt");
      // the model node never finished: the thread holds only the question
      assert.deepEqual(thread.values.messages.map((m) => [m.type, m.content]), [["human", words]]);
      const shown = await page.$eval('li[data-type="ai"] .content', (el) => el.textContent);
      assert.ok(`You said: ${words}`.startsWith(shown) && shown.length < `You said: ${words}`.length, `page shows "${shown}"`);
      const kinds = (await events(page)).map((e) => e.kind);
      assert.ok(kinds.includes("stop") && !kinds.includes("error") && !kinds.includes("finish"), kinds.join());
      assert.equal(await page.evaluate((t) => sessionStorage.getItem(`lg:stream:${t}`), threadId), null);
    });
  });

  it("a reload mid-run rejoins the run (reconnectOnMount) and sees it complete", async () => {
    await withPage("reload", async (page, log) => {
      await page.goto(pageUrl({ assistant: "slowchat", delay: "0.25" }));
      const words = "come back to me after the reload please";
      const expected = `You said: ${words}`;
      await send(page, words);
      await waitForPartial(page, "You said: come".length);
      const threadId = threadOf(page);
      const [{ run_id: runId }] = (await events(page)).filter((e) => e.kind === "created");
      assert.equal(await page.evaluate((t) => sessionStorage.getItem(`lg:stream:${t}`), threadId), runId);
      assert.equal((await client.runs.get(threadId, runId)).status, "running");
      const before = log.requests.length;

      await page.reload();
      await waitForLast(page, "ai", expected);

      const after = await Promise.all(log.requests.slice(before));
      const joins = after.filter((r) => r.method === "GET" && r.url.pathname === `/threads/${threadId}/runs/${runId}/stream`);
      assert.equal(joins.length, 1, "one joinStream after the reload");
      assert.equal(joins[0].headers["last-event-id"], "-1");
      assert.equal(joins[0].url.searchParams.get("cancel_on_disconnect"), "0");
      assert.ok(!after.some((r) => r.method === "POST" && /\/runs(\/stream)?$/.test(r.url.pathname)), "no new run");

      // after the reload the page showed the reply still growing, then complete
      // (with the full replay every stage is a prefix of the reply: nothing missed, nothing twice)
      const seen = await aiTexts(page);
      for (const text of seen) assert.ok(expected.startsWith(text), `"${text}" is a prefix of the reply: ${JSON.stringify(seen)}`);
      assert.ok(seen.some((t) => t !== expected && t.length > 0), JSON.stringify(seen));
      assert.deepEqual(await messagesOnPage(page), [["human", words], ["ai", expected]]);
      const runs = await client.runs.list(threadId);
      assert.deepEqual(runs.map((r) => [r.run_id, r.status]), [[runId, "success"]]);
      const state = await client.threads.getState(threadId);
      assert.deepEqual(state.values.messages.map((m) => [m.type, m.content]), [["human", words], ["ai", expected]]);
      assert.equal(await page.$eval('li[data-type="ai"]', (li) => li.dataset.id), state.values.messages[1].id);
      // the page after the reload created nothing, and finished the joined run
      const kinds = (await events(page)).map((e) => [e.kind, e.run_id]);
      assert.deepEqual(kinds, [["finish", runId]]);
      assert.equal(await page.evaluate((t) => sessionStorage.getItem(`lg:stream:${t}`), threadId), null);
    });
  });

  it("an interrupt() is shown, survives a reload, and the answer resumes the graph", async () => {
    await withPage("interrupt", async (page, log) => {
      await page.goto(pageUrl({ assistant: "interviewer" }));
      await send(page, "hello");
      await page.waitForFunction(() => document.querySelector("#state").textContent === "idle" && document.querySelector("#question"), null, WAIT);
      assert.equal(await page.textContent("#question"), "What is your name?");
      assert.deepEqual(await messagesOnPage(page), [["human", "hello"]]);
      const threadId = threadOf(page);
      const thread = await client.threads.get(threadId);
      assert.equal(thread.status, "interrupted");
      assert.deepEqual(Object.values(thread.interrupts).flat().map((i) => i.value), [{ question: "What is your name?" }]);

      // after a reload the interrupt comes from the thread's state (tasks[].interrupts)
      await page.reload();
      await page.waitForSelector("#question", WAIT);
      assert.equal(await page.textContent("#question"), "What is your name?");
      assert.deepEqual(await messagesOnPage(page), [["human", "hello"]]);

      await page.fill("#answer", "Ada");
      await page.click("#resume");
      await waitForLast(page, "ai", "Nice to meet you, Ada!");
      assert.equal(await page.$("#interrupt"), null);
      assert.deepEqual(await messagesOnPage(page), [["human", "hello"], ["ai", "Nice to meet you, Ada!"]]);

      const [resume] = (await requests(log, "POST", new RegExp(`^/threads/${threadId}/runs/stream$`))).slice(-1);
      const body = JSON.parse(resume.body);
      assert.deepEqual(body.command, { resume: "Ada" });
      assert.equal(body.input ?? null, null);
      const done = await client.threads.get(threadId);
      assert.equal(done.status, "idle");
      assert.deepEqual(done.interrupts, {});
      assert.deepEqual((await client.runs.list(threadId)).map((r) => r.status), ["success", "success"]);
    });
  });

  it("a graph's error is shown; the failed run is rejoined once, its replay ends without the error, and the page shows the thread's error", async () => {
    // useStream logs the live stream's error with console.error: expected here, and only here
    await withPage("error", async (page, log) => {
      await page.goto(pageUrl({ assistant: "failing" }));
      await send(page, "break");
      // useStream keeps a failed run in sessionStorage, and since the thread id changed
      // (from none to the new thread) it rejoins the run as soon as the stream has ended,
      // with `Last-Event-ID: -1`. As on the official server (reference §5.7) the replay
      // has no `error` event (errors are never stored for replay): it ends cleanly,
      // useStream forgets the run, refetches the state and shows the task's error from it
      // (tasks[-1].error) instead of the StreamError.
      await page.waitForFunction(
        () => document.querySelector("#state").textContent === "idle" && window.__events.some((e) => e.kind === "finish"),
        null,
        WAIT,
      );
      const threadId = threadOf(page);
      const [run] = await client.runs.list(threadId);
      assert.equal(run.status, "error");
      assert.deepEqual(await errorTexts(page), ["kaboom", "ValueError('kaboom')"]);
      assert.equal(await page.textContent("#error"), "ValueError('kaboom')");
      assert.deepEqual(
        (await events(page)).map(({ kind, run_id, name, message }) => [kind, run_id, name, message]),
        [
          ["created", run.run_id, undefined, undefined],
          ["error", run.run_id, "ValueError", "kaboom"], // the live stream's `error` event
          ["finish", run.run_id, undefined, undefined], // the rejoin's replay: no error
        ],
      );
      assert.equal(log.consoleErrors.length, 1, log.consoleErrors.join("\n"));
      const joins = await requests(log, "GET", new RegExp(`^/threads/${threadId}/runs/${run.run_id}/stream$`));
      assert.equal(joins.length, 1);
      assert.equal(joins[0].headers["last-event-id"], "-1");
      assert.equal(await page.evaluate((t) => sessionStorage.getItem(`lg:stream:${t}`), threadId), null);
      const state = await client.threads.getState(threadId);
      assert.deepEqual(state.tasks.map((t) => [t.name, t.error]), [["explode", "ValueError('kaboom')"]]);

      // the run is forgotten: a reload does not rejoin it, and the page is not stuck loading
      const before = log.requests.length;
      await page.reload();
      await page.waitForFunction(() => document.querySelector("#state").textContent === "idle" && document.querySelector("#error"), null, WAIT);
      const after = await Promise.all(log.requests.slice(before));
      assert.ok(after.some((r) => r.url.pathname === `/threads/${threadId}/state`), "the page loaded the thread's state");
      assert.ok(!after.some((r) => r.url.pathname.endsWith("/stream")), "no rejoin");
      assert.equal(await page.textContent("#state"), "idle");
      assert.deepEqual(await errorTexts(page), ["ValueError('kaboom')"]);
      assert.deepEqual(await events(page), []);
      assert.equal(log.consoleErrors.length, 1, "no StreamError after the reload");
      assert.equal((await client.runs.get(threadId, run.run_id)).status, "error");
    }, { expectConsoleErrors: [/kaboom/] });
  });

  it("the browser can read Location, Content-Location and X-Pagination-* cross-origin", async () => {
    await withPage("cors", async (page) => {
      await page.goto(pageUrl({}));
      const seen = await page.evaluate(async (apiUrl) => {
        const json = { "content-type": "application/json" };
        const thread = await (await fetch(`${apiUrl}/threads`, { method: "POST", headers: json, body: "{}" })).json();
        const res = await fetch(`${apiUrl}/threads/${thread.thread_id}/runs/stream`, {
          method: "POST",
          headers: json,
          body: JSON.stringify({ assistant_id: "counter", input: {} }),
        });
        const stream = await res.text();
        const wait = await fetch(`${apiUrl}/threads/${thread.thread_id}/runs/wait`, {
          method: "POST",
          headers: json,
          body: JSON.stringify({ assistant_id: "counter", input: {} }),
        });
        await wait.text();
        const search = await fetch(`${apiUrl}/threads/search`, { method: "POST", headers: json, body: JSON.stringify({ limit: 1 }) });
        await search.text();
        return {
          threadId: thread.thread_id,
          streamType: res.headers.get("content-type"),
          location: res.headers.get("location"),
          contentLocation: res.headers.get("content-location"),
          waitLocation: wait.headers.get("location"),
          waitContentLocation: wait.headers.get("content-location"),
          total: search.headers.get("x-pagination-total"),
          stream,
        };
      }, api.url);
      const [first, second] = (await client.runs.list(seen.threadId)).reverse();
      assert.match(seen.streamType, /^text\/event-stream/);
      assert.equal(seen.location, `/threads/${seen.threadId}/runs/${first.run_id}/stream`);
      assert.equal(seen.contentLocation, `/threads/${seen.threadId}/runs/${first.run_id}`);
      assert.equal(seen.waitLocation, `/threads/${seen.threadId}/runs/${second.run_id}/join`);
      assert.equal(seen.waitContentLocation, `/threads/${seen.threadId}/runs/${second.run_id}`);
      assert.ok(Number(seen.total) >= 1, `X-Pagination-Total: ${seen.total}`);
      assert.match(seen.stream, /^event: metadata\r\ndata: /);
    });
  });
});
