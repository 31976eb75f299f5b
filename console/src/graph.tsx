// A graph from GET /assistants/{id}/graph drawn as SVG, top to bottom: nodes put in layers
// by their longest path from __start__ (edges that close a cycle are ignored for that), each
// layer ordered by the mean position of its parents; conditional edges dashed, edges going
// back up drawn as arcs on the side. Subgraph nodes (`parent:child`, with xray) are framed.

type GraphNode = { id: string; name?: string; data?: unknown; type?: string };
type GraphEdge = { source: string; target: string; conditional?: boolean; data?: unknown };
export type GraphJson = { nodes: GraphNode[]; edges: GraphEdge[] };

const W = 150, H = 36, GAP_X = 36, GAP_Y = 56, PAD = 24;

type Placed = { id: string; label: string; x: number; y: number; layer: number };

export function layout(graph: GraphJson): { nodes: Map<string, Placed>; width: number; height: number } {
  const ids = graph.nodes.map((n) => n.id);
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of graph.edges) if (out.has(e.source) && out.has(e.target)) out.get(e.source)!.push(e.target);
  // depth-first from the start (then from anything unreached): edges to a node on the stack close a cycle
  const back = new Set<string>(), state = new Map<string, number>(), order: string[] = [];
  const visit = (id: string) => {
    state.set(id, 1);
    for (const t of out.get(id)!) {
      if (state.get(t) === 1) back.add(`${id}\u0000${t}`);
      else if (!state.has(t)) visit(t);
    }
    state.set(id, 2);
    order.push(id);
  };
  const roots = ids.includes("__start__") ? ["__start__", ...ids] : ids;
  for (const id of roots) if (!state.has(id)) visit(id);
  order.reverse(); // a topological order of the forward edges
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const id of order) {
    for (const t of out.get(id)!) {
      if (!back.has(`${id}\u0000${t}`)) layer.set(t, Math.max(layer.get(t)!, layer.get(id)! + 1));
    }
  }
  if (layer.has("__end__")) layer.set("__end__", Math.max(...layer.values(), 1)); // the end at the bottom
  const layers: string[][] = [];
  for (const id of order) (layers[layer.get(id)!] ??= []).push(id);
  const pos = new Map<string, number>();
  layers.forEach((ls) => ls?.forEach((id, i) => pos.set(id, i)));
  const parents = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of graph.edges) if (parents.has(e.target) && layer.get(e.source)! < layer.get(e.target)!) parents.get(e.target)!.push(e.source);
  for (let sweep = 0; sweep < 4; sweep++) {
    for (const ls of layers) {
      if (!ls) continue;
      const key = (id: string) => {
        const ps = parents.get(id)!;
        return ps.length ? ps.reduce((s, p) => s + pos.get(p)!, 0) / ps.length : pos.get(id)!;
      };
      ls.sort((a, b) => key(a) - key(b));
      ls.forEach((id, i) => pos.set(id, i));
    }
  }
  const widest = Math.max(1, ...layers.map((ls) => ls?.length ?? 0));
  const width = PAD * 2 + widest * W + (widest - 1) * GAP_X + 120; // room for back edges on both sides
  const nodes = new Map<string, Placed>();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  layers.forEach((ls, li) => {
    if (!ls) return;
    const row = ls.length * W + (ls.length - 1) * GAP_X;
    ls.forEach((id, i) => {
      const n = byId.get(id)!;
      nodes.set(id, {
        id, layer: li, label: typeof n.name === "string" ? n.name : id,
        x: (width - row) / 2 + i * (W + GAP_X), y: PAD + li * (H + GAP_Y),
      });
    });
  });
  return { nodes, width, height: PAD * 2 + layers.length * (H + GAP_Y) - GAP_Y };
}

function groupOf(id: string): string | null {
  const i = id.lastIndexOf(":");
  return i > 0 ? id.slice(0, i) : null;
}

export function GraphSvg({ graph, onNode }: { graph: GraphJson; onNode?: (id: string) => void }) {
  const { nodes, width, height } = layout(graph);
  const groups = new Map<string, Placed[]>();
  for (const n of nodes.values()) {
    const g = groupOf(n.id);
    if (g) (groups.get(g) ?? groups.set(g, []).get(g)!).push(n);
  }
  return (
    <svg className="graph" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" className="arrowhead" />
        </marker>
      </defs>
      {[...groups].map(([g, ns]) => {
        const x = Math.min(...ns.map((n) => n.x)) - 10, y = Math.min(...ns.map((n) => n.y)) - 22;
        const x2 = Math.max(...ns.map((n) => n.x + W)) + 10, y2 = Math.max(...ns.map((n) => n.y + H)) + 10;
        return (
          <g key={g} className="subgraph" data-subgraph={g}>
            <rect x={x} y={y} width={x2 - x} height={y2 - y} rx="8" />
            <text x={x + 8} y={y + 14}>{g}</text>
          </g>
        );
      })}
      {graph.edges.map((e, i) => {
        const a = nodes.get(e.source), b = nodes.get(e.target);
        if (!a || !b) return null;
        let d: string;
        if (b.layer > a.layer) {
          const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y;
          d = `M${x1},${y1} C${x1},${y1 + GAP_Y / 2} ${x2},${y2 - GAP_Y / 2} ${x2},${y2}`;
        } else { // back (or same-layer) edge: round the outside, on the side of the source
          const left = a.x + W / 2 < width / 2 - 30;
          const x1 = left ? a.x : a.x + W, x2 = left ? b.x : b.x + W, y1 = a.y + H / 2, y2 = b.y + H / 2;
          const between = [...nodes.values()].filter((n) => n.layer >= b.layer && n.layer <= a.layer);
          const bulge = left
            ? Math.min(...between.map((n) => n.x)) - 30 - (i % 3) * 8
            : Math.max(...between.map((n) => n.x + W)) + 30 + (i % 3) * 8;
          d = `M${x1},${y1} C${bulge},${y1} ${bulge},${y2} ${x2},${y2}`;
        }
        const label = typeof e.data === "string" ? e.data : undefined;
        return (
          <g key={i} className={`edge${e.conditional ? " conditional" : ""}`} data-source={e.source} data-target={e.target}>
            <path d={d} markerEnd="url(#arrow)" />
            {label && <text x={(a.x + b.x) / 2 + W / 2 + 4} y={(a.y + H + b.y) / 2}>{label}</text>}
          </g>
        );
      })}
      {[...nodes.values()].map((n) => {
        const special = n.id === "__start__" || n.id === "__end__";
        return (
          <g
            key={n.id} className={`node${special ? " special" : ""}`} data-node={n.id}
            tabIndex={onNode ? 0 : undefined} role={onNode ? "button" : undefined}
            onClick={onNode && (() => onNode(n.id))}
            onKeyDown={onNode && ((ev) => (ev.key === "Enter" || ev.key === " ") && onNode(n.id))}
          >
            <rect x={n.x} y={n.y} width={W} height={H} rx={special ? H / 2 : 6} />
            <text x={n.x + W / 2} y={n.y + H / 2 + 4} textAnchor="middle">
              {(groupOf(n.id) ? n.label.slice(n.label.lastIndexOf(":") + 1) : n.label).slice(0, 20)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
