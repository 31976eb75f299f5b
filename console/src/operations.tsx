// Operations: the /metrics figures that matter, crons with their next fire time, and the
// store's namespaces and items.
import { useEffect, useState } from "react";
import { getJson } from "./api";
import { ErrorBox, Json, Section, short, useClient, useLoad, when } from "./ui";

type Metrics = {
  queue: { n_pending: number; n_running: number };
  workers: { max: number; active: number; available: number };
  runs: { finished: Record<string, number> | number };
  streams: { live: number; subscribers: number };
  threads: { supervised: number };
  loop_lag: { observations: number; sum_seconds: number; max_seconds: number };
};

function Figure({ label, value, id }: { label: string; value: string | number; id?: string }) {
  return <div className="figure" id={id}><span className="value">{value}</span><span className="label">{label}</span></div>;
}

export function OperationsView() {
  const client = useClient();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 3000);
    return () => clearInterval(timer);
  }, []);
  const metrics = useLoad(() => getJson<Metrics>("/metrics?format=json"), [tick]);
  const crons = useLoad(() => client.crons.search({ limit: 100 }), []);
  const namespaces = useLoad(() => client.store.listNamespaces({ limit: 100 }), []);
  const [ns, setNs] = useState<string[] | null>(null);
  const items = useLoad(() => (ns ? client.store.searchItems(ns, { limit: 50 }) : Promise.resolve(null)), [ns?.join("\u0000")]);
  const m = metrics.data;
  const finished = m && (typeof m.runs.finished === "number" ? { all: m.runs.finished } : m.runs.finished);
  const lagMean = m && m.loop_lag.observations ? (m.loop_lag.sum_seconds / m.loop_lag.observations) * 1000 : 0;
  return (
    <>
      <header className="title"><h1>Operations</h1><span className="muted">refreshed every 3 s</span></header>
      <Section title="Runtime" id="metrics">
        <ErrorBox error={metrics.error} />
        {m && (
          <div className="figures">
            <Figure id="m-pending" label="runs pending (queue)" value={m.queue.n_pending} />
            <Figure id="m-running" label="runs running" value={m.queue.n_running} />
            <Figure label="run slots free" value={`${m.workers.available} / ${m.workers.max}`} />
            <Figure id="m-streams" label="live streams" value={m.streams.live} />
            <Figure label="stream subscribers" value={m.streams.subscribers} />
            <Figure label="threads supervised" value={m.threads.supervised} />
            <Figure id="m-lag" label="loop lag mean / max (ms)" value={`${lagMean.toFixed(1)} / ${(m.loop_lag.max_seconds * 1000).toFixed(1)}`} />
          </div>
        )}
        {finished && (
          <table id="runs-by-status"><thead><tr><th>finished runs by status</th><th>count</th></tr></thead>
            <tbody>{Object.entries(finished).map(([k, v]) => <tr key={k}><td><span className={`status ${k}`}>{k}</span></td><td>{v}</td></tr>)}</tbody>
          </table>
        )}
      </Section>
      <Section title="Crons" id="crons">
        <ErrorBox error={crons.error} />
        <div className="table-wrap">
          <table>
            <thead><tr><th>cron</th><th>schedule</th><th>assistant</th><th>thread</th><th>next run</th><th>enabled</th></tr></thead>
            <tbody>
              {crons.data?.map((c) => (
                <tr key={c.cron_id} data-cron={c.cron_id}>
                  <td><code>{short(c.cron_id)}</code></td><td><code>{c.schedule}</code></td><td>{short(c.assistant_id)}</td>
                  <td>{c.thread_id ? <a href={`#/threads/${c.thread_id}`}>{short(c.thread_id)}</a> : "new each time"}</td>
                  <td className="next-run">{when(c.next_run_date)}</td>
                  <td>{String((c as { enabled?: boolean }).enabled ?? true)}</td>
                </tr>
              ))}
              {crons.data?.length === 0 && <tr><td colSpan={6} className="muted">No crons.</td></tr>}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Store" id="store">
        <ErrorBox error={namespaces.error} />
        <div className="columns">
          <ul className="namespaces" id="namespaces">
            {namespaces.data?.namespaces.map((n) => (
              <li key={n.join("/")}>
                <button type="button" className={`link${ns?.join("/") === n.join("/") ? " current" : ""}`} onClick={() => setNs(n)}>{n.join(" / ")}</button>
              </li>
            ))}
            {namespaces.data?.namespaces.length === 0 && <li className="muted">The store is empty.</li>}
          </ul>
          <div id="items">
            <ErrorBox error={items.error} />
            {items.data?.items.map((it) => (
              <details key={it.key} open data-key={it.key}>
                <summary><b>{it.key}</b> <small className="muted">updated {when(it.updatedAt as unknown as string)}</small></summary>
                <Json value={it.value} />
              </details>
            ))}
          </div>
        </div>
      </Section>
    </>
  );
}
