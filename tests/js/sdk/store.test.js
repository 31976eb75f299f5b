// The store through @langchain/langgraph-sdk: putItem / getItem / searchItems / listNamespaces / deleteItem.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useServer } from "../lib/sdk.js";

const ctx = useServer();

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/;

describe("store", () => {
  it("put then get returns the item with camelCase timestamps added by the SDK", async () => {
    assert.equal(await ctx.client.store.putItem(["users", "ada"], "prefs", { theme: "dark", size: 3 }), undefined);
    const item = await ctx.client.store.getItem(["users", "ada"], "prefs");
    assert.deepEqual(item.namespace, ["users", "ada"]);
    assert.equal(item.key, "prefs");
    assert.deepEqual(item.value, { theme: "dark", size: 3 });
    // with an explicit offset: `new Date()` reads a bare timestamp as local time
    assert.match(item.created_at, ISO_UTC);
    assert.match(item.updated_at, ISO_UTC);
    assert.equal(item.createdAt, item.created_at);
    assert.equal(item.updatedAt, item.updated_at);
    assert.ok(Math.abs(Date.parse(item.created_at) - Date.now()) < 24 * 3600 * 1000);
  });

  it("getItem of a missing item is null", async () => {
    assert.equal(await ctx.client.store.getItem(["users", "nobody"], "prefs"), null);
    await ctx.client.store.putItem(["users", "bob"], "prefs", { theme: "light" });
    assert.equal(await ctx.client.store.getItem(["users", "bob"], "other-key"), null);
  });

  it("put again replaces the value", async () => {
    await ctx.client.store.putItem(["docs"], "d1", { v: 1 });
    await ctx.client.store.putItem(["docs"], "d1", { v: 2 });
    assert.deepEqual((await ctx.client.store.getItem(["docs"], "d1")).value, { v: 2 });
  });

  it("searchItems by namespace prefix, with a filter, limit and offset", async () => {
    for (const [who, theme] of [["s1", "dark"], ["s2", "light"], ["s3", "dark"]]) {
      await ctx.client.store.putItem(["search", who], "prefs", { theme, who });
    }
    const all = await ctx.client.store.searchItems(["search"]);
    assert.deepEqual(all.items.map((i) => i.value.who).sort(), ["s1", "s2", "s3"]);
    for (const item of all.items) {
      assert.equal(item.key, "prefs");
      assert.deepEqual(item.namespace, ["search", item.value.who]);
      assert.equal(item.createdAt, item.created_at);
      assert.ok("score" in item);
    }
    const dark = await ctx.client.store.searchItems(["search"], { filter: { theme: "dark" } });
    assert.deepEqual(dark.items.map((i) => i.value.who).sort(), ["s1", "s3"]);
    const one = await ctx.client.store.searchItems(["search"], { limit: 1 });
    const rest = await ctx.client.store.searchItems(["search"], { limit: 10, offset: 1 });
    assert.equal(one.items.length, 1);
    assert.equal(rest.items.length, 2);
    assert.deepEqual(new Set([...one.items, ...rest.items].map((i) => i.value.who)), new Set(["s1", "s2", "s3"]));
    assert.deepEqual(await ctx.client.store.searchItems(["nothing-here"]), { items: [] });
  });

  it("listNamespaces with a prefix and a depth", async () => {
    await ctx.client.store.putItem(["ns", "a", "x"], "k", {});
    await ctx.client.store.putItem(["ns", "b"], "k", {});
    const { namespaces } = await ctx.client.store.listNamespaces({ prefix: ["ns"] });
    assert.deepEqual(namespaces.map((n) => n.join("/")).sort(), ["ns/a/x", "ns/b"]);
    const shallow = await ctx.client.store.listNamespaces({ prefix: ["ns"], maxDepth: 2 });
    assert.deepEqual(shallow.namespaces.map((n) => n.join("/")).sort(), ["ns/a", "ns/b"]);
  });

  it("deleteItem removes it: get is null, search no longer finds it", async () => {
    await ctx.client.store.putItem(["trash"], "t1", { x: 1 });
    await ctx.client.store.putItem(["trash"], "t2", { x: 2 });
    assert.equal(await ctx.client.store.deleteItem(["trash"], "t1"), undefined);
    assert.equal(await ctx.client.store.getItem(["trash"], "t1"), null);
    assert.deepEqual((await ctx.client.store.searchItems(["trash"])).items.map((i) => i.key), ["t2"]);
    // deleting what is not there is not an error
    assert.equal(await ctx.client.store.deleteItem(["trash"], "t1"), undefined);
  });

  it("a namespace label with a dot is refused by the SDK itself; an empty one by the server", async () => {
    await assert.rejects(ctx.client.store.putItem(["a.b"], "k", {}), /cannot contain periods/);
    await assert.rejects(ctx.client.store.putItem(["a", ""], "k", {}), { status: 422 });
  });
});
