// `npm run build`: compiles src/pulje/static/src into src/pulje/static/build, which Django
// serves as static files. Everything a page loads comes from that folder: DKFDS's styles and
// scripts are compiled from node_modules, and each font and icon the CSS points to is copied
// next to it, so nothing is fetched from another server (the CSP is default-src 'self').
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../../..");
const out = resolve(here, "../build");
const dkfds = join(root, "node_modules/dkfds/dist");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const css = sass.compile(join(here, "pulje.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  sourceMap: false,
  // Deprecation warnings about DKFDS's own sources are DKFDS's to fix, not ours.
  quietDeps: true,
}).css;
writeFileSync(join(out, "pulje.css"), css);

// Copy every file the CSS refers to. pulje.scss points DKFDS's paths at folders beside the
// CSS that mirror dkfds/dist (fonts/, img/), so a url() names its source file in dkfds/dist.
const missing = [];
const copied = new Set();
for (const match of css.matchAll(/url\(\s*(["']?)([^"')]+)\1\s*\)/g)) {
  const url = match[2];
  if (url.startsWith("data:") || copied.has(url)) continue;
  if (/^[a-z]+:|^\/\//i.test(url) || url.startsWith("/")) {
    missing.push(`${url} (not a relative path inside the build folder)`);
    continue;
  }
  const path = normalize(url.split(/[?#]/)[0]);
  const source = join(dkfds, path);
  if (path.startsWith("..") || !existsSync(source)) {
    missing.push(url);
    continue;
  }
  mkdirSync(dirname(join(out, path)), { recursive: true });
  cpSync(source, join(out, path));
  copied.add(url);
}
if (missing.length) {
  console.error(`pulje.css refers to files that are not in dkfds/dist:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}

// The icon sprite the templates use with <svg><use href=".../icons.svg#name">.
cpSync(join(dkfds, "img/all-svg-icons.svg"), join(out, "icons.svg"));
cpSync(join(here, "favicon.svg"), join(out, "favicon.svg"));

// The licences of the third-party files served from the folder.
cpSync(join(dkfds, "LICENSE.md"), join(out, "LICENSE-dkfds.md"));
cpSync(join(dkfds, "fonts/IBMPlexSans/complete/woff2/license.txt"), join(out, "fonts/LICENSE-IBMPlexSans.txt"));

await esbuild.build({
  entryPoints: [join(here, "pulje.js")],
  outfile: join(out, "pulje.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2019"],
  legalComments: "linked",
  logLevel: "warning",
});

console.log(`Built ${relative(root, out)}: pulje.css, pulje.js, icons.svg and ${copied.size} files the CSS uses.`);
