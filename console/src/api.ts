// The console's one way to the server: the official Client, at the URL the page is served
// under (`<base>` is `{prefix}/console/`, so the API is one level up), with the user's
// Authorization header from localStorage on every request.
import { Client } from "@langchain/langgraph-sdk";

const AUTH_KEY = "threadloom.console.authorization";

export const apiUrl = new URL("..", document.baseURI).href.replace(/\/$/, "");

export function authorization(): string {
  return localStorage.getItem(AUTH_KEY) ?? "";
}

export function setAuthorization(value: string): void {
  if (value) localStorage.setItem(AUTH_KEY, value);
  else localStorage.removeItem(AUTH_KEY);
}

export function headers(): Record<string, string> {
  const value = authorization();
  return value ? { Authorization: value } : {};
}

export function makeClient(): Client {
  return new Client({ apiUrl, apiKey: null, defaultHeaders: headers(), callerOptions: { maxRetries: 0 } });
}

/** GET a path of the API that the Client has no method for (`/metrics`, `/info`). */
export async function getJson<T = unknown>(path: string): Promise<T> {
  const response = await fetch(apiUrl + path, { headers: headers() });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
