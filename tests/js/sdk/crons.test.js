// Crons through @langchain/langgraph-sdk: create (stateless and on a thread), search, count, update, delete.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { useServer } from "../lib/sdk.js";

const ctx = useServer();

describe("crons", () => {
  let counterId;
  before(async () => {
    [{ assistant_id: counterId }] = await ctx.client.assistants.search({ graphId: "counter" });
  });

  it("create (stateless), search, delete", async () => {
    const cron = await ctx.client.crons.create("counter", {
      schedule: "0 0 1 1 *",
      input: { log: ["cron"] },
      metadata: { owner: "js" },
    });
    assert.equal(cron.assistant_id, counterId);  // the graph id maps to its system assistant
    assert.equal(cron.thread_id, null);
    assert.equal(cron.schedule, "0 0 1 1 *");
    assert.equal(cron.timezone, null);  // none given: null, as on the official server (UTC applies)
    assert.equal(cron.user_id, "");  // no custom auth
    assert.equal(cron.enabled, true);
    assert.equal(cron.on_run_completed, "delete");
    assert.deepEqual(cron.metadata, { owner: "js" });
    assert.deepEqual(cron.payload.input, { log: ["cron"] });
    assert.equal(cron.payload.config.configurable.cron_id, cron.cron_id);
    assert.equal(new Date(cron.next_run_date).toISOString().slice(5), "01-01T00:00:00.000Z");
    assert.ok(new Date(cron.next_run_date) > new Date());

    const found = await ctx.client.crons.search({ assistantId: counterId });
    assert.deepEqual(found.map((c) => c.cron_id), [cron.cron_id]);
    assert.deepEqual(found[0], cron);

    assert.equal(await ctx.client.crons.delete(cron.cron_id), undefined);
    assert.deepEqual(await ctx.client.crons.search({ assistantId: counterId }), []);
    await assert.rejects(ctx.client.crons.delete(cron.cron_id), { status: 404 });
  });

  it("createForThread, search by thread, count, update, delete", async () => {
    const { thread_id } = await ctx.client.threads.create();
    const other = await ctx.client.crons.create("counter", { schedule: "15 3 * * *" });
    const cron = await ctx.client.crons.createForThread(thread_id, "counter", { schedule: "*/5 * * * *", input: { log: [] } });
    assert.equal(cron.thread_id, thread_id);
    assert.equal(cron.assistant_id, counterId);
    const next = new Date(cron.next_run_date);
    assert.equal(next.getUTCMinutes() % 5, 0);
    assert.equal(next.getUTCSeconds(), 0);

    assert.deepEqual((await ctx.client.crons.search({ threadId: thread_id })).map((c) => c.cron_id), [cron.cron_id]);
    const both = await ctx.client.crons.search({ assistantId: counterId, sortBy: "created_at", sortOrder: "asc" });
    assert.deepEqual(both.map((c) => c.cron_id), [other.cron_id, cron.cron_id]);
    assert.equal(await ctx.client.crons.count({ assistantId: counterId }), 2);
    assert.equal(await ctx.client.crons.count({ threadId: thread_id }), 1);

    const updated = await ctx.client.crons.update(cron.cron_id, { schedule: "0 12 * * *", enabled: false });
    assert.equal(updated.schedule, "0 12 * * *");
    assert.equal(updated.enabled, false);
    assert.equal(new Date(updated.next_run_date).getUTCHours(), 12);
    assert.deepEqual((await ctx.client.crons.search({ enabled: false })).map((c) => c.cron_id), [cron.cron_id]);

    await ctx.client.crons.delete(cron.cron_id);
    await ctx.client.crons.delete(other.cron_id);
    assert.equal(await ctx.client.crons.count({ assistantId: counterId }), 0);
  });

  it("a bad schedule is a 422; an unknown thread a 404", async () => {
    await assert.rejects(ctx.client.crons.create("counter", { schedule: "every day" }), { status: 422 });
    await assert.rejects(ctx.client.crons.createForThread("00000000-0000-7000-8000-000000000000", "counter", { schedule: "0 0 * * *" }), { status: 404 });
    assert.equal(await ctx.client.crons.count(), 0);
  });
});
