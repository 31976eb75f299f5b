// Threads through @langchain/langgraph-sdk: create / get / update / search / count / state / delete.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { useServer } from "../lib/sdk.js";

const ctx = useServer();

describe("threads", () => {
  it("create returns a fresh idle thread with the given id and metadata", async () => {
    const threadId = randomUUID();
    const thread = await ctx.client.threads.create({ threadId, metadata: { owner: "js", n: 1 } });
    assert.equal(thread.thread_id, threadId);
    assert.equal(thread.status, "idle");
    assert.deepEqual(thread.metadata, { owner: "js", n: 1 });
    assert.equal(thread.values, null);
    assert.deepEqual(thread.config, {});
    assert.match(thread.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
    assert.deepEqual(await ctx.client.threads.get(threadId), thread);
  });

  it("create with graphId records it in the metadata", async () => {
    const thread = await ctx.client.threads.create({ graphId: "counter" });
    assert.deepEqual(thread.metadata, { graph_id: "counter" });
  });

  it("create of an existing id: 409, or the existing thread with ifExists do_nothing", async () => {
    const thread = await ctx.client.threads.create({ metadata: { first: true } });
    await assert.rejects(ctx.client.threads.create({ threadId: thread.thread_id }), { status: 409 });
    const again = await ctx.client.threads.create({ threadId: thread.thread_id, ifExists: "do_nothing", metadata: { first: false } });
    assert.deepEqual(again, thread);
  });

  it("update merges metadata shallowly", async () => {
    const thread = await ctx.client.threads.create({ metadata: { a: 1, b: { x: 1 } } });
    const updated = await ctx.client.threads.update(thread.thread_id, { metadata: { b: { y: 2 }, c: 3 } });
    assert.deepEqual(updated.metadata, { a: 1, b: { y: 2 }, c: 3 });
    assert.equal(updated.thread_id, thread.thread_id);
    assert.ok(updated.updated_at >= thread.updated_at);
    assert.deepEqual((await ctx.client.threads.get(thread.thread_id)).metadata, updated.metadata);
  });

  it("search filters by metadata, ids and status, newest first by default", async () => {
    const tag = randomUUID();
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await ctx.client.threads.create({ metadata: { tag, i } }));
    const found = await ctx.client.threads.search({ metadata: { tag } });
    assert.deepEqual(found.map((t) => t.thread_id), made.map((t) => t.thread_id).reverse());
    assert.deepEqual((await ctx.client.threads.search({ metadata: { tag, i: 1 } })).map((t) => t.thread_id), [made[1].thread_id]);
    const byIds = await ctx.client.threads.search({ ids: [made[0].thread_id, made[2].thread_id], sortBy: "created_at", sortOrder: "asc" });
    assert.deepEqual(byIds.map((t) => t.thread_id), [made[0].thread_id, made[2].thread_id]);
    const page = await ctx.client.threads.search({ metadata: { tag }, limit: 2, offset: 1 });
    assert.deepEqual(page.map((t) => t.thread_id), [made[1].thread_id, made[0].thread_id]);
    assert.deepEqual(await ctx.client.threads.search({ metadata: { tag }, status: "busy" }), []);
    assert.equal(await ctx.client.threads.count({ metadata: { tag } }), 3);
    const selected = await ctx.client.threads.search({ metadata: { tag, i: 2 }, select: ["thread_id", "metadata"] });
    assert.deepEqual(selected, [{ thread_id: made[2].thread_id, metadata: { tag, i: 2 } }]);
  });

  it("state of a new thread is empty; after a run it holds the values", async () => {
    const thread = await ctx.client.threads.create();
    const empty = await ctx.client.threads.getState(thread.thread_id);
    assert.deepEqual(empty.values, {});
    assert.deepEqual(empty.next, []);
    assert.equal(empty.checkpoint, null);
    await ctx.client.runs.wait(thread.thread_id, "counter", { input: { log: ["x"] } });
    const state = await ctx.client.threads.getState(thread.thread_id);
    assert.deepEqual(state.values, { log: ["x", "first", "second"], count: 2 });
    assert.deepEqual(state.next, []);
    assert.equal(state.checkpoint.thread_id, thread.thread_id);
    const after = await ctx.client.threads.get(thread.thread_id);
    assert.equal(after.status, "idle");
    assert.deepEqual(after.values, state.values);
    assert.equal(after.metadata.graph_id, "counter");
    const history = await ctx.client.threads.getHistory(thread.thread_id);
    assert.deepEqual(
      history.map((s) => [s.metadata.source, s.metadata.step, s.next, s.values]),
      [
        ["loop", 2, [], { log: ["x", "first", "second"], count: 2 }],
        ["loop", 1, ["second"], { log: ["x", "first"], count: 1 }],
        ["loop", 0, ["first"], { log: ["x"] }],
        ["input", -1, ["__start__"], { log: [] }],  // an operator.add channel starts as []
      ],
    );
  });

  it("updateState writes values as a node", async () => {
    const thread = await ctx.client.threads.create();
    await ctx.client.runs.wait(thread.thread_id, "counter", { input: { log: [] } });
    const res = await ctx.client.threads.updateState(thread.thread_id, { values: { log: ["manual"] }, asNode: "second" });
    assert.equal(res.checkpoint.thread_id, thread.thread_id);
    const state = await ctx.client.threads.getState(thread.thread_id);
    assert.deepEqual(state.values, { log: ["first", "second", "manual"], count: 2 });
    assert.equal(state.checkpoint.checkpoint_id, res.checkpoint.checkpoint_id);
  });

  it("delete removes the thread: get and delete again are 404", async () => {
    const thread = await ctx.client.threads.create({ metadata: { doomed: true } });
    assert.equal(await ctx.client.threads.delete(thread.thread_id), undefined);
    await assert.rejects(ctx.client.threads.get(thread.thread_id), (err) => {
      assert.equal(err.status, 404);
      assert.match(JSON.parse(err.text).detail, new RegExp(thread.thread_id));
      return true;
    });
    await assert.rejects(ctx.client.threads.delete(thread.thread_id), { status: 404 });
    assert.deepEqual(await ctx.client.threads.search({ ids: [thread.thread_id] }), []);
  });
});
