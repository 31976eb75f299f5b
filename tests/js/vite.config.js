// Builds the useStream test page (app/) into app/dist. No React plugin: esbuild's own JSX.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL("./app", import.meta.url)),
  base: "./",
  logLevel: "error", // zod (via @langchain/core) trips Rollup's comment-annotation warnings
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
});
