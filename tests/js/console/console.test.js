// The console (/console, built into server/console_dist) in Debian's Chromium against a real
// threadloom serving real graphs (console/langgraph.json): every view, an interrupt answered
// from the console, a rollback, a fork from the history, an edit of the state, a reload in
// the middle of a run that rejoins its stream, the Authorization header with custom auth,
// the keys and a phone-sized screen. Screenshots of each view: output/console/<name>.png.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@langchain/langgraph-sdk";
import { launchChromium } from "../lib/browser.js";
import { ROOT, startServer } from "../lib/server.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUTPUT = resolve(HERE, "..", "output", "console");
const CONFIG = join(HERE, "langgraph.json");
const AUTH_CONFIG = join(ROOT, "tests", "auth", "langgraph.json");
const WAIT = { timeout: 30_000 }; // an upper bound against hanging, not a timing assertion

let api, browser, client;

before(async () => {
  await mkdir(OUTPUT, { recursive: true });
  [api, browser] = await Promise.all([startServer({ config: CONFIG }), launchChromium()]);
  client = new Client({ apiUrl: api.url, apiKey: null, callerOptions: { maxRetries: 0 } });
});

after(async () => {
  await browser?.close();
  await api?.stop();
});

/** A fresh context and page at 1280×800 (or `viewport`); fails on uncaught page errors;
 * always leaves output/console/<name>.png. */
async function withPage(name, fn, { viewport = { width: 1280, height: 800 }, server = () => api } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const log = { pageErrors: [], requests: [] };
  page.on("pageerror", (e) => log.pageErrors.push(String(e)));
  page.on("request", (r) => log.requests.push({ method: r.method(), url: new URL(r.url()), headers: r.headers() }));
  const open = (hash) => page.goto(`${server().url}/console/${hash}`);
  try {
    await fn(page, open, log);
    assert.deepEqual(log.pageErrors, [], "uncaught errors in the page");
  } finally {
    await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true }).catch(() => {});
    await context.close();
  }
}

const shot = (page, name) => page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });
const threadOf = (page) => new URLSearchParams(new URL(page.url()).hash.split("?")[1] ?? "").get("thread");
const until = async (check, what, timeout = 30_000) => {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

async function typeInput(page, json) {
  await page.locator("#run-input").fill(JSON.stringify(json));
}

describe("graphs", () => {
  it("draws a graph with its conditional edges, its schemas and versions", async () => {
    await withPage("graphs", async (page, open) => {
      await open("#/graphs/router");
      const svg = page.locator("svg.graph");
      await svg.waitFor(WAIT);
      for (const node of ["__start__", "check", "retry", "done", "__end__"]) {
        assert.equal(await svg.locator(`[data-node="${node}"]`).count(), 1, node);
      }
      const conditional = svg.locator("g.edge.conditional");
      assert.equal(await conditional.count(), 2);
      assert.equal(await conditional.first().locator("path").evaluate((p) => getComputedStyle(p).strokeDasharray !== "none"), true);
      assert.equal(await svg.locator('g.edge:not(.conditional)[data-source="retry"][data-target="check"]').count(), 1); // the loop back
      await until(async () => /"attempts"/.test(await page.locator("#schemas").textContent()), "the schemas");
      assert.equal(await page.locator("#versions tbody tr").count(), 1);
      // a node is focusable and opens its details with the keyboard
      await svg.locator('[data-node="check"]').focus();
      await page.keyboard.press("Enter");
      await page.locator(".node-info").getByText("check").first().waitFor(WAIT);
    });
  });

  it("expands subgraphs with xray", async () => {
    await withPage("graphs-xray", async (page, open) => {
      await open("#/graphs/nested");
      await page.locator('svg.graph [data-node="child"]').waitFor(WAIT);
      await page.locator("#xray").check();
      await page.locator('svg.graph [data-node="child:inner"]').waitFor(WAIT);
      assert.equal(await page.locator('svg.graph [data-subgraph="child"]').count(), 1);
    });
  });
});

describe("runs", () => {
  it("starts a run from the schema's form and answers its interrupt with a resume value", async () => {
    await withPage("runs-interrupt", async (page, open) => {
      await open("#/runs?assistant=interviewer");
      await page.locator('[data-field="messages"]').fill("hello");
      assert.match(await page.locator("#run-input").inputValue(), /"type": "human"/);
      await page.locator("#submit-run").click();
      const question = page.locator("#interrupt .interrupt-value");
      await question.waitFor(WAIT);
      assert.match(await question.textContent(), /What is your name\?/);
      const thread = threadOf(page);
      assert.ok(thread, "the new thread is in the URL");
      assert.equal((await client.threads.get(thread)).status, "interrupted");
      await shot(page, "runs-interrupted");
      // a thread waiting on an interrupt, opened afresh (from its page), still asks
      await open(`#/threads/${thread}`);
      await page.locator("#thread-interrupt a").click();
      await question.waitFor(WAIT);
      await page.locator("#resume-value").fill('"Ada"');
      await page.locator("#resume").click();
      await page.locator("#messages li", { hasText: "Nice to meet you, Ada!" }).waitFor(WAIT);
      await page.locator("#live-state", { hasText: "idle" }).waitFor(WAIT);
      assert.equal((await client.threads.get(thread)).status, "idle");
      const runs = await client.runs.list(thread);
      assert.equal(runs.length, 2);
      assert.ok(runs.every((r) => r.status === "success"));
    });
  });

  it("shows custom events and the namespaces of subgraphs", async () => {
    await withPage("runs-events", async (page, open) => {
      await open("#/runs?assistant=custom");
      await typeInput(page, { count: 3 });
      await page.locator("#submit-run").click();
      await until(async () => (await page.locator('#events li[data-kind="custom"]').count()) === 3, "3 custom events");
      assert.match(await page.locator('#events li[data-kind="custom"]').last().textContent(), /"i":2/);
      await page.locator("#live-state", { hasText: "idle" }).waitFor(WAIT);

      await page.locator("#assistant").selectOption({ label: "nested" });
      await typeInput(page, {});
      await page.locator("#submit-run").click();
      await page.locator("#namespaces code", { hasText: /^child:/ }).waitFor(WAIT);
      await page.locator('#events li[data-kind="updates"][data-ns^="child:"]').first().waitFor(WAIT);
      await page.locator("#live-state", { hasText: "idle" }).waitFor(WAIT);
      assert.match(await page.locator(".live-values").textContent(), /"outer"/);
    });
  });

  it("reloaded in the middle of a run, rejoins its stream and sees it to the end", async () => {
    await withPage("runs-reload", async (page, open, log) => {
      await open("#/runs?assistant=slowchat");
      await page.locator("summary", { hasText: "config and context" }).click();
      await page.locator("#run-config").fill(JSON.stringify({ configurable: { token_delay: 0.3 } }));
      await page.locator('[data-field="messages"]').fill("one two three four five six seven eight nine ten");
      await page.locator("#submit-run").click();
      const ai = page.locator('#messages li[data-type="ai"] .content');
      await until(async () => ((await ai.count()) ? (await ai.first().textContent()).length > 3 : false), "the first tokens");
      const partial = await ai.first().textContent();
      assert.notEqual(partial, "You said: one two three four five six seven eight nine ten", "the run finished before the reload");
      const thread = threadOf(page);
      const requestsBefore = log.requests.length;
      await page.reload();
      await page.locator('#messages li[data-type="ai"] .content', { hasText: "You said: one two three four five six seven eight nine ten" }).waitFor(WAIT);
      const rejoined = log.requests.slice(requestsBefore).filter((r) => /\/threads\/[^/]+\/runs\/[^/]+\/stream$/.test(r.url.pathname) && r.method === "GET");
      assert.equal(rejoined.length, 1, "one join of the run's stream after the reload");
      assert.equal(await ai.count(), 1, "the reply once, not twice");
      assert.ok(rejoined[0].url.pathname.includes(thread));
      await page.locator("#live-state", { hasText: "idle" }).waitFor(WAIT);
      const [run] = await client.runs.list(thread);
      assert.equal(run.status, "success");
    });
  });

  it("joins a running run, lists the queue with its strategy and rolls a run back", async () => {
    await withPage("runs-rollback", async (page, open) => {
      const thread = (await client.threads.create()).thread_id;
      await client.runs.wait(thread, "slow", { input: { steps: 1, delay: 0.01, tag: "a" } });
      const long = await client.runs.create(thread, "slow", { input: { steps: 200, delay: 0.1, tag: "b" }, streamResumable: true });
      const queued = await client.runs.create(thread, "slow", { input: { steps: 1, delay: 0.01, tag: "c" }, multitaskStrategy: "enqueue" });
      await open(`#/runs?assistant=slow&thread=${thread}`);
      await page.locator("#queue", { hasText: "1 pending" }).waitFor(WAIT);
      assert.match(await page.locator("#queue").textContent(), new RegExp(`${queued.run_id.slice(-8)} \\(enqueue\\)`));
      const row = page.locator(`#run-list tr[data-run="${long.run_id}"]`);
      await row.locator("button.join").click();
      await page.locator('#events li[data-kind="join"]').waitFor(WAIT);
      await until(async () => /"b:1"/.test(await page.locator(".live-values").textContent()), "the joined run's values");
      await shot(page, "runs-joined");
      await row.locator("button.cancel-rollback").click();
      await page.locator(`#run-list tr[data-run="${long.run_id}"]`).waitFor({ state: "detached", ...WAIT });
      // the rolled-back run is gone with its checkpoints; the queued run ran after it
      await until(async () => (await client.runs.get(thread, queued.run_id)).status === "success", "the queued run");
      const state = await client.threads.getState(thread);
      assert.deepEqual(state.values.items.filter((i) => i.startsWith("b:")), []);
      assert.deepEqual(state.values.items, ["a:0", "c:0"]);
      await page.locator(`#run-list tr[data-run="${queued.run_id}"][data-status="success"]`).waitFor(WAIT);

      // a run started here, cancelled with interrupt: it stays, with what it wrote
      await typeInput(page, { steps: 200, delay: 0.1, tag: "d" });
      await page.locator("#submit-run").click();
      await until(async () => /"d:1"/.test(await page.locator(".live-values").textContent()), "the new run's values");
      const running = page.locator('#run-list tr[data-status="running"]');
      const runId = await running.getAttribute("data-run");
      await running.locator("button.cancel-interrupt").click();
      await page.locator(`#run-list tr[data-run="${runId}"][data-status="interrupted"]`).waitFor(WAIT);
      await page.locator("#live-state", { hasText: "idle" }).waitFor(WAIT);
      const kept = (await client.threads.getState(thread)).values.items;
      assert.deepEqual(kept.slice(0, 4), ["a:0", "c:0", "d:0", "d:1"]);
    });
  });
});

describe("threads", () => {
  it("searches by status and metadata, sorts and pages", async () => {
    const made = [];
    for (let i = 0; i < 23; i++) made.push((await client.threads.create({ metadata: { batch: "paged", i } })).thread_id);
    await withPage("threads", async (page, open) => {
      await open("#/threads");
      await page.locator("#metadata-filter").fill('{"batch": "paged"}');
      await page.locator("#metadata-filter").press("Enter");
      await until(async () => (await page.locator("#threads tbody tr[data-thread]").count()) === 20, "a page of 20");
      assert.equal(await page.locator("#threads tbody tr[data-thread]").first().getAttribute("data-thread"), made.at(-1)); // newest first
      await page.locator("#next-page").click();
      await until(async () => (await page.locator("#threads tbody tr[data-thread]").count()) === 3, "the last 3");
      assert.equal(await page.locator("#next-page").isDisabled(), true);
      await page.locator("#order").selectOption("asc");
      await until(async () => (await page.locator("#threads tbody tr[data-thread]").first().getAttribute("data-thread")) === made[0], "oldest first");
      await page.locator("#status-filter").selectOption("interrupted");
      await page.locator("#threads tbody td", { hasText: "No threads." }).waitFor(WAIT);
      await page.locator("#status-filter").selectOption("idle");
      await until(async () => (await page.locator("#threads tbody tr[data-thread]").count()) === 20, "idle threads");
    });
  });

  it("shows the history as a timeline, diffs two checkpoints, forks from one and edits the state", async () => {
    const thread = (await client.threads.create()).thread_id;
    await client.runs.wait(thread, "counter", { input: { count: 0 } });
    await client.runs.wait(thread, "counter", { input: {} });
    const history = await client.threads.getHistory(thread);
    await withPage("thread", async (page, open) => {
      await open(`#/threads/${thread}`);
      const items = page.locator("#timeline li[data-checkpoint]");
      await until(async () => (await items.count()) === history.length, "every checkpoint");
      assert.match(await page.locator("#state .state-values").textContent(), /"count": 4/);
      // the diff between the first run's end and the second's
      const firstEnd = history.find((s) => s.values.count === 2 && s.next.length === 0);
      await page.locator(`#timeline li[data-checkpoint="${firstEnd.checkpoint.checkpoint_id}"] input.pick`).check();
      await page.locator(`#timeline li[data-checkpoint="${history[0].checkpoint.checkpoint_id}"] input.pick`).check();
      const diff = page.locator("#diff");
      await diff.waitFor(WAIT);
      assert.equal(await diff.locator('tr[data-key="count"] td').first().textContent(), "changed");
      assert.match(await diff.locator('tr[data-key="count"] .before').textContent(), /^2/);
      assert.match(await diff.locator('tr[data-key="count"] .after').textContent(), /^4/);
      await shot(page, "thread-diff");

      // fork: a run from the first run's middle (after `first`, before `second`)
      const middle = history.find((s) => s.values.count === 1 && s.next[0] === "second");
      await page.locator(`#timeline li[data-checkpoint="${middle.checkpoint.checkpoint_id}"] button.link`).click();
      await page.locator("#state h2", { hasText: middle.checkpoint.checkpoint_id.slice(-8) }).waitFor(WAIT);
      await page.locator("#fork-run").click();
      await page.waitForURL(/#\/runs\?.*thread=/, WAIT);
      await until(async () => {
        const runs = await client.runs.list(thread);
        return runs.length === 3 && runs.every((r) => r.status === "success");
      }, "the fork's run");
      const forked = await client.threads.getState(thread);
      assert.deepEqual(forked.values, { count: 2, log: ["first", "second"] }, "the fork went on from the middle of the first run");
      await until(async () => /"count": 2/.test(await page.locator(".live-values").textContent()), "the fork's values on the page");
      await shot(page, "thread-forked");

      // edit the state as a node
      await open(`#/threads/${thread}`);
      await page.locator("#edit-values").fill('{"count": 42}');
      await page.locator("#as-node").fill("second");
      await page.locator("#update-state").click();
      await page.locator("#thread-notice", { hasText: "state updated" }).waitFor(WAIT);
      const edited = await client.threads.getState(thread);
      assert.equal(edited.values.count, 42);
      assert.equal(edited.metadata.source, "update");
      await until(async () => /"count": 42/.test(await page.locator("#state .state-values").textContent()), "the edited state");
    });
  });
});

describe("operations", () => {
  it("shows the metrics, the crons with their next run and the store", async () => {
    const assistant = (await client.assistants.search({ graphId: "counter" }))[0];
    const cron = await client.crons.create(assistant.assistant_id, { schedule: "0 3 * * *", input: {} });
    await client.store.putItem(["console", "notes"], "first", { text: "hello store" });
    await withPage("operations", async (page, open) => {
      await open("#/ops");
      await page.locator("#m-pending .value").waitFor(WAIT);
      await page.locator("#m-lag .value").waitFor(WAIT);
      assert.match(await page.locator("#runs-by-status").textContent(), /success/);
      const row = page.locator(`#crons tr[data-cron="${cron.cron_id}"]`);
      await row.waitFor(WAIT);
      assert.notEqual((await row.locator(".next-run").textContent()).trim(), "");
      await page.locator("#namespaces button", { hasText: "console / notes" }).click();
      await page.locator('#items details[data-key="first"]', { hasText: "hello store" }).waitFor(WAIT);
    });
  });
});

describe("the shell", () => {
  it("switches views with the keys and fits a phone", async () => {
    await withPage("phone-runs", async (page, open) => {
      const fits = async (view) => {
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 390, `${view} is ${width}px wide on a 390px screen`);
      };
      await open("#/graphs/router");
      await page.locator("svg.graph").waitFor(WAIT);
      await fits("graphs");
      await shot(page, "phone-graphs");
      await open("#/ops");
      await page.locator("#m-pending").waitFor(WAIT);
      await fits("operations");
      await shot(page, "phone-operations");
      await open("#/graphs");
      await page.locator("#assistants").waitFor(WAIT);
      await page.keyboard.press("2");
      await page.waitForURL(/#\/threads$/, WAIT);
      await page.locator("#threads").waitFor(WAIT);
      await fits("threads");
      await shot(page, "phone-threads");
      await page.keyboard.press("4");
      await page.waitForURL(/#\/ops$/, WAIT);
      await page.keyboard.press("3");
      await page.waitForURL(/#\/runs$/, WAIT);
      await page.locator("#submit-run").waitFor(WAIT);
      await fits("runs");
    }, { viewport: { width: 390, height: 844 } });
  });

  it("sends the Authorization header it is given to a server with custom auth", async () => {
    const secured = await startServer({ config: AUTH_CONFIG });
    try {
      await withPage("auth", async (page, open, log) => {
        await open("#/threads");
        await page.locator(".error", { hasText: /Missing token/ }).waitFor(WAIT);
        await page.locator("#auth-toggle").click();
        await page.locator("#auth-header").fill("Bearer alice-token");
        await page.locator("#auth-save").click();
        await page.locator("#threads").waitFor(WAIT);
        await until(async () => (await page.locator(".error").count()) === 0, "no error once authorized");
        const searches = log.requests.filter((r) => r.url.pathname === "/threads/search");
        assert.equal(searches.at(-1).headers.authorization, "Bearer alice-token");
        // kept in the browser: a reload still sends it
        await page.reload();
        await page.locator("#threads").waitFor(WAIT);
        assert.equal(await page.locator(".error").count(), 0);
      }, { server: () => secured });
    } finally {
      await secured.stop();
    }
  });
});
