// Start a real threadloom server (`python -m server --port 0 --memory`) on 127.0.0.1 for a
// test file, and stop it afterwards. The interpreter is $THREADLOOM_PYTHON, else the
// project's .venv, else python3 on PATH.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const GRAPHS = join(ROOT, "tests", "graphs", "langgraph.json");

function python() {
  if (process.env.THREADLOOM_PYTHON) return process.env.THREADLOOM_PYTHON;
  const venv = join(ROOT, ".venv", "bin", "python");
  return existsSync(venv) ? venv : "python3";
}

/** Starts a server; resolves to {url, stop(), output()} once it prints its address. */
export function startServer({ config = GRAPHS, args = [] } = {}) {
  const child = spawn(python(), ["-m", "server", "--config", config, "--host", "127.0.0.1", "--port", "0", "--memory", ...args], {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: ROOT, PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));
  return new Promise((resolveReady, rejectReady) => {
    const onData = (chunk) => {
      log += chunk.toString();
      const match = /threadloom: serving on (http:\/\/\S+)/.exec(log);
      if (match && !ready) {
        ready = true;
        resolveReady({
          url: match[1].replace(/\/$/, ""),
          output: () => log,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 15000);
            await exited;
            clearTimeout(timer);
          },
        });
      }
    };
    let ready = false;
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then(({ code, signal }) => {
      if (!ready) rejectReady(new Error(`threadloom exited (${code ?? signal}) before it was ready:\n${log}`));
    });
  });
}
