// Runs: start one (a form from the input schema, or raw JSON), watch it live with useStream
// (values, updates, message tokens, custom events, subgraph namespaces), join a run in
// flight, cancel (interrupt or rollback), answer an interrupt() with Command(resume=…),
// and the thread's queue of pending runs with their multitask strategy.
import { useEffect, useRef, useState, type FormEvent } from "react";
import type { Run } from "@langchain/langgraph-sdk";
import { useStream } from "@langchain/langgraph-sdk/react";
import { SchemaForm } from "./schemaform";
import { ErrorBox, Json, Section, errorText, link, parseJson, short, useClient, useLoad, when } from "./ui";

type Event = { n: number; kind: string; ns: string; data: unknown };
const STRATEGIES = ["enqueue", "reject", "interrupt", "rollback"] as const;
type Strategy = (typeof STRATEGIES)[number];
const ACTIVE = new Set(["pending", "running"]);

export function RunsView({ params }: { params: URLSearchParams }) {
  const client = useClient();
  const assistants = useLoad(() => client.assistants.search({ limit: 200, sortBy: "name", sortOrder: "asc" }), []);
  const chosen = params.get("assistant");
  // an assistant id, or a graph id (its system assistant); else the first one
  const assistantId = assistants.data?.find((a) => a.assistant_id === chosen || (a.graph_id === chosen && a.metadata?.created_by === "system"))?.assistant_id
    ?? (chosen ? undefined : assistants.data?.[0]?.assistant_id);
  const thread = params.get("thread") ?? undefined;
  const setParams = (changes: Record<string, string | undefined>) => {
    location.hash = link("/runs", { assistant: assistantId, thread, ...changes });
  };
  return (
    <>
      <header className="title">
        <h1>Runs</h1>
        <label>assistant{" "}
          <select id="assistant" value={assistantId ?? ""} onChange={(e) => setParams({ assistant: e.target.value, thread: undefined })}>
            {assistants.data?.map((a) => <option key={a.assistant_id} value={a.assistant_id}>{a.name}</option>)}
          </select>
        </label>
        <span className="muted">thread {thread ? <a id="thread-link" href={link(`/threads/${thread}`)}><code>{short(thread)}</code></a> : "new"}</span>
        {thread && <button type="button" id="new-run-thread" onClick={() => setParams({ thread: undefined })}>New thread</button>}
      </header>
      <ErrorBox error={assistants.error} />
      {assistantId && (
        <LiveRun key={assistantId} assistantId={assistantId} threadId={thread} join={params.get("join") ?? undefined}
          onThread={(id) => setParams({ thread: id })} />
      )}
    </>
  );
}

function LiveRun({ assistantId, threadId, join, onThread }: { assistantId: string; threadId?: string; join?: string; onThread: (id: string) => void }) {
  const client = useClient();
  const [events, setEvents] = useState<Event[]>([]);
  const counter = useRef(0);
  const record = (kind: string, namespace: string[] | undefined, data: unknown) => {
    const e = { n: ++counter.current, kind, ns: (namespace ?? []).join("|"), data };
    setEvents((es) => [...es.slice(-199), e]);
  };
  const [runId, setRunId] = useState<string | undefined>(join);
  const stream = useStream<Record<string, unknown>>({
    client, assistantId, threadId: threadId ?? null,
    onThreadId: (id) => { if (id !== threadId) onThread(id); },
    reconnectOnMount: true,
    onCreated: (meta) => { setRunId(meta.run_id); record("created", [], meta); },
    onUpdateEvent: (data, { namespace }) => record("updates", namespace, data),
    onCustomEvent: (data, { namespace }) => record("custom", namespace, data),
    onMetadataEvent: (data) => { setRunId(data.run_id); record("metadata", [], data); },
    onFinish: (state) => record("finish", [], { next: state.next }),
    onError: (error) => record("error", [], errorText(error)),
    onStop: () => record("stop", [], null),
  });
  const schemas = useLoad(() => client.assistants.getSchemas(assistantId), [assistantId]);
  const [raw, setRaw] = useState("{}");
  const [config, setConfig] = useState("");
  const [context, setContext] = useState("");
  const [strategy, setStrategy] = useState<Strategy>("enqueue");
  const [resume, setResume] = useState("");
  const [problem, setProblem] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const runs = useLoad(() => (threadId ? client.runs.list(threadId, { limit: 20 }) : Promise.resolve([] as Run[])), [threadId, tick, stream.isLoading]);
  const active = runs.data?.some((r) => ACTIVE.has(r.status));
  useEffect(() => { // while something runs or waits on this thread, keep the list fresh
    if (!active && !stream.isLoading) return;
    const timer = setInterval(() => setTick((t) => t + 1), 1000);
    return () => clearInterval(timer);
  }, [active, stream.isLoading]);

  const joined = useRef(false);
  useEffect(() => { // ?join=<run>: follow a run started elsewhere (a fork, another tab)
    if (join && threadId && !joined.current) {
      joined.current = true;
      // from now on a reload rejoins through useStream (reconnectOnMount), not the URL
      history.replaceState(null, "", location.href.replace(/([?&])join=[^&]*&?/, "$1").replace(/[?&]$/, ""));
      joinRun(join);
    }
  }, [join, threadId]);

  function joinRun(id: string) {
    setRunId(id);
    record("join", [], { run_id: id });
    // as useStream does for the runs it starts: a reload rejoins this one too
    if (threadId) sessionStorage.setItem(`lg:stream:${threadId}`, id);
    stream.joinStream(id).catch(setProblem);
  }

  const start = (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      const input = parseJson(raw, "input") ?? null;
      const cfg = parseJson(config, "config") as Record<string, unknown> | undefined;
      const ctx = parseJson(context, "context") as Record<string, unknown> | undefined;
      setEvents([]);
      stream.submit(input as Record<string, unknown> | null, {
        config: cfg, context: ctx, multitaskStrategy: strategy, streamSubgraphs: true, streamResumable: true, onDisconnect: "continue",
        streamMode: ["values", "updates", "messages-tuple", "custom"],
      }).catch(setProblem);
    } catch (err) { setProblem(err); }
  };
  const answer = (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    let value: unknown = resume;
    try { value = JSON.parse(resume); } catch { /* a bare string */ }
    stream.submit(null, {
      command: { resume: value }, streamSubgraphs: true, streamResumable: true, onDisconnect: "continue",
      streamMode: ["values", "updates", "messages-tuple", "custom"],
    }).catch(setProblem);
    setResume("");
  };
  const cancel = async (id: string, action: "interrupt" | "rollback") => {
    setProblem(null);
    try {
      if (!threadId) return;
      await client.runs.cancel(threadId, id, false, action);
      record("cancel", [], { run_id: id, action });
      setTick((t) => t + 1);
    } catch (err) { setProblem(err); }
  };
  const interrupts = stream.interrupts ?? [];
  const pending = runs.data?.filter((r) => r.status === "pending") ?? [];
  const namespaces = [...new Set(events.map((e) => e.ns).filter(Boolean))];
  return (
    <div className="columns">
      <div>
        <Section title="Start a run" id="start">
          <form onSubmit={start}>
            <SchemaForm schema={(schemas.data?.input_schema ?? schemas.data?.state_schema) as never} raw={raw} onRaw={setRaw} />
            <details>
              <summary>config and context</summary>
              <label className="field"><span>config (JSON)</span>
                <textarea id="run-config" className="mono" rows={3} value={config} onChange={(e) => setConfig(e.target.value)} placeholder='{"configurable": {}}' /></label>
              <label className="field"><span>context (JSON)</span>
                <textarea id="run-context" className="mono" rows={3} value={context} onChange={(e) => setContext(e.target.value)} /></label>
            </details>
            <div className="row">
              <label>if the thread is busy{" "}
                <select id="strategy" value={strategy} onChange={(e) => setStrategy(e.target.value as Strategy)}>
                  {STRATEGIES.map((s) => <option key={s}>{s}</option>)}
                </select>
              </label>
              <button type="submit" id="submit-run">Run</button>
              <button type="button" id="stop" disabled={!stream.isLoading} onClick={() => stream.stop()} title="useStream's stop: ends the stream and cancels the run">Stop</button>
            </div>
          </form>
          {problem != null && <p className="error" role="alert" id="run-error">{errorText(problem)}</p>}
          {stream.error != null && <p className="error" role="alert" id="stream-error">{errorText(stream.error)}</p>}
        </Section>
        {interrupts.length > 0 && !stream.isLoading && (
          <Section title="Waiting on an interrupt" id="interrupt">
            {interrupts.map((it, i) => <Json key={it.id ?? i} value={it.value} className="interrupt-value" />)}
            <form onSubmit={answer}>
              <label className="field"><span>resume value (JSON, or text)</span>
                <input id="resume-value" value={resume} onChange={(e) => setResume(e.target.value)} autoFocus /></label>
              <button type="submit" id="resume">Resume</button>
            </form>
          </Section>
        )}
        <Section title="Runs on this thread" id="runs" actions={<button type="button" onClick={() => setTick((t) => t + 1)}>Refresh</button>}>
          {!threadId && <p className="hint">A new thread is made with the first run.</p>}
          <ErrorBox error={runs.error} />
          {pending.length > 0 && <p id="queue">{pending.length} pending: {pending.map((r) => `${short(r.run_id)} (${r.multitask_strategy ?? "enqueue"})`).join(", ")}</p>}
          <div className="table-wrap">
            <table id="run-list">
              <thead><tr><th>run</th><th>status</th><th>strategy</th><th>created</th><th /></tr></thead>
              <tbody>
                {runs.data?.map((r) => (
                  <tr key={r.run_id} data-run={r.run_id} data-status={r.status}>
                    <td><code>{short(r.run_id)}</code>{r.run_id === runId ? " ◀" : ""}</td>
                    <td><span className={`status ${r.status}`}>{r.status}</span></td>
                    <td>{r.multitask_strategy ?? ""}</td>
                    <td>{when(r.created_at)}</td>
                    <td>
                      {ACTIVE.has(r.status) && <div className="actions">
                        <button type="button" className="join" onClick={() => joinRun(r.run_id)} disabled={stream.isLoading && r.run_id === runId}>Join</button>
                        <button type="button" className="cancel-interrupt" onClick={() => cancel(r.run_id, "interrupt")}>Cancel</button>
                        <button type="button" className="cancel-rollback" onClick={() => cancel(r.run_id, "rollback")}>Rollback</button>
                      </div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      </div>
      <div>
        <Section title={stream.isLoading ? "Live: streaming" : "Live"} id="live" actions={<span id="live-state" className={`status ${stream.isLoading ? "busy" : "idle"}`}>{stream.isLoading ? "streaming" : "idle"}</span>}>
          <h3>Messages</h3>
          <ul id="messages" className="messages">
            {stream.messages.map((m, i) => (
              <li key={m.id ?? i} className="message" data-type={m.type}>
                <b>{m.type}</b> <span className="content">{typeof m.content === "string" ? m.content : JSON.stringify(m.content)}</span>
              </li>
            ))}
          </ul>
          <h3>Values</h3>
          <Json value={stream.values} className="live-values" />
          {namespaces.length > 0 && <p id="namespaces">subgraphs: {namespaces.map((n) => <code key={n}>{n}</code>)}</p>}
          <h3>Events</h3>
          <ol id="events" className="events">
            {events.map((e) => (
              <li key={e.n} data-kind={e.kind} data-ns={e.ns}>
                <b>{e.kind}</b>{e.ns && <code className="ns">{e.ns}</code>} <code>{JSON.stringify(e.data)}</code>
              </li>
            ))}
          </ol>
        </Section>
      </div>
    </div>
  );
}
