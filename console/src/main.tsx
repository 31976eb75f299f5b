// The console's shell: the four views behind hash routes (#/graphs, #/threads, #/runs,
// #/ops), keys 1-4 and g/t/r/o to switch, and the Authorization header the API calls carry.
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { createRoot } from "react-dom/client";
import { apiUrl, authorization, makeClient, setAuthorization } from "./api";
import { GraphsView } from "./graphs";
import { OperationsView } from "./operations";
import { RunsView } from "./runs";
import { ThreadsView } from "./threads";
import { ClientContext } from "./ui";
import "./style.css";

const VIEWS = [
  { path: "/graphs", label: "Graphs", keys: ["1", "g"] },
  { path: "/threads", label: "Threads", keys: ["2", "t"] },
  { path: "/runs", label: "Runs", keys: ["3", "r"] },
  { path: "/ops", label: "Operations", keys: ["4", "o"] },
];

type Route = { view: string; id?: string; params: URLSearchParams };

function parseHash(): Route {
  const hash = location.hash.replace(/^#/, "") || "/graphs";
  const [path, query] = hash.split("?", 2);
  const [, view, id] = path.split("/");
  return { view: `/${view || "graphs"}`, id: id ? decodeURIComponent(id) : undefined, params: new URLSearchParams(query ?? "") };
}

function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const onChange = () => setRoute(parseHash());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

function AuthForm({ onSave }: { onSave: (value: string) => void }) {
  const [value, setValue] = useState(authorization());
  const [open, setOpen] = useState(false);
  const save = (e: FormEvent) => { e.preventDefault(); onSave(value.trim()); setOpen(false); };
  return (
    <div className="auth">
      <button type="button" id="auth-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {authorization() ? "Authorization: set" : "Authorization"}
      </button>
      {open && (
        <form onSubmit={save} className="auth-form">
          <label htmlFor="auth-header">Authorization header sent with every API call (kept in this browser)</label>
          <input id="auth-header" className="mono" value={value} placeholder="Bearer …" autoFocus onChange={(e) => setValue(e.target.value)} />
          <button type="submit" id="auth-save">Save</button>
        </form>
      )}
    </div>
  );
}

function App() {
  const route = useRoute();
  const [auth, setAuth] = useState(authorization());
  const client = useMemo(() => makeClient(), [auth]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      const view = VIEWS.find((v) => v.keys.includes(e.key));
      if (view) location.hash = `#${view.path}`;
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  useEffect(() => {
    document.title = `${VIEWS.find((v) => v.path === route.view)?.label ?? "Console"} · threadloom`;
  }, [route.view]);
  return (
    <ClientContext.Provider value={client}>
      <div className="shell">
        <header className="top">
          <a className="brand" href="#/graphs">threadloom</a>
          <nav aria-label="views">
            {VIEWS.map((v) => (
              <a key={v.path} href={`#${v.path}`} aria-current={route.view === v.path ? "page" : undefined} title={`key ${v.keys.join(" or ")}`}>
                {v.label}
              </a>
            ))}
          </nav>
          <span className="api muted" title="the API this console talks to">{apiUrl}</span>
          <AuthForm onSave={(value) => { setAuthorization(value); setAuth(value); }} />
        </header>
        <main key={auth} id="view" data-view={route.view}>
          {route.view === "/graphs" && <GraphsView assistantId={route.id} />}
          {route.view === "/threads" && <ThreadsView threadId={route.id} params={route.params} />}
          {route.view === "/runs" && <RunsView params={route.params} />}
          {route.view === "/ops" && <OperationsView />}
        </main>
      </div>
    </ClientContext.Provider>
  );
}

createRoot(document.getElementById("root")!).render(<App />);
