// Small pieces every view uses: loading data, showing errors and JSON, hash links.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import type { Client } from "@langchain/langgraph-sdk";

export const ClientContext = createContext<Client | null>(null);

export function useClient(): Client {
  const client = useContext(ClientContext);
  if (client == null) throw new Error("no client");
  return client;
}

export type Loaded<T> = { data: T | undefined; error: unknown; loading: boolean; reload: () => void };

/** Runs `load` when `deps` change (and on `reload()`); the latest answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined, error: undefined, loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => { live = false; };
  }, [...deps, tick]); // `load` is a new closure each render: `deps` say when it changes
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function errorText(error: unknown): string {
  if (error == null) return "";
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : JSON.stringify(error);
}

export function ErrorBox({ error }: { error: unknown }) {
  if (error == null) return null;
  return <p className="error" role="alert">{errorText(error)}</p>;
}

export function Json({ value, className }: { value: unknown; className?: string }) {
  return <pre className={`json ${className ?? ""}`}>{JSON.stringify(value, null, 2)}</pre>;
}

export function Section({ title, children, actions, id }: { title: string; children: ReactNode; actions?: ReactNode; id?: string }) {
  return (
    <section className="card" id={id}>
      <header><h2>{title}</h2>{actions}</header>
      {children}
    </section>
  );
}

export function parseJson(text: string, what: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: not valid JSON (${errorText(e)})`);
  }
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** The last 8 characters: the random part of time-ordered ids (UUIDv6/v7), whose heads repeat. */
export function short(id: string | null | undefined): string {
  return id ? id.slice(-8) : "";
}

export const link = (path: string, params?: Record<string, string | undefined>): string => {
  const query = new URLSearchParams(Object.entries(params ?? {}).filter(([, v]) => v != null && v !== "") as [string, string][]);
  const q = query.toString();
  return `#${path}${q ? `?${q}` : ""}`;
};
