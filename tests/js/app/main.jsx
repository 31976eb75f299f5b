// A tiny chat page on `useStream` (@langchain/langgraph-sdk/react), for the browser tests.
// Query parameters: api (the threadloom URL: another origin), assistant (graph id),
// delay (configurable.token_delay for the slowchat graph), thread (kept in the URL so that a
// reload comes back to the same thread; `reconnectOnMount` then rejoins a run in flight).
import { useCallback, useState } from "react";
import { createRoot } from "react-dom/client";
import { useStream } from "@langchain/langgraph-sdk/react";

const params = new URLSearchParams(location.search);
const apiUrl = params.get("api");
const assistantId = params.get("assistant") ?? "chat";
const delay = params.get("delay");
const config = delay != null ? { configurable: { token_delay: Number(delay) } } : undefined;

// what the hook reported, for the test to read
window.__events = [];
const record = (kind, detail) => window.__events.push({ kind, ...detail });

function text(content) {
  return typeof content === "string" ? content : JSON.stringify(content);
}

function App() {
  const [threadId, setThreadId] = useState(params.get("thread"));
  const onThreadId = useCallback((id) => {
    setThreadId(id);
    const url = new URL(location.href);
    url.searchParams.set("thread", id);
    history.replaceState(null, "", url);
  }, []);
  const stream = useStream({
    apiUrl,
    assistantId,
    threadId,
    onThreadId,
    reconnectOnMount: true,
    onCreated: (meta) => record("created", meta),
    onFinish: (state, meta) => record("finish", { run_id: meta?.run_id, next: state.next }),
    onStop: () => record("stop", {}),
    onError: (error, meta) => record("error", { name: error?.name, message: String(error?.message ?? error), run_id: meta?.run_id }),
  });
  const [draft, setDraft] = useState("");
  const [answer, setAnswer] = useState("");
  const messages = stream.messages;
  const interrupt = stream.interrupt;

  const send = (event) => {
    event.preventDefault();
    stream.submit({ messages: [{ type: "human", content: draft }] }, { config });
    setDraft("");
  };
  const resume = (event) => {
    event.preventDefault();
    stream.submit(null, { command: { resume: answer }, config });
    setAnswer("");
  };

  return (
    <main>
      <h1>useStream → threadloom</h1>
      <p>
        <code id="thread">{threadId ?? "no thread"}</code> · <span id="state">{stream.isLoading ? "loading" : "idle"}</span>
      </p>
      <ul id="messages">
        {messages.map((m, i) => (
          <li key={m.id ?? i} className="message" data-type={m.type} data-id={m.id}>
            <b>{m.type}:</b> <span className="content">{text(m.content)}</span>
          </li>
        ))}
      </ul>
      {interrupt != null && interrupt.value != null && (
        <form id="interrupt" onSubmit={resume}>
          <span id="question">{interrupt.value.question ?? text(interrupt.value)}</span>{" "}
          <input id="answer" value={answer} onChange={(e) => setAnswer(e.target.value)} />
          <button id="resume" type="submit">Answer</button>
        </form>
      )}
      {stream.error != null && <p id="error">{String(stream.error?.message ?? stream.error)}</p>}
      <form onSubmit={send}>
        <input id="text" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Say something" />
        <button id="send" type="submit" disabled={stream.isLoading}>Send</button>
        <button id="stop" type="button" disabled={!stream.isLoading} onClick={() => stream.stop()}>Stop</button>
      </form>
    </main>
  );
}

createRoot(document.getElementById("root")).render(<App />);
