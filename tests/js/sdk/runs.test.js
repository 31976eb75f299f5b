// Runs through @langchain/langgraph-sdk: stream (several modes), wait, create/join/get/list,
// joinStream (replay with Last-Event-ID), cancel, errors; exact event sequences and values.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHAT_INPUT, TOKENS, collect, names, of, until, useServer } from "../lib/sdk.js";

const ctx = useServer();

async function streamRun(graph, payload, threadId) {
  const tid = threadId ?? (await ctx.client.threads.create()).thread_id;
  const created = [];
  const parts = await collect(ctx.client.runs.stream(tid, graph, { ...payload, onRunCreated: (m) => created.push(m) }));
  assert.equal(created.length, 1, "onRunCreated is called once (Content-Location parsed)");
  assert.equal(created[0].thread_id, tid);
  return { threadId: tid, runId: created[0].run_id, parts };
}

function assertMetadataFirst(runId, parts) {
  assert.deepEqual(parts[0], { id: parts[0].id, event: "metadata", data: { run_id: runId, attempt: 1 } });
  assert.equal(names(parts).filter((n) => n === "metadata").length, 1);
}

const plain = (parts) => parts.map(({ event, data }) => [event, data]);

describe("runs.stream", () => {
  it("default mode is values: input state, then one per step", async () => {
    const { runId, parts } = await streamRun("counter", { input: { log: ["a"] } });
    assertMetadataFirst(runId, parts);
    assert.deepEqual(plain(parts.slice(1)), [
      ["values", { log: ["a"] }],
      ["values", { log: ["a", "first"], count: 1 }],
      ["values", { log: ["a", "first", "second"], count: 2 }],
    ]);
    assert.ok(parts.every((p) => p.id === undefined), "no ids without stream_resumable");
  });

  it("updates only", async () => {
    const { runId, parts } = await streamRun("counter", { input: { log: [] }, streamMode: "updates" });
    assertMetadataFirst(runId, parts);
    assert.deepEqual(plain(parts.slice(1)), [
      ["updates", { first: { log: ["first"], count: 1 } }],
      ["updates", { second: { log: ["second"], count: 2 } }],
    ]);
  });

  it("values + updates interleave in production order", async () => {
    const { parts } = await streamRun("counter", { input: { log: [] }, streamMode: ["updates", "values"] });
    assert.deepEqual(names(parts), ["metadata", "values", "updates", "values", "updates", "values"]);
    assert.deepEqual(parts[4].data, { second: { log: ["second"], count: 2 } });
    assert.deepEqual(parts[5].data, { log: ["first", "second"], count: 2 });
  });

  it("values + messages-tuple + updates: tokens of the fake chat model in order", async () => {
    const { threadId, runId, parts } = await streamRun("chat", { input: CHAT_INPUT, streamMode: ["values", "messages-tuple", "updates"] });
    assertMetadataFirst(runId, parts);
    assert.deepEqual(names(parts), ["metadata", "values", ...TOKENS.map(() => "messages"), "updates", "values"]);

    const [human] = parts[1].data.messages;
    assert.equal(human.type, "human");
    assert.equal(human.content, "hi there");
    assert.ok(human.id);

    const chunks = of(parts, "messages");
    assert.ok(chunks.every((pair) => Array.isArray(pair) && pair.length === 2));
    assert.deepEqual(chunks.map(([m]) => m.content), TOKENS);
    assert.deepEqual(new Set(chunks.map(([m]) => m.type)), new Set(["AIMessageChunk"]));
    const ids = new Set(chunks.map(([m]) => m.id));
    assert.equal(ids.size, 1);
    const [aiId] = ids;
    assert.ok(aiId);
    assert.equal(chunks.at(-1)[0].chunk_position, "last");
    const meta = chunks[0][1];
    assert.equal(meta.langgraph_node, "model");
    assert.equal(meta.langgraph_step, 1);
    assert.equal(meta.run_id, runId);
    assert.equal(meta.thread_id, threadId);
    assert.equal(meta.graph_id, "chat");
    assert.ok(meta.checkpoint_ns.startsWith("model:"));

    const [update] = of(parts, "updates");
    const [ai] = update.model.messages;
    assert.equal(ai.type, "ai");
    assert.equal(ai.id, aiId);
    assert.equal(ai.content, "You said: hi there");
    const final = parts.at(-1).data.messages;
    assert.deepEqual(final.map((m) => m.type), ["human", "ai"]);
    assert.deepEqual(final[1], ai);
    assert.deepEqual((await ctx.client.threads.getState(threadId)).values.messages, final);
  });

  it("a failing graph ends its stream with an error event", async () => {
    const { runId, threadId, parts } = await streamRun("failing", { input: { secret: false } });
    assert.deepEqual(plain(parts), [
      ["metadata", { run_id: runId, attempt: 1 }],
      ["values", { secret: false }],
      ["error", { error: "ValueError", message: "kaboom" }],
    ]);
    assert.equal((await ctx.client.runs.get(threadId, runId)).status, "error");
    const thread = await ctx.client.threads.get(threadId);
    assert.equal(thread.status, "error");
    assert.deepEqual(thread.error, { error: "ValueError", message: "kaboom" });
  });

  it("a stateless stream (threadId null) runs on a temporary thread", async () => {
    const created = [];
    const parts = await collect(ctx.client.runs.stream(null, "counter", { input: { log: [] }, onRunCreated: (m) => created.push(m) }));
    assert.equal(created.length, 1);
    assert.equal(created[0].thread_id, undefined);  // Content-Location is /runs/{run_id}
    assert.deepEqual(plain(parts), [
      ["metadata", { run_id: created[0].run_id, attempt: 1 }],
      ["values", { log: [] }],
      ["values", { log: ["first"], count: 1 }],
      ["values", { log: ["first", "second"], count: 2 }],
    ]);
  });

  it("an unknown assistant is a 404 before streaming starts", async () => {
    const { thread_id } = await ctx.client.threads.create();
    await assert.rejects(collect(ctx.client.runs.stream(thread_id, "no-such-graph", { input: {} })), (err) => {
      assert.ok([404, 422].includes(err.status), `status ${err.status}`);
      return true;
    });
    assert.deepEqual(await ctx.client.runs.list(thread_id), []);
  });
});

describe("runs.wait", () => {
  it("returns the final values", async () => {
    const { thread_id } = await ctx.client.threads.create();
    const created = [];
    const result = await ctx.client.runs.wait(thread_id, "counter", { input: { log: ["w"] }, onRunCreated: (m) => created.push(m) });
    assert.deepEqual(result, { log: ["w", "first", "second"], count: 2 });
    assert.equal(created.length, 1);
    const run = await ctx.client.runs.get(thread_id, created[0].run_id);
    assert.equal(run.status, "success");
    assert.equal(run.thread_id, thread_id);
  });

  it("stateless wait", async () => {
    assert.deepEqual(await ctx.client.runs.wait(null, "counter", { input: { log: [] } }), { log: ["first", "second"], count: 2 });
  });

  it("throws the graph's error, or returns it with raiseError false", async () => {
    await assert.rejects(ctx.client.runs.wait(null, "failing", { input: {} }), { message: "ValueError: kaboom" });
    const masked = await ctx.client.runs.wait(null, "failing", { input: { secret: true }, raiseError: false });
    assert.equal(masked.__error__.error, "Boom");
    assert.doesNotMatch(masked.__error__.message, /hunter2/);
  });
});

describe("background runs", () => {
  it("create → join → get → list", async () => {
    const { thread_id } = await ctx.client.threads.create();
    const created = [];
    const run = await ctx.client.runs.create(thread_id, "counter", { input: { log: ["bg"] }, metadata: { via: "js" }, onRunCreated: (m) => created.push(m) });
    assert.deepEqual(created, [{ run_id: run.run_id, thread_id }]);
    assert.equal(run.thread_id, thread_id);
    assert.ok(["pending", "running"].includes(run.status));
    assert.equal(run.metadata.via, "js");
    assert.equal(run.multitask_strategy, "enqueue");
    assert.deepEqual(await ctx.client.runs.join(thread_id, run.run_id), { log: ["bg", "first", "second"], count: 2 });
    const done = await ctx.client.runs.get(thread_id, run.run_id);
    assert.equal(done.status, "success");
    assert.deepEqual(done.kwargs.input, { log: ["bg"] });
    const second = await ctx.client.runs.create(thread_id, "counter", { input: { log: [] } });
    await ctx.client.runs.join(thread_id, second.run_id);
    const listed = await ctx.client.runs.list(thread_id);
    assert.deepEqual(listed.map((r) => r.run_id), [second.run_id, run.run_id]);
    assert.deepEqual(listed.map((r) => r.status), ["success", "success"]);
    assert.deepEqual((await ctx.client.runs.list(thread_id, { limit: 1, offset: 1 })).map((r) => r.run_id), [run.run_id]);
    // the counter picks up from the thread's state
    assert.deepEqual((await ctx.client.threads.getState(thread_id)).values, { log: ["bg", "first", "second", "first", "second"], count: 4 });
  });

  it("joinStream with Last-Event-ID -1 replays a resumable run in full, ids increasing", async () => {
    const { thread_id } = await ctx.client.threads.create();
    const run = await ctx.client.runs.create(thread_id, "slow", {
      input: { steps: 3, delay: 0.05, tag: "r" },
      streamMode: ["values", "updates"],
      streamResumable: true,
    });
    assert.equal(run.kwargs.resumable, true);
    const expected = [
      ["metadata", { run_id: run.run_id, attempt: 1 }],
      ["values", { items: [], steps: 3, delay: 0.05, tag: "r" }],
      ["updates", { step: { items: ["r:0"] } }],
      ["values", { items: ["r:0"], steps: 3, delay: 0.05, tag: "r" }],
      ["updates", { step: { items: ["r:1"] } }],
      ["values", { items: ["r:0", "r:1"], steps: 3, delay: 0.05, tag: "r" }],
      ["updates", { step: { items: ["r:2"] } }],
      ["values", { items: ["r:0", "r:1", "r:2"], steps: 3, delay: 0.05, tag: "r" }],
    ];
    // joined while the run is pending or running: what was missed is replayed, then live events
    const live = await collect(ctx.client.runs.joinStream(thread_id, run.run_id, { lastEventId: "-1" }));
    assert.deepEqual(plain(live), expected);
    const ids = live.map((p) => p.id);
    assert.ok(ids.every((id) => typeof id === "string" && id.length > 0), `ids: ${ids}`);
    assert.equal(new Set(ids).size, ids.length, "ids are unique");
    assert.equal((await ctx.client.runs.get(thread_id, run.run_id)).status, "success");

    // after the run ended: the same replay, with the same ids
    const replay = await collect(ctx.client.runs.joinStream(thread_id, run.run_id, { lastEventId: "-1" }));
    assert.deepEqual(replay, live);
    // resuming after an event replays only what followed it
    const rest = await collect(ctx.client.runs.joinStream(thread_id, run.run_id, { lastEventId: live[4].id }));
    assert.deepEqual(rest, live.slice(5));
    // a stream_mode filter (a plain string here, a JSON array below) keeps only those modes,
    // not even metadata, as the official server
    const updates = await collect(ctx.client.runs.joinStream(thread_id, run.run_id, { lastEventId: "-1", streamMode: "updates" }));
    assert.deepEqual(names(updates), ["updates", "updates", "updates"]);
    const both = await collect(ctx.client.runs.joinStream(thread_id, run.run_id, { lastEventId: "-1", streamMode: ["updates", "values"] }));
    assert.deepEqual(plain(both), expected.slice(1));
    // without Last-Event-ID, joining a finished run yields nothing
    assert.deepEqual(await collect(ctx.client.runs.joinStream(thread_id, run.run_id)), []);
  });

  it("joinStream of a running non-resumable run gets the events after joining, then ends when it does", async () => {
    const { thread_id } = await ctx.client.threads.create();
    const run = await ctx.client.runs.create(thread_id, "slow", { input: { steps: 5, delay: 0.3, tag: "j" } });
    const parts = await collect(ctx.client.runs.joinStream(thread_id, run.run_id));
    assert.ok(parts.length >= 1, "the final values at least");
    assert.ok(names(parts).every((n) => n === "values" || n === "metadata"), names(parts).join());
    assert.deepEqual(parts.at(-1).data.items, ["j:0", "j:1", "j:2", "j:3", "j:4"]);
    assert.equal((await ctx.client.runs.get(thread_id, run.run_id)).status, "success");
  });

  it("joinStream of a missing run yields an error event (a 200, as the official server)", async () => {
    const { thread_id } = await ctx.client.threads.create();
    const missing = "00000000-0000-7000-8000-000000000000";
    const parts = await collect(ctx.client.runs.joinStream(thread_id, missing));
    assert.deepEqual(plain(parts), [["error", { error: "HTTPException", message: "404: Run not found" }]]);
  });
});

describe("cancel", () => {
  async function runningSlowRun(tag) {
    const { thread_id } = await ctx.client.threads.create();
    const run = await ctx.client.runs.create(thread_id, "slow", { input: { steps: 200, delay: 0.05, tag } });
    await until(async () => (await ctx.client.runs.get(thread_id, run.run_id)).status === "running");
    // wait for one finished step, so that the thread has a checkpoint with progress
    await until(async () => ((await ctx.client.threads.getState(thread_id)).values.items ?? []).length > 0);
    return { thread_id, run };
  }

  it("cancel(wait=false) is accepted at once; the run ends interrupted, the thread keeps its progress", async () => {
    const { thread_id, run } = await runningSlowRun("c");
    assert.equal(await ctx.client.runs.cancel(thread_id, run.run_id), undefined);  // 202, no body
    await ctx.client.runs.join(thread_id, run.run_id);
    const after = await ctx.client.runs.get(thread_id, run.run_id);
    assert.equal(after.status, "interrupted");
    const thread = await ctx.client.threads.get(thread_id);
    assert.equal(thread.status, "interrupted");
    assert.equal(thread.error.error, "UserInterrupt");
    const items = thread.values.items;
    assert.ok(items.length > 0 && items.length < 200, `items: ${items.length}`);
    assert.deepEqual(items, items.map((_, i) => `c:${i}`));
  });

  it("cancel(wait=true) returns once the run is done", async () => {
    const { thread_id, run } = await runningSlowRun("w");
    const result = await ctx.client.runs.cancel(thread_id, run.run_id, true);
    assert.equal(typeof result, "object");
    assert.equal((await ctx.client.runs.get(thread_id, run.run_id)).status, "interrupted");
  });

  it("cancel with action rollback deletes the run and its checkpoints", async () => {
    const { thread_id } = await ctx.client.threads.create();
    await ctx.client.runs.wait(thread_id, "slow", { input: { steps: 1, delay: 0, tag: "keep" } });
    const run = await ctx.client.runs.create(thread_id, "slow", { input: { steps: 200, delay: 0.05, tag: "gone" } });
    await until(async () => ((await ctx.client.threads.getState(thread_id)).values.items ?? []).some((i) => i.startsWith("gone:")));
    await ctx.client.runs.cancel(thread_id, run.run_id, true, "rollback");
    await assert.rejects(ctx.client.runs.get(thread_id, run.run_id), { status: 404 });
    assert.deepEqual((await ctx.client.threads.getState(thread_id)).values.items, ["keep:0"]);
  });

  it("a stream being read sees its run cancelled: the stream just ends", async () => {
    const { thread_id } = await ctx.client.threads.create();
    const parts = [];
    let runId;
    for await (const part of ctx.client.runs.stream(thread_id, "slow", {
      input: { steps: 200, delay: 0.05, tag: "s" },
      streamMode: "updates",
      onRunCreated: (m) => (runId = m.run_id),
    })) {
      parts.push(part);
      if (parts.length === 2) await ctx.client.runs.cancel(thread_id, runId);
    }
    assert.deepEqual(names(parts.slice(0, 2)), ["metadata", "updates"]);
    assert.ok(!names(parts).includes("error"), "no error event on cancellation");
    assert.ok(parts.length < 201);
    assert.equal((await ctx.client.runs.get(thread_id, runId)).status, "interrupted");
  });

  it("cancelling a finished run is a 404", async () => {
    const { thread_id } = await ctx.client.threads.create();
    const run = await ctx.client.runs.create(thread_id, "counter", { input: {} });
    await ctx.client.runs.join(thread_id, run.run_id);
    await assert.rejects(ctx.client.runs.cancel(thread_id, run.run_id), { status: 404 });
  });
});

describe("interrupt and resume", () => {
  it("interrupt() shows in the stream; command.resume continues the graph", async () => {
    const { threadId, runId, parts } = await streamRun("asker", { input: { question: "who are you?" }, streamMode: ["values", "updates"] });
    assertMetadataFirst(runId, parts);
    assert.deepEqual(names(parts), ["metadata", "values", "updates", "values"]);
    assert.deepEqual(parts[1].data, { answers: [], question: "who are you?" });
    const [interrupt] = parts[2].data.__interrupt__;
    assert.equal(interrupt.value, "who are you?");
    assert.match(interrupt.id, /^[0-9a-f]+$/);
    assert.deepEqual(parts[3].data, { answers: [], question: "who are you?", __interrupt__: [interrupt] });
    assert.equal((await ctx.client.runs.get(threadId, runId)).status, "success");

    const thread = await ctx.client.threads.get(threadId);
    assert.equal(thread.status, "interrupted");
    const state = await ctx.client.threads.getState(threadId);
    assert.deepEqual(state.next, ["ask"]);
    assert.deepEqual(state.tasks.map((t) => t.name), ["ask"]);
    assert.deepEqual(state.tasks[0].interrupts, [{ value: "who are you?", id: interrupt.id }]);
    assert.deepEqual(thread.interrupts, { [state.tasks[0].id]: [{ value: "who are you?", id: interrupt.id }] });

    const resumed = await streamRun("asker", { command: { resume: "Ada" }, streamMode: ["values", "updates"] }, threadId);
    assert.deepEqual(plain(resumed.parts.slice(1)), [
      ["values", { answers: [], question: "who are you?" }],
      ["updates", { ask: { answers: ["Ada"] } }],
      ["values", { answers: ["Ada"], question: "who are you?" }],
      ["updates", { thank: { answers: ["thanks"] } }],
      ["values", { answers: ["Ada", "thanks"], question: "who are you?" }],
    ]);
    const done = await ctx.client.threads.get(threadId);
    assert.equal(done.status, "idle");
    assert.deepEqual(done.interrupts, {});
    assert.deepEqual((await ctx.client.threads.getState(threadId)).next, []);
  });

  it("runs.wait returns the interrupt, and resumes with command.resume", async () => {
    const { thread_id } = await ctx.client.threads.create();
    const first = await ctx.client.runs.wait(thread_id, "asker", { input: {} });
    assert.equal(first.__interrupt__.length, 1);
    assert.equal(first.__interrupt__[0].value, "what is your name?");
    assert.deepEqual(first.answers, []);
    const second = await ctx.client.runs.wait(thread_id, "asker", { command: { resume: "Grace" } });
    assert.deepEqual(second, { answers: ["Grace", "thanks"] });
  });
});
