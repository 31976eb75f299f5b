// A run's input from the graph's input JSON schema: one field per top-level property
// (text, number, checkbox, a chat message for `messages`, JSON for the rest), and the raw
// JSON beside it, which is what is sent; editing a field rewrites the raw JSON.
import { useId } from "react";

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; title?: string; description?: string; enum?: unknown[]; $ref?: string; anyOf?: Schema[] };

function kind(name: string, s: Schema): "message" | "string" | "number" | "boolean" | "enum" | "json" {
  if (name === "messages") return "message";
  if (s.enum) return "enum";
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type ?? s.anyOf?.map((a) => a.type).find((x) => x && x !== "null");
  if (t === "string") return "string";
  if (t === "number" || t === "integer") return "number";
  if (t === "boolean") return "boolean";
  return "json";
}

function messageText(value: unknown): string {
  if (Array.isArray(value) && value.length === 1 && typeof value[0]?.content === "string") return value[0].content;
  return "";
}

export function SchemaForm({ schema, raw, onRaw }: { schema: Schema | null | undefined; raw: string; onRaw: (raw: string) => void }) {
  const uid = useId();
  let values: Record<string, unknown> = {};
  let rawOk = true;
  try {
    const parsed = raw.trim() ? JSON.parse(raw) : {};
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) values = parsed;
    else rawOk = false;
  } catch {
    rawOk = false;
  }
  const set = (name: string, value: unknown) => {
    const next = { ...values };
    if (value === undefined || value === "") delete next[name];
    else next[name] = value;
    onRaw(JSON.stringify(next, null, 2));
  };
  const props = Object.entries(schema?.properties ?? {});
  return (
    <div className="schema-form">
      {props.length > 0 && (
        <fieldset disabled={!rawOk} className="fields">
          <legend>Input{schema?.title ? ` (${schema.title})` : ""}</legend>
          {props.map(([name, s]) => {
            const id = `${uid}-${name}`;
            const k = kind(name, s);
            const v = values[name];
            return (
              <label key={name} htmlFor={id} className={`field field-${k}`}>
                <span>{name}{k === "message" ? " (a human message)" : ""}</span>
                {k === "message" && (
                  <input id={id} data-field={name} value={messageText(v)} placeholder="Say something"
                    onChange={(e) => set(name, e.target.value ? [{ type: "human", content: e.target.value }] : undefined)} />
                )}
                {k === "string" && <input id={id} data-field={name} value={typeof v === "string" ? v : ""} onChange={(e) => set(name, e.target.value)} />}
                {k === "number" && (
                  <input id={id} data-field={name} type="number" value={typeof v === "number" ? v : ""}
                    onChange={(e) => set(name, e.target.value === "" ? undefined : Number(e.target.value))} />
                )}
                {k === "boolean" && <input id={id} data-field={name} type="checkbox" checked={v === true} onChange={(e) => set(name, e.target.checked)} />}
                {k === "enum" && (
                  <select id={id} data-field={name} value={v == null ? "" : String(v)} onChange={(e) => set(name, s.enum!.find((x) => String(x) === e.target.value))}>
                    <option value="">—</option>
                    {s.enum!.map((x) => <option key={String(x)}>{String(x)}</option>)}
                  </select>
                )}
                {k === "json" && (
                  <input id={id} data-field={name} className="mono" placeholder="JSON" defaultValue={v === undefined ? "" : JSON.stringify(v)}
                    key={JSON.stringify(v)}
                    onBlur={(e) => { try { set(name, e.target.value ? JSON.parse(e.target.value) : undefined); } catch { /* kept as typed */ } }} />
                )}
                {s.description && <small>{s.description}</small>}
              </label>
            );
          })}
        </fieldset>
      )}
      <label className="field">
        <span>Input as JSON {rawOk ? "" : <em className="warn">(not a JSON object: the form is off)</em>}</span>
        <textarea id="run-input" className="mono" rows={6} value={raw} onChange={(e) => onRaw(e.target.value)} spellCheck={false} />
      </label>
    </div>
  );
}
