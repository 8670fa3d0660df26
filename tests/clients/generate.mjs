// The two TypeScript clients of each API, generated in one node process (run.py calls it):
//   ot/<api>.ts   openapi-typescript's types (for openapi-fetch)
//   hey/<api>/    @hey-api/openapi-ts's SDK (fetch client)
// Usage: node generate.mjs SPECS_DIR API...
import { mkdirSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import { createClient } from "@hey-api/openapi-ts";

const [specs, ...apis] = process.argv.slice(2);
mkdirSync("ot", { recursive: true });
for (const api of apis) {
  const spec = pathToFileURL(`${specs}/${api}.yaml`);
  // defaultNonNullable (true by default) would make every `default`ed request field required
  const ast = await openapiTS(spec, { defaultNonNullable: false });
  writeFileSync(`ot/${api}.ts`, astToString(ast));
}
await createClient(
  apis.map((api) => ({
    input: `${specs}/${api}.yaml`,
    output: `hey/${api}`,
    logs: { level: "warn" },
  })),
);
