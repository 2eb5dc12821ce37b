// Drives `patina mcp` with the reference TypeScript MCP SDK, the way an
// agent's MCP client does: spawn it over stdio, initialise, list the tools,
// call them, and print what came back as one JSON object on stdout (the Go
// test TestMCPNodeClient checks it).
//
// Usage: node client.cjs SDK_DIR PATINA_BIN PROJECT QUERY COMMIT_QUERY
//   SDK_DIR is where packaging/scripts/npm-deps.sh installed the SDK;
//   QUERY finds a file, COMMIT_QUERY a commit message.
// The environment (PATINA_HOME, PATINA_SOCKET, ...) is passed to patina.
"use strict";

const { createRequire } = require("node:module");
const fs = require("node:fs");
const path = require("node:path");

async function main() {
  const [sdkDir, bin, project, query, commitQuery] = process.argv.slice(2);
  if (!sdkDir || !bin || !project || !query || !commitQuery) {
    throw new Error("usage: node client.cjs SDK_DIR PATINA_BIN PROJECT QUERY COMMIT_QUERY");
  }
  const sdk = createRequire(path.join(sdkDir, "package.json"));
  const { Client } = sdk("@modelcontextprotocol/sdk/client/index.js");
  const { StdioClientTransport } = sdk("@modelcontextprotocol/sdk/client/stdio.js");
  const sdkVersion = JSON.parse(fs.readFileSync(path.join(sdkDir, "node_modules/@modelcontextprotocol/sdk/package.json"), "utf8")).version;

  const transport = new StdioClientTransport({
    command: bin,
    args: ["mcp", "--log-level", "debug"],
    env: { ...process.env },
    stderr: "pipe",
  });
  let stderrBytes = 0;
  transport.stderr.on("data", (b) => { stderrBytes += b.length; });

  const client = new Client({ name: "patina-interop-test", version: "0.0.0" });
  await client.connect(transport);
  const out = { sdk_version: sdkVersion, server: client.getServerVersion() };

  const { tools } = await client.listTools();
  out.tools = tools.map((t) => ({
    name: t.name,
    required: (t.inputSchema && t.inputSchema.required) || [],
    has_output_schema: !!t.outputSchema,
  }));

  // The SDK checks structuredContent against each tool's outputSchema
  // (ajv), so a schema/output mismatch fails here.
  const scry = await client.callTool({ name: "scry", arguments: { query, project } });
  out.scry = { is_error: !!scry.isError, structured: scry.structuredContent, text: scry.content.map((c) => c.text).join("\n") };

  // read follows a hit by its id; refuses .env and a path out of the
  // project; gives a commit (scry's git:<hash> result) whole.
  const text = (r) => r.content.map((c) => c.text).join("\n");
  const byId = await client.callTool({ name: "read", arguments: { id: scry.structuredContent.results[0].id } });
  out.read = { is_error: !!byId.isError, structured: byId.structuredContent, text: text(byId) };
  const env = await client.callTool({ name: "read", arguments: { project, path: ".env" } });
  out.read_env = { is_error: !!env.isError, text: text(env), all: JSON.stringify(env) };
  const up = await client.callTool({ name: "read", arguments: { project, path: "../../etc/passwd" } });
  out.read_outside = { is_error: !!up.isError, text: text(up), all: JSON.stringify(up) };
  const commits = await client.callTool({ name: "scry", arguments: { query: commitQuery, project, kind: "commit" } });
  const commit = await client.callTool({ name: "read", arguments: { id: commits.structuredContent.results[0].id } });
  out.read_commit = { is_error: !!commit.isError, structured: commit.structuredContent };

  const bad = await client.callTool({ name: "scry", arguments: { query: "   " } });
  out.bad = { is_error: !!bad.isError, text: bad.content.map((c) => c.text).join("\n") };

  // related: the fixture's main.go changed together with util/strings.go.
  const related = await client.callTool({ name: "related", arguments: { path: "main.go", project } });
  out.related = { is_error: !!related.isError, structured: related.structuredContent };
  const outside = await client.callTool({ name: "related", arguments: { path: "../../etc/passwd", project } });
  out.related_outside = { is_error: !!outside.isError, text: outside.content.map((c) => c.text).join("\n") };

  const projects = await client.callTool({ name: "projects", arguments: {} });
  out.projects = projects.structuredContent;
  const status = await client.callTool({ name: "mother_status", arguments: {} });
  out.status = status.structuredContent;

  try {
    await client.callTool({ name: "no_such_tool", arguments: {} });
    out.unknown_tool = "accepted";
  } catch (e) {
    out.unknown_tool = String(e.message || e);
  }
  // Still answering after the refusal.
  out.after = (await client.callTool({ name: "scry", arguments: { query, project } })).structuredContent.count;

  await client.close();
  out.stderr_bytes = stderrBytes;
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write(`client.cjs: ${e.stack || e}\n`);
  process.exit(1);
});
