// Builds the console into the Python package (server/console_dist), relative to a <base>
// the server adds, so the same files work under any mount prefix. No React plugin:
// esbuild's own JSX. scripts/build-console.sh runs this and stamps the sources' hash.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "error", // zod (via @langchain/core) trips Rollup's comment-annotation warnings
  esbuild: { jsx: "automatic", legalComments: "none" },
  build: {
    outDir: fileURLToPath(new URL("../server/console_dist", import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
});
