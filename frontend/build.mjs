// Build static/vendor/editor.min.js: CodeMirror 6 + Python in one minified file.
// Usage: cd frontend && npm ci && npm run build
// Also refreshes tests/e2e/vendor/axe.min.js (axe-core, used only by the browser tests).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const out = join(root, "static", "vendor", "editor.min.js");

const versions = ["state", "view", "commands", "language", "lang-python"]
  .map((p) => `@codemirror/${p}@${JSON.parse(readFileSync(join(here, "node_modules", "@codemirror", p, "package.json"))).version}`)
  .join(", ");

await build({
  entryPoints: [join(here, "src", "editor.js")],
  outfile: out,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2017"], // old library PCs: nothing newer than ES2017 in the output
  legalComments: "none",
  banner: {
    js: `/*! CODE Kids editor: ${versions}, @lezer/*. MIT licence (c) Marijn Haverbeke and others; see static/vendor/README.md. Built by frontend/build.mjs */`,
  },
  logLevel: "info",
});

const raw = readFileSync(out);
console.log(`${out}: ${raw.length} bytes, ${gzipSync(raw, { level: 9 }).length} gzip`);

const axeDir = join(root, "tests", "e2e", "vendor");
mkdirSync(axeDir, { recursive: true });
copyFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), join(axeDir, "axe.min.js"));
console.log(`axe-core copied: ${statSync(join(axeDir, "axe.min.js")).size} bytes`);
