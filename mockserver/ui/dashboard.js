// The mock's journal, live: GET /__mock/requests/stream (server-sent events) read through
// fetch, so that the admin token can travel in a header (EventSource sends none).
// Everything the journal holds came from clients: it is only ever put in the page as text.
"use strict";

const TOKEN_KEY = "flowcontract-admin-token";
const KEEP = 1000; // entries the page holds; older ones leave it
const RETRY_MS = 2000;

const journal = []; // newest first: {entry, row, detail}
const operationsByApi = new Map();
let lastSeq = 0;

const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "className") node.className = value;
    else if (name.startsWith("data-")) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

// The token: given once as ?token=..., kept for this tab only, never left in the address.
function takeTokenFromAddress() {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  if (token === null) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  params.delete("token");
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
}

function adminHeaders(extra = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, Authorization: "Bearer " + token } : { ...extra };
}

function setLive(state, text) {
  const live = $("live");
  live.dataset.state = state;
  live.textContent = text;
  document.body.dataset.live = String(state === "live");
}

// --- the served APIs -----------------------------------------------------------------

async function loadApis() {
  const reply = await fetch("/__mock/health", { headers: adminHeaders(), cache: "no-store" });
  if (!reply.ok) return;
  const health = await reply.json();
  const list = $("apis");
  list.replaceChildren();
  const select = $("filter-api");
  for (const api of health.apis || []) {
    const base = location.origin + "/" + api.id;
    const operations = api.operations === 1 ? "1 operation" : `${api.operations} operations`;
    list.append(
      element(
        "li",
        { "data-api": api.id },
        element("strong", {}, api.id),
        " ",
        element("span", { className: "title" }, api.title || ""),
        " ",
        element("code", {}, base),
        " ",
        element("span", { className: "muted" }, operations),
        " ",
        element("a", { href: `/${encodeURIComponent(api.id)}/ui/`, target: "_blank", rel: "noopener" }, "Swagger UI"),
      ),
    );
    if (![...select.options].some((option) => option.value === api.id)) {
      select.append(element("option", { value: api.id }, api.id));
    }
  }
}

// --- one journal entry ---------------------------------------------------------------

function statusClass(status) {
  return status ? "s" + String(status)[0] : "s0";
}

function pretty(value) {
  if (value === null || value === undefined || value === "") return "(empty)";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function target(entry) {
  return entry.path + (entry.query ? "?" + entry.query : "");
}

function rowOf(entry) {
  const row = element(
    "tr",
    { className: "entry", tabIndex: 0, "data-seq": entry.seq, "data-api": entry.api || "", "data-status": entry.status },
    element("td", { className: "seq" }, entry.seq),
    element("td", { className: "time", title: entry.time }, (entry.time || "").slice(11, 23)),
    element("td", { className: "api" }, entry.api || "–"),
    element("td", { className: "request" }, element("span", { className: "method" }, entry.method), " ", target(entry)),
    element("td", { className: "status " + statusClass(entry.status) }, entry.status || "–"),
    element("td", { className: "operation" }, entry.operation || "–"),
    element("td", { className: "rule" }, entry.rule, entry.violations && entry.violations.length
      ? element("span", { className: "violations-badge" }, ` ${entry.violations.length} violation${entry.violations.length === 1 ? "" : "s"}`)
      : null),
    element("td", { className: "ms" }, entry.duration_ms),
  );
  return row;
}

function section(title, ...children) {
  return element("section", {}, element("h3", {}, title), ...children);
}

function facts(pairs) {
  const list = element("dl");
  for (const [name, value] of pairs) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) continue;
    list.append(element("dt", {}, name), element("dd", {}, Array.isArray(value) ? value.join("; ") : value));
  }
  return list;
}

function detailOf(entry) {
  const headers = Object.entries(entry.headers || {}).map(([name, value]) => `${name}: ${value}`).join("\n");
  const parts = [
    section(
      "Request",
      element("p", {}, element("code", {}, `${entry.method} ${target(entry)}`)),
      element("pre", { className: "headers" }, headers || "(no headers)"),
      element("pre", { className: "body request-body" }, pretty(entry.body)),
    ),
    section(
      "Response",
      element("p", {}, element("span", { className: "status " + statusClass(entry.status) }, entry.status || "–")),
      element("pre", { className: "body response-body" }, pretty(entry.response_body)),
    ),
    section(
      "Chosen by",
      facts([
        ["rule", entry.rule],
        ["example", entry.example],
        ["operation", entry.operation],
        ["lane", entry.lane],
        ["duration", entry.duration_ms + " ms"],
        ["connection", entry.connection],
        ["truncated", entry.truncated],
      ]),
    ),
  ];
  if (entry.violations && entry.violations.length) {
    const list = element("ul", { className: "violations" });
    for (const violation of entry.violations) {
      list.append(
        element("li", {}, element("span", { className: "where" }, violation.where), " ",
          element("span", { className: "kind" }, violation.kind), ": ", violation.message),
      );
    }
    parts.push(section("Violations", list));
  }
  return element("tr", { className: "detail" }, element("td", { colSpan: 8 }, element("div", { className: "panes" }, ...parts)));
}

// An open row is in the address (#seq-N): a link to it opens it.
function toggle(item) {
  if (!item.detail) {
    item.detail = detailOf(item.entry);
    item.detail.hidden = item.row.hidden;
    item.row.after(item.detail);
    item.row.classList.add("open");
    history.replaceState(null, "", `#seq-${item.entry.seq}`);
    return;
  }
  item.detail.remove();
  item.detail = null;
  item.row.classList.remove("open");
  if (location.hash === `#seq-${item.entry.seq}`) history.replaceState(null, "", location.pathname + location.search);
}

// --- filters -------------------------------------------------------------------------

function matches(entry) {
  const api = $("filter-api").value;
  const operation = $("filter-operation").value;
  const status = $("filter-status").value;
  return (
    (!api || entry.api === api) &&
    (!operation || entry.operation === operation) &&
    (!status || String(entry.status).startsWith(status))
  );
}

function showOperations() {
  const select = $("filter-operation");
  const chosen = select.value;
  const api = $("filter-api").value;
  const names = new Set();
  for (const [owner, operations] of operationsByApi) {
    if (!api || owner === api) operations.forEach((name) => names.add(name));
  }
  select.replaceChildren(element("option", { value: "" }, "all"));
  for (const name of [...names].sort()) select.append(element("option", { value: name }, name));
  select.value = names.has(chosen) ? chosen : "";
}

function applyFilters() {
  let shown = 0;
  for (const item of journal) {
    const visible = matches(item.entry);
    item.row.hidden = !visible;
    if (item.detail) item.detail.hidden = !visible;
    if (visible) shown += 1;
  }
  count(shown);
}

function count(shown) {
  const filtered = $("filter-api").value || $("filter-operation").value || $("filter-status").value;
  $("count").textContent = `${journal.length} request${journal.length === 1 ? "" : "s"}`;
  $("shown").textContent = filtered ? `showing ${shown}` : "";
  $("empty").hidden = journal.length > 0;
}

// --- the journal ---------------------------------------------------------------------

function add(entries) {
  const body = $("entries");
  const fragment = document.createDocumentFragment();
  let newOperation = false;
  const added = [];
  for (const entry of entries) {
    if (entry.seq <= lastSeq) continue; // already shown (a reconnect)
    lastSeq = entry.seq;
    if (entry.operation) {
      const api = entry.api || "";
      if (!operationsByApi.has(api)) operationsByApi.set(api, new Set());
      const operations = operationsByApi.get(api);
      if (!operations.has(entry.operation)) newOperation = true;
      operations.add(entry.operation);
    }
    const item = { entry, row: rowOf(entry), detail: null };
    item.row.addEventListener("click", () => toggle(item));
    item.row.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        toggle(item);
      }
    });
    item.row.hidden = !matches(entry);
    added.push(item);
  }
  for (const item of added.reverse()) {
    fragment.append(item.row);
    journal.unshift(item);
  }
  body.prepend(fragment);
  const linked = added.find((item) => location.hash === `#seq-${item.entry.seq}`);
  if (linked) toggle(linked);
  while (journal.length > KEEP) {
    const gone = journal.pop();
    gone.row.remove();
    if (gone.detail) gone.detail.remove();
  }
  if (newOperation) showOperations();
  count(journal.filter((item) => !item.row.hidden).length);
}

function clearJournal() {
  journal.length = 0;
  lastSeq = 0;
  operationsByApi.clear();
  $("entries").replaceChildren();
  showOperations();
  count(0);
}

// One server-sent event block: its `event` and its `data` lines.
function parseEvent(block) {
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }
  return { type, data: data.join("\n") };
}

async function follow() {
  for (;;) {
    try {
      const headers = adminHeaders(lastSeq ? { "Last-Event-ID": String(lastSeq) } : {});
      const reply = await fetch("/__mock/requests/stream", { headers, cache: "no-store" });
      if (reply.status === 401) {
        setLive("token", "needs the admin token");
        $("token").hidden = false;
        return; // the token form starts it again
      }
      if (!reply.ok || !reply.body) throw new Error(`stream answered ${reply.status}`);
      setLive("live", "live");
      const reader = reply.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        const batch = [];
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.type === "request") batch.push(JSON.parse(event.data));
          else if (event.type === "reset") {
            batch.length = 0; // recorded before the reset: gone from the journal too
            clearJournal();
          }
        }
        if (batch.length) add(batch);
      }
    } catch (error) {
      console.warn("journal stream:", error);
    }
    setLive("retrying", "reconnecting…");
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

async function reset() {
  const button = $("reset");
  button.disabled = true;
  try {
    const reply = await fetch("/__mock/reset", {
      method: "POST",
      headers: adminHeaders({ "X-Mock-Admin": "1", "Content-Type": "application/json" }),
      body: "{}",
    });
    if (reply.ok) clearJournal();
    else button.title = `reset refused: ${reply.status}`;
  } finally {
    button.disabled = false;
  }
}

function start() {
  takeTokenFromAddress();
  $("reset").addEventListener("click", reset);
  $("filter-api").addEventListener("change", () => {
    showOperations();
    applyFilters();
  });
  $("filter-operation").addEventListener("change", applyFilters);
  $("filter-status").addEventListener("change", applyFilters);
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
    $("token").hidden = true;
    follow();
  });
  count(0);
  loadApis().catch((error) => console.warn("health:", error));
  follow();
}

start();
