// Threads: search (status, metadata, sort, pages); a thread's state, its checkpoints as a
// timeline, the diff of values between two of them, a fork from one (a run from that
// checkpoint) and an edit of the state (as a node).
import { useState, type FormEvent } from "react";
import type { Thread, ThreadState, ThreadStatus } from "@langchain/langgraph-sdk";
import { ErrorBox, Json, Section, errorText, link, parseJson, short, useClient, useLoad, when } from "./ui";

const PAGE = 20;
const STATUSES = ["", "idle", "busy", "interrupted", "error"];
const SORTS = ["updated_at", "created_at", "thread_id", "status"] as const;
type Sort = (typeof SORTS)[number];

/** The assistant that last ran on the thread (the runs stamp it in the metadata). */
function assistantOf(t: Thread | undefined): string | undefined {
  const m = (t?.metadata ?? {}) as Record<string, unknown>;
  return (m.assistant_id as string) ?? (m.graph_id as string) ?? undefined;
}

export function ThreadsView({ threadId, params }: { threadId?: string; params: URLSearchParams }) {
  if (threadId) return <ThreadDetail key={threadId} threadId={threadId} />;
  return <ThreadList params={params} />;
}

function ThreadList({ params }: { params: URLSearchParams }) {
  const client = useClient();
  const status = params.get("status") ?? "";
  const metadata = params.get("metadata") ?? "";
  const sort = (params.get("sort") as Sort) ?? "updated_at";
  const order = params.get("order") === "asc" ? "asc" : "desc";
  const page = Number(params.get("page") ?? "0");
  const [draft, setDraft] = useState(metadata);
  const go = (changes: Record<string, string | undefined>) => {
    location.hash = link("/threads", { status, metadata, sort, order, page: String(page), ...changes });
  };
  const threads = useLoad(async () => {
    const filter = parseJson(metadata, "metadata filter") as Record<string, unknown> | undefined;
    return client.threads.search({
      status: (status || undefined) as ThreadStatus | undefined, metadata: filter,
      limit: PAGE + 1, offset: page * PAGE, sortBy: sort, sortOrder: order,
    });
  }, [status, metadata, sort, order, page]);
  const rows = threads.data?.slice(0, PAGE) ?? [];
  const more = (threads.data?.length ?? 0) > PAGE;
  const submit = (e: FormEvent) => { e.preventDefault(); go({ metadata: draft, page: "0" }); };
  return (
    <>
      <header className="title">
        <h1>Threads</h1>
        <button type="button" id="new-thread" onClick={async () => {
          const t = await client.threads.create();
          location.hash = link(`/threads/${t.thread_id}`);
        }}>New thread</button>
      </header>
      <form className="filters" onSubmit={submit} aria-label="search threads">
        <label>status
          <select id="status-filter" value={status} onChange={(e) => go({ status: e.target.value, page: "0" })}>
            {STATUSES.map((s) => <option key={s} value={s}>{s || "any"}</option>)}
          </select>
        </label>
        <label className="grow">metadata (JSON)
          <input id="metadata-filter" className="mono" value={draft} placeholder='{"graph_id": "chat"}' onChange={(e) => setDraft(e.target.value)} />
        </label>
        <label>sort
          <select id="sort" value={sort} onChange={(e) => go({ sort: e.target.value, page: "0" })}>
            {SORTS.map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        <label>order
          <select id="order" value={order} onChange={(e) => go({ order: e.target.value, page: "0" })}>
            <option>desc</option><option>asc</option>
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorBox error={threads.error} />
      <div className="table-wrap">
        <table id="threads">
          <thead><tr><th>thread</th><th>status</th><th>graph</th><th>updated</th><th>metadata</th></tr></thead>
          <tbody>
            {rows.map((t) => (
              <tr key={t.thread_id} data-thread={t.thread_id}>
                <td><a href={link(`/threads/${t.thread_id}`)}><code>{short(t.thread_id)}</code></a></td>
                <td><span className={`status ${t.status}`}>{t.status}</span></td>
                <td>{String((t.metadata as Record<string, unknown> | null)?.graph_id ?? "")}</td>
                <td>{when(t.updated_at)}</td>
                <td><code className="clip">{JSON.stringify(t.metadata)}</code></td>
              </tr>
            ))}
            {threads.data && rows.length === 0 && <tr><td colSpan={5} className="muted">No threads.</td></tr>}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="pages">
        <button type="button" id="prev-page" disabled={page === 0} onClick={() => go({ page: String(page - 1) })}>← Previous</button>
        <span>page {page + 1}</span>
        <button type="button" id="next-page" disabled={!more} onClick={() => go({ page: String(page + 1) })}>Next →</button>
      </nav>
    </>
  );
}

type Diff = { key: string; kind: "added" | "removed" | "changed"; before?: unknown; after?: unknown };

export function diffValues(a: Record<string, unknown>, b: Record<string, unknown>): Diff[] {
  const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
  const out: Diff[] = [];
  for (const key of keys) {
    const inA = a != null && key in a, inB = b != null && key in b;
    if (!inA) out.push({ key, kind: "added", after: b[key] });
    else if (!inB) out.push({ key, kind: "removed", before: a[key] });
    else if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) out.push({ key, kind: "changed", before: a[key], after: b[key] });
  }
  return out;
}

function checkpointOf(s: ThreadState): string {
  return s.checkpoint?.checkpoint_id ?? "";
}

function ThreadDetail({ threadId }: { threadId: string }) {
  const client = useClient();
  const thread = useLoad(() => client.threads.get(threadId), [threadId]);
  const state = useLoad(() => client.threads.getState(threadId), [threadId]);
  const history = useLoad(() => client.threads.getHistory(threadId, { limit: 50 }), [threadId]);
  const [picked, setPicked] = useState<string[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [forkInput, setForkInput] = useState("");
  const [editValues, setEditValues] = useState<string | null>(null);
  const [asNode, setAsNode] = useState("");
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const assistant = assistantOf(thread.data);
  const reload = () => { thread.reload(); state.reload(); history.reload(); };
  const states = history.data ?? [];
  const byId = new Map(states.map((s) => [checkpointOf(s), s]));
  const chosen = selected ? byId.get(selected) : states[0];
  const pick = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  // older first, so the diff reads from the earlier checkpoint to the later one
  const [older, newer] = picked.map((id) => byId.get(id)).filter(Boolean).sort((x, y) => states.indexOf(y!) - states.indexOf(x!));

  const fork = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      if (!chosen || !assistant) throw new Error("choose a checkpoint of a thread that has run an assistant");
      const input = parseJson(forkInput, "fork input") as Record<string, unknown> | undefined;
      const run = await client.runs.create(threadId, assistant, {
        input: input ?? null, checkpointId: checkpointOf(chosen), streamResumable: true, onDisconnect: "continue",
        streamMode: ["values", "updates", "messages-tuple", "custom"], streamSubgraphs: true,
      });
      location.hash = link("/runs", { assistant, thread: threadId, join: run.run_id });
    } catch (err) { setProblem(err); }
  };
  const edit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      const values = parseJson(editValues ?? "", "values");
      const result = await client.threads.updateState(threadId, {
        values: values as Record<string, unknown>, asNode: asNode || undefined,
        checkpointId: chosen ? checkpointOf(chosen) : undefined,
      });
      setNotice(`state updated: checkpoint ${short(String(result.configurable?.checkpoint_id ?? ""))}`);
      setEditValues(null);
      setSelected(null);
      reload();
    } catch (err) { setProblem(err); }
  };
  return (
    <>
      <header className="title">
        <h1>Thread <code>{short(threadId)}</code></h1>
        {thread.data && <span className={`status ${thread.data.status}`} id="thread-status">{thread.data.status}</span>}
        <button type="button" onClick={reload}>Refresh</button>
        {assistant && <a className="button" href={link("/runs", { assistant, thread: threadId })}>Runs</a>}
      </header>
      <ErrorBox error={thread.error ?? state.error ?? history.error} />
      {problem != null && <p className="error" role="alert" id="thread-error">{errorText(problem)}</p>}
      {notice && <p className="notice" id="thread-notice">{notice}</p>}
      {assistant && state.data?.tasks?.some((t) => t.interrupts?.length) && (
        <p className="notice" id="thread-interrupt">
          Waiting on an interrupt: <a href={link("/runs", { assistant, thread: threadId })}>answer it in Runs</a>
        </p>
      )}
      {thread.data && (
        <details className="about">
          <summary>thread <code>{threadId}</code>: metadata, created {when(thread.data.created_at)}</summary>
          <Json value={thread.data.metadata} />
        </details>
      )}
      <div className="columns">
        <Section title="Checkpoints" id="timeline">
          <p className="hint">Newest first. Click one to see it; tick two to compare.</p>
          <ol className="timeline">
            {states.map((s, i) => {
              const id = checkpointOf(s);
              const step = (s.metadata as Record<string, unknown> | undefined)?.step;
              const source = (s.metadata as Record<string, unknown> | undefined)?.source;
              const writes = Object.keys(((s.metadata as Record<string, unknown> | undefined)?.writes as object) ?? {});
              return (
                <li key={id} data-checkpoint={id} className={(chosen === s ? "current " : "") + (s.tasks?.some((t) => t.interrupts?.length) ? "interrupted" : "")}>
                  <input type="checkbox" aria-label={`compare ${short(id)}`} className="pick" checked={picked.includes(id)} onChange={() => pick(id)} />
                  <button type="button" className="link" onClick={() => setSelected(id)}>
                    <b>step {String(step ?? states.length - 1 - i)}</b> <small>{String(source ?? "")}</small>{" "}
                    <small>{writes.length ? `← ${writes.join(", ")}` : ""}</small>{" "}
                    <small className="muted">next: {s.next.join(", ") || "—"}</small>
                  </button>
                  <small className="muted"> <code>{short(id)}</code> {when(s.created_at)}</small>
                </li>
              );
            })}
          </ol>
        </Section>
        <div>
          <Section title={chosen === states[0] ? "State (latest)" : `State at ${short(chosen && checkpointOf(chosen))}`} id="state">
            {chosen ? (
              <>
                <p className="muted">next: <code>{chosen.next.join(", ") || "—"}</code>
                  {chosen.tasks?.flatMap((t) => t.interrupts ?? []).length ? " · waiting on an interrupt" : ""}</p>
                <Json value={chosen.values} className="state-values" />
              </>
            ) : (
              state.data && <Json value={state.data.values} className="state-values" />
            )}
          </Section>
          {older && newer && (
            <Section title={`Diff ${short(checkpointOf(older))} → ${short(checkpointOf(newer))}`} id="diff">
              <table className="diff">
                <tbody>
                  {diffValues(older.values as Record<string, unknown>, newer.values as Record<string, unknown>).map((d) => (
                    <tr key={d.key} className={d.kind} data-key={d.key}>
                      <th>{d.key}</th><td>{d.kind}</td>
                      <td>{d.before !== undefined && <Json value={d.before} className="before" />}</td>
                      <td>{d.after !== undefined && <Json value={d.after} className="after" />}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
          )}
          <Section title="Fork from this checkpoint" id="fork">
            <form onSubmit={fork}>
              <p className="hint">Starts a run of <code>{String((thread.data?.metadata as Record<string, unknown> | null)?.graph_id ?? assistant ?? "?")}</code> from <code>{short(chosen && checkpointOf(chosen))}</code>. Leave the input empty to go on from there.</p>
              <textarea id="fork-input" className="mono" rows={3} value={forkInput} onChange={(e) => setForkInput(e.target.value)} placeholder='{"messages": [{"type": "human", "content": "…"}]}' />
              <button type="submit" id="fork-run" disabled={!chosen || !assistant}>Fork: run from here</button>
            </form>
          </Section>
          <Section title="Edit state" id="edit">
            <form onSubmit={edit}>
              <textarea id="edit-values" className="mono" rows={6} spellCheck={false}
                value={editValues ?? ""} placeholder={`{"key": "new value"}  (keys of ${JSON.stringify(Object.keys((chosen?.values as object) ?? {}))}; reducers apply)`} onChange={(e) => setEditValues(e.target.value)} />
              <label>as node <input id="as-node" value={asNode} onChange={(e) => setAsNode(e.target.value)} placeholder="(the last node to write)" /></label>
              <button type="submit" id="update-state">Update state</button>
            </form>
          </Section>
        </div>
      </div>
    </>
  );
}
