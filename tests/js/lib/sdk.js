// Helpers for the SDK suites: one real server per test file, the real JS client on it.
import { after, before } from "node:test";
import { Client } from "@langchain/langgraph-sdk";
import { startServer } from "./server.js";

/**
 * Starts a server before the file's tests and stops it after them. Returns an object whose
 * `client` and `url` are set once the server is up. Retries are off (`maxRetries: 0`) so that
 * a 5xx fails the test instead of being retried (which could also create duplicate runs).
 */
export function useServer() {
  const ctx = { client: null, url: null, server: null };
  before(async () => {
    ctx.server = await startServer();
    ctx.url = ctx.server.url;
    ctx.client = new Client({ apiUrl: ctx.url, apiKey: null, callerOptions: { maxRetries: 0 } });
  });
  after(async () => {
    await ctx.server?.stop();
  });
  return ctx;
}

/**
 * Drains an SDK stream into [{event, data, id}]. The SDK's SSE parser does not reset the last
 * event id, so on a resumable stream a heartbeat's blank line yields `{event: "", data: null}`
 * (reference §7.2): those are dropped here and counted in `heartbeats`.
 */
export async function collect(stream) {
  const parts = [];
  let heartbeats = 0;
  for await (const part of stream) {
    if (part.event === "" && part.data === null) heartbeats += 1;
    else parts.push(part);
  }
  Object.defineProperty(parts, "heartbeats", { value: heartbeats, enumerable: false });
  return parts;
}

export const names = (parts) => parts.map((p) => p.event);
export const of = (parts, event) => parts.filter((p) => p.event === event).map((p) => p.data);

/** Resolves when `predicate()` (async) returns a truthy value; polls without timing assertions. */
export async function until(predicate, { every = 50, limit = 600 } = {}) {
  for (let i = 0; i < limit; i++) {
    const value = await predicate();
    if (value) return value;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error("condition never became true");
}

export const CHAT_INPUT = { messages: [{ role: "user", content: "hi there" }] };
// the fake model streams "You said: hi there" word by word, spaces as their own chunks
export const TOKENS = ["You", " ", "said:", " ", "hi", " ", "there"];
