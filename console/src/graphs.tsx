// Graphs: the assistants, and one assistant's graph, schemas and versions.
import { useState } from "react";
import type { Assistant } from "@langchain/langgraph-sdk";
import { GraphSvg, type GraphJson } from "./graph";
import { ErrorBox, Json, Section, link, useClient, useLoad, when } from "./ui";

const SCHEMAS = ["input_schema", "output_schema", "state_schema", "config_schema", "context_schema"] as const;

export function GraphsView({ assistantId: chosen }: { assistantId?: string }) {
  const client = useClient();
  const assistants = useLoad(() => client.assistants.search({ limit: 200, sortBy: "name", sortOrder: "asc" }), []);
  // an assistant id, or a graph id (its system assistant); else the first one
  const assistantId = assistants.data?.find((a) => a.assistant_id === chosen || (a.graph_id === chosen && a.metadata?.created_by === "system"))?.assistant_id
    ?? (chosen ? undefined : assistants.data?.[0]?.assistant_id);
  return (
    <div className="split">
      <nav className="list" aria-label="assistants">
        <h2>Assistants</h2>
        <ErrorBox error={assistants.error} />
        <ul id="assistants">
          {assistants.data?.map((a) => (
            <li key={a.assistant_id} className={a.assistant_id === assistantId ? "current" : ""}>
              <a href={link(`/graphs/${a.assistant_id}`)} data-assistant={a.graph_id}>
                <b>{a.name}</b>{a.name !== a.graph_id && <small> {a.graph_id}</small>} <small>v{a.version}</small>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="detail">
        {assistantId ? <AssistantDetail key={assistantId} assistantId={assistantId} /> : assistants.data && <p className="hint">{chosen ? `No assistant ${chosen}.` : "No assistants."}</p>}
      </div>
    </div>
  );
}

function AssistantDetail({ assistantId }: { assistantId: string }) {
  const client = useClient();
  const [xray, setXray] = useState(false);
  const assistant = useLoad(() => client.assistants.get(assistantId), [assistantId]);
  const graph = useLoad(() => client.assistants.getGraph(assistantId, { xray }) as Promise<GraphJson>, [assistantId, xray]);
  const schemas = useLoad(() => client.assistants.getSchemas(assistantId), [assistantId]);
  const versions = useLoad(() => client.assistants.getVersions(assistantId, { limit: 20 }), [assistantId]);
  const [node, setNode] = useState<string | null>(null);
  const a: Assistant | undefined = assistant.data;
  return (
    <>
      <ErrorBox error={assistant.error} />
      {a && (
        <header className="title">
          <h1>{a.name}</h1>
          <span className="muted">graph <code>{a.graph_id}</code> · version {a.version} · updated {when(a.updated_at)}</span>
          <a className="button" href={link("/runs", { assistant: a.assistant_id })}>Start a run</a>
        </header>
      )}
      {a && (
        <details className="about">
          <summary>assistant <code>{a.assistant_id}</code>: config, context, metadata</summary>
          <Json value={{ config: a.config, context: a.context, metadata: a.metadata, description: a.description }} />
        </details>
      )}
      <Section title="Graph" id="graph" actions={
        <label className="inline" title="?xray=true: draw the nodes of subgraphs">
          <input type="checkbox" id="xray" checked={xray} onChange={(e) => setXray(e.target.checked)} /> expand subgraphs
        </label>
      }>
        <ErrorBox error={graph.error} />
        <div className="graph-box">{graph.data && <GraphSvg graph={graph.data} onNode={setNode} />}</div>
        <p className="legend"><span className="solid" /> edge <span className="dashed" /> conditional edge <span className="box" /> subgraph</p>
        {node && graph.data && (
          <div className="node-info"><b>{node}</b><Json value={graph.data.nodes.find((n) => n.id === node)} /></div>
        )}
      </Section>
      <Section title="Schemas" id="schemas">
        <ErrorBox error={schemas.error} />
        {schemas.data && (
          <div className="schemas">
            {SCHEMAS.map((k) => {
              const schema = schemas.data![k];
              const empty = schema == null || Object.keys(schema).length === 0;
              return (
                <details key={k} open={k === SCHEMAS.find((x) => schemas.data![x] != null)} data-schema={k}>
                  <summary>{k.replace("_schema", "")}{empty && <small className="muted"> (none)</small>}</summary>
                  <Json value={schema ?? null} />
                </details>
              );
            })}
          </div>
        )}
      </Section>
      <Section title="Versions" id="versions">
        <ErrorBox error={versions.error} />
        <table>
          <thead><tr><th>version</th><th>created</th><th>config</th><th>context</th></tr></thead>
          <tbody>
            {versions.data?.map((v) => (
              <tr key={v.version}><td>{v.version}</td><td>{when(v.created_at)}</td><td><code>{JSON.stringify(v.config)}</code></td><td><code>{JSON.stringify(v.context ?? {})}</code></td></tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
