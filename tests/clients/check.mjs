// The TypeScript half of `tox -e clients` (run.py writes cases.json and bodies.json first).
//   node check.mjs typecheck   the documented request bodies against both clients' types,
//                              with `tsc --noEmit` (bodies.ts is written here)
//   node check.mjs run BASE    every documented case through @hey-api/openapi-ts's SDK and
//                              openapi-fetch against the mock at BASE: one line per failure,
//                              then `sent N`
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isDeepStrictEqual } from "node:util";

const require = createRequire(import.meta.url);
const tsc = require.resolve("typescript/bin/tsc");
const compilerOptions = [
  "--strict", "--skipLibCheck", "--target", "es2022", "--lib", "es2022,dom,dom.iterable",
  "--module", "commonjs", "--moduleResolution", "node10",
];
const [command, base] = process.argv.slice(2);

/** The name of the SDK function @hey-api/openapi-ts generated for the API's operation. */
function heyOperation(api) {
  const [name] = [...readFileSync(`hey/${api}/sdk.gen.ts`, "utf8").matchAll(/^export const (\w+) =/gm)]
    .map((match) => match[1]);
  return name;
}

function typecheck() {
  const bodies = JSON.parse(readFileSync("bodies.json", "utf8"));
  const lines = [
    "// Written by check.mjs: each documented request body, typed by both generated clients.",
    'type Json<B> = B extends { content: { "application/json": infer T } } ? T : never;',
  ];
  for (const [api, { path, method, examples }] of Object.entries(bodies)) {
    const hey = heyOperation(api);
    lines.push(
      `import type { paths as ${api}_paths } from "./ot/${api}";`,
      `import type * as ${api}_hey from "./hey/${api}";`,
      `type ${api}_ot_body = Json<NonNullable<${api}_paths[${JSON.stringify(path)}]["${method}"]["requestBody"]>>;`,
      `type ${api}_hey_body = NonNullable<Parameters<typeof ${api}_hey.${hey}>[0]>["body"];`,
    );
    for (const [name, value] of Object.entries(examples)) {
      const literal = JSON.stringify(value);
      const id = `${api}_${name.replace(/\W/g, "_")}`;
      lines.push(
        `export const ${id}_openapi_typescript: ${api}_ot_body = ${literal};`,
        `export const ${id}_hey_api: ${api}_hey_body = ${literal};`,
      );
    }
  }
  writeFileSync("bodies.ts", lines.join("\n") + "\n");
  compile(["--noEmit", "bodies.ts"]);
}

/** tsc with the options above; its errors (on stdout) are the report, with no stack trace. */
function compile(args) {
  try {
    execFileSync(process.execPath, [tsc, ...compilerOptions, ...args], { stdio: "inherit" });
  } catch {
    process.exit(1);
  }
}

/** fetch, keeping the raw body text of the last response to compare what the client parsed. */
function recordingFetch(seen) {
  return async (input, init) => {
    const response = await fetch(input, init);
    seen.raw = await response.clone().text();
    return response;
  };
}

function judge(client, c, status, parsed, raw) {
  if (status !== c.status) return `${client} ${c.api} ${c.name}: status ${status}, the case documents ${c.status}`;
  if (c.media_type !== "application/json") {
    return parsed === raw && raw ? null : `${client} ${c.api} ${c.name}: the stream read as ${JSON.stringify(parsed)}`;
  }
  if (!isDeepStrictEqual(parsed, JSON.parse(raw))) {
    return `${client} ${c.api} ${c.name}: parsed as ${JSON.stringify(parsed)}, the body was ${raw}`;
  }
  return null;
}

async function heyApi(c) {
  const sdk = require(`./build/hey/${c.api}/index.js`);
  const { createClient, createConfig } = require(`./build/hey/${c.api}/client/index.js`);
  const seen = {};
  const client = createClient(createConfig({ baseUrl: `${base}/${c.api}`, fetch: recordingFetch(seen) }));
  const options = { client, path: c.path_params, query: c.query, headers: c.headers };
  if (c.has_body) options.body = c.body;
  if (c.media_type !== "application/json") options.parseAs = "text";
  const { data, error, response } = await sdk[heyOperation(c.api)](options);
  return judge("@hey-api/openapi-ts", c, response.status, response.ok ? data : error, seen.raw);
}

async function openapiFetch(c) {
  const createClient = require("openapi-fetch").default;
  const seen = {};
  const client = createClient({ baseUrl: `${base}/${c.api}`, fetch: recordingFetch(seen) });
  const init = { params: { path: c.path_params, query: c.query }, headers: c.headers };
  if (c.has_body) init.body = c.body;
  if (c.media_type !== "application/json") init.parseAs = "text";
  const { data, error, response } = await client.request(c.method.toLowerCase(), c.path, init);
  return judge("openapi-fetch", c, response.status, response.ok ? data : error, seen.raw);
}

async function run() {
  const cases = JSON.parse(readFileSync("cases.json", "utf8"));
  const apis = [...new Set(cases.map((c) => c.api))];
  compile(["--outDir", "build", "--rootDir", ".", ...apis.map((api) => `hey/${api}/index.ts`)]);
  let failed = false;
  let sent = 0;
  for (const c of cases) {
    for (const send of [heyApi, openapiFetch]) {
      sent += 1;
      let why;
      try {
        why = await send(c);
      } catch (error) {
        why = `${send.name} ${c.api} ${c.name}: ${error}`;
      }
      if (why) {
        console.log(why);
        failed = true;
      }
    }
  }
  console.log(`sent ${sent}`); // run.py checks that every case was sent
  process.exitCode = failed ? 1 : 0;
}

if (command === "typecheck") typecheck();
else if (command === "run") await run();
else throw new Error(`usage: node check.mjs typecheck | run BASE_URL`);
