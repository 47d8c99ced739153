// Copies the front-end assets from node_modules into kinerja_shared/static/vendor, so pages need no CDN.
// Run after `npm ci`: `npm run vendor`. The target directory is gitignored and rebuilt from package-lock.json.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const target = join(root, "shared", "src", "kinerja_shared", "static", "vendor");

// source (under node_modules) -> file name under static/vendor; names carry no version so templates stay stable
const assets = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["@picocss/pico/css/pico.min.css", "pico.min.css"],
  ["chart.js/dist/chart.umd.min.js", "chart.umd.min.js"],
  // the variant without $id resolves every $ref inside the file, so validators need no network
  ["@asyncapi/specs/schemas/3.0.0-without-$id.json", "asyncapi-3.0.0.json"],
];

// a stale file from an older build must not survive a rebuild
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });

const versions = {};
for (const [source, name] of assets) {
  copyFileSync(join(modules, source), join(target, name));
  const pkg = source.startsWith("@") ? source.split("/").slice(0, 2).join("/") : source.split("/")[0];
  versions[name] = `${pkg}@${JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version}`;
}
// fixed key order and no timestamp, so two builds from one lockfile give identical bytes
const manifest = Object.fromEntries(Object.keys(versions).sort().map((k) => [k, versions[k]]));
writeFileSync(join(target, "VERSIONS.json"), JSON.stringify(manifest, null, 2) + "\n");
for (const [name, version] of Object.entries(manifest)) console.log(`vendored ${name} (${version})`);
