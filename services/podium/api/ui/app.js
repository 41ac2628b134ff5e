// The Podium dashboard: one page, hash routes, data from /v1 only.
//
// Safety rules this file keeps: every value from the API becomes a text node or an
// attribute through el()/svg() (never innerHTML), so markup in a step output shows as
// text; the bearer token lives in sessionStorage (gone with the tab) and is sent on
// every /v1 call; every POST carries the CSRF cookie back in X-Podium-CSRF.
"use strict";

const TOKEN_KEY = "podium.token";
const SVG_NS = "http://www.w3.org/2000/svg";
const FINISHED = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "COMPENSATED"]);
const RUN_STATUSES = ["QUEUED", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED",
  "COMPENSATING", "COMPENSATED"];
const SERIES_COLOURS = ["#0969da", "#cf222e", "#1a7f37", "#bf8700", "#8250df", "#1b7c83"];
const OUTPUT_PREVIEW = 300;
const LIST_REFRESH_MS = 5000;
const LAG_REFRESH_MS = 5000;

// ---- building the page ---------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replace node's children, with el()'s rules (arrays flattened, null and false skipped).
function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

function badge(status) {
  return el("span", { class: `badge s-${status}`, "data-status": status }, status);
}

function time(text) {
  return text ? text.replace("T", " ").replace(/\.\d+/, "").replace("+00:00", " UTC") : "";
}

function seconds(value) {
  if (value === null || value === undefined) return "–";
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 120) return `${value.toFixed(1)} s`;
  return `${(value / 60).toFixed(1)} min`;
}

function json(value) {
  return JSON.stringify(value, null, 2);
}

// A value that may be long: the first OUTPUT_PREVIEW characters, and a button for all.
function expandable(value, name) {
  const text = json(value);
  if (text === undefined) return el("span", { class: "muted" }, "–");
  const pre = el("pre", { "data-output": name || "" }, text.length > OUTPUT_PREVIEW
    ? text.slice(0, OUTPUT_PREVIEW) + "…" : text);
  if (text.length <= OUTPUT_PREVIEW) return pre;
  let expanded = false;
  const more = el("button", { type: "button", onclick: () => {
    expanded = !expanded;
    pre.textContent = expanded ? text : text.slice(0, OUTPUT_PREVIEW) + "…";
    more.textContent = expanded ? "show less" : `show all (${text.length} characters)`;
  } }, `show all (${text.length} characters)`);
  return el("div", {}, pre, more);
}

function notice(text) {
  document.getElementById("notice").textContent = text || "";
}

// ---- talking to the API --------------------------------------------------------------

class Unauthorized extends Error {}

class ApiAnswer extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("podium_csrf="));
  return found ? decodeURIComponent(found.slice("podium_csrf=".length)) : "";
}

async function api(path, options = {}) {
  const headers = { ...authHeaders(), Accept: "application/json" };
  const init = { method: options.method || "GET", headers, signal: options.signal };
  if (init.method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-Podium-CSRF"] = csrfToken();
    init.body = JSON.stringify(options.body || {});
  }
  const answer = await fetch(path, init);
  if (answer.status === 401) throw new Unauthorized();
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const error = body.error || {};
    const where = error.field ? ` (${error.field})` : "";
    throw new ApiAnswer(answer.status,
      `${answer.status}: ${error.message || answer.statusText}${where}`);
  }
  return body;
}

// Server-sent events read with fetch, since EventSource cannot send the token.
async function stream(path, onMessage, signal) {
  const answer = await fetch(path, { headers: authHeaders(), signal });
  if (answer.status === 401) throw new Unauthorized();
  if (!answer.ok) throw new Error(`${answer.status} on ${path}`);
  const reader = answer.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const lines = buffer.slice(0, end).split("\n");
      buffer = buffer.slice(end + 2);
      const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
      if (data.length) onMessage(JSON.parse(data.join("\n")));
    }
  }
}

// ---- routing -------------------------------------------------------------------------

let pageAbort = null;

function route() {
  if (pageAbort) pageAbort.abort();
  pageAbort = new AbortController();
  const signal = pageAbort.signal;
  const [page, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const arg = rest.map(decodeURIComponent).join("/");
  const pages = { runs: runsPage, run: runPage, pipelines: pipelinesPage, lag: lagPage,
    dlq: arg ? dlqTopicPage : dlqPage };
  const render = pages[page] || runsPage;
  for (const link of document.querySelectorAll("nav a")) {
    const current = link.dataset.page === (page === "run" ? "runs" : page || "runs");
    link.classList.toggle("active", current);
  }
  document.getElementById("logout").hidden = !sessionStorage.getItem(TOKEN_KEY);
  notice("");
  render(arg, signal).catch((error) => failed(error, signal));
}

function failed(error, signal) {
  if (signal.aborted || error.name === "AbortError") return;
  if (error instanceof Unauthorized) return loginPage();
  notice(error.message);
}

function show(...children) {
  fill(document.getElementById("main"), ...children);
}

// Call fn now and every ms milliseconds until the page changes.
function every(ms, signal, fn) {
  const tick = () => fn().catch((error) => failed(error, signal));
  const timer = setInterval(tick, ms);
  signal.addEventListener("abort", () => clearInterval(timer));
  return fn();
}

// ---- login ---------------------------------------------------------------------------

function loginPage() {
  const had = Boolean(sessionStorage.getItem(TOKEN_KEY));
  const input = el("input", { type: "password", id: "token", autocomplete: "current-password",
    placeholder: "PODIUM_API__TOKEN" });
  const form = el("form", { class: "card login", id: "login", onsubmit: (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    route();
  } },
  el("h1", {}, "Log in"),
  el("p", { class: "muted" }, "This API requires its bearer token."),
  had ? el("p", { class: "error-text" }, "That token was refused.") : null,
  input, el("button", { type: "submit", class: "primary" }, "Log in"));
  sessionStorage.removeItem(TOKEN_KEY);
  show(form);
  input.focus();
}

// ---- runs ----------------------------------------------------------------------------

async function runsPage(_arg, signal) {
  const state = { cursors: [null], filters: {} };
  const table = el("div", {});
  const pipelines = await api("/v1/pipelines", { signal });
  const names = [...new Set(pipelines.pipelines.map((p) => p.name))].sort();
  const live = el("input", { type: "checkbox", id: "live", checked: true });
  const load = async () => {
    const cursor = state.cursors[state.cursors.length - 1];
    const query = new URLSearchParams({ ...state.filters, limit: "50" });
    if (cursor) query.set("before", cursor);
    const page = await api(`/v1/runs?${query}`, { signal });
    fill(table, runTable(page.runs), pager(state, page.next, load));
  };
  const form = runFilters(names, (filters) => {
    state.filters = filters;
    state.cursors = [null];
    load().catch((error) => failed(error, signal));
  });
  show(el("h1", {}, "Runs"), form,
    el("label", { class: "muted" }, live, " refresh every 5 s (first page)"), table);
  // only the first page refreshes by itself: an older page stays put while it is read
  return every(LIST_REFRESH_MS, signal, async () => {
    if (state.cursors.length === 1 && live.checked) await load();
  });
}

function runFilters(names, apply) {
  const field = (label, input) => el("label", {}, label, input);
  const pipeline = el("select", { name: "pipeline" }, el("option", { value: "" }, "any"),
    names.map((n) => el("option", { value: n }, n)));
  const status = el("select", { name: "status" }, el("option", { value: "" }, "any"),
    RUN_STATUSES.map((s) => el("option", { value: s }, s)));
  const since = el("input", { type: "datetime-local", name: "since" });
  const until = el("input", { type: "datetime-local", name: "until" });
  const q = el("input", { type: "search", name: "q", placeholder: "run id or param value" });
  const form = el("form", { class: "filters", id: "run-filters", onsubmit: (event) => {
    event.preventDefault();
    const chosen = {};
    for (const [key, input] of Object.entries({ pipeline, status, q })) {
      if (input.value.trim()) chosen[key] = input.value.trim();
    }
    for (const [key, input] of Object.entries({ since, until })) {
      if (input.value) chosen[key] = new Date(input.value).toISOString();
    }
    apply(chosen);
  } },
  field("pipeline", pipeline), field("status", status), field("created since", since),
  field("until", until), field("search", q), el("button", { type: "submit" }, "Filter"));
  return form;
}

function runTable(runs) {
  if (!runs.length) return el("p", { class: "muted", id: "no-runs" }, "No runs match.");
  return el("table", { id: "runs" },
    el("thead", {}, el("tr", {}, ["Run", "Pipeline", "Status", "Started", "Duration",
      "Trigger"].map((h) => el("th", {}, h)))),
    el("tbody", {}, runs.map((run) => el("tr", { "data-run": run.run_id },
      el("td", {}, el("a", { href: `#/run/${encodeURIComponent(run.run_id)}`, class: "mono" },
        run.run_id)),
      el("td", {}, `${run.pipeline}${run.version ? "@" + run.version : ""}`),
      el("td", {}, badge(run.status)),
      el("td", {}, time(run.created_at)),
      el("td", { class: "num" }, seconds(run.duration_s)),
      el("td", {}, triggerText(run.trigger))))));
}

function triggerText(trigger) {
  if (!trigger || !trigger.source) return "";
  return [trigger.source.toLowerCase(), trigger.name, trigger.reference]
    .filter(Boolean).join(" ");
}

function pager(state, next, load) {
  const newer = el("button", { type: "button", disabled: state.cursors.length === 1,
    onclick: () => { state.cursors.pop(); load(); } }, "← newer");
  const older = el("button", { type: "button", disabled: !next, id: "older",
    onclick: () => { state.cursors.push(next); load(); } }, "older →");
  return el("div", { class: "pager" }, newer, older,
    el("span", { class: "muted" }, `page ${state.cursors.length}`));
}

// ---- one run -------------------------------------------------------------------------

async function runPage(runId, signal) {
  const [pipelines, settings] = await Promise.all([
    api("/v1/pipelines", { signal }), api("/v1/ui", { signal })]);
  const holder = el("div", {});
  show(el("h1", {}, "Run ", el("span", { class: "mono" }, runId)), holder);
  const draw = (run) => {
    const definition = pipelines.pipelines.find(
      (p) => p.name === run.pipeline && p.version === run.version);
    fill(holder, runView(run, definition, settings));
  };
  draw(await knownRun(runId, holder, signal));
  followRun(runId, draw, signal);
}

// The run, once the API's read model knows it: a run just requested (its link shared a
// moment after `podium run`) is a 404 for as long as the coordinator takes to start it.
async function knownRun(runId, holder, signal) {
  for (;;) {
    try {
      return await api(`/v1/runs/${encodeURIComponent(runId)}`, { signal });
    } catch (error) {
      if (!(error instanceof ApiAnswer) || error.status !== 404) throw error;
      fill(holder, el("p", { class: "muted", id: "unknown-run" },
        "The API does not know this run (yet); looking again every 2 s."));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    if (signal.aborted) throw new DOMException("left the page", "AbortError");
  }
}

// Keep the page current from the run's stream; reconnect when it drops.
function followRun(runId, draw, signal) {
  const path = `/v1/runs/${encodeURIComponent(runId)}/stream`;
  const again = () => {
    if (signal.aborted) return;
    stream(path, draw, signal).then(() => setTimeout(again, 1000), (error) => {
      failed(error, signal);
      if (!(error instanceof Unauthorized)) setTimeout(again, 2000);
    });
  };
  again();
}

function runView(run, definition, settings) {
  return el("div", { id: "run", "data-status": run.status },
    el("div", { class: "card" }, runFacts(run, settings), runActions(run)),
    el("h2", {}, "Steps"),
    dag(definition, run.steps),
    stepTable(run, definition),
    el("h2", {}, "Timeline"),
    timeline(run.steps));
}

function runFacts(run, settings) {
  const fact = (label, ...value) => [el("dt", {}, label), el("dd", {}, ...value)];
  const pipeline = el("a", { href: "#/pipelines" }, `${run.pipeline}@${run.version ?? "?"}`);
  return el("dl", { class: "grid" },
    fact("status", badge(run.status), run.reason ? ` ${run.reason}` : ""),
    fact("pipeline", pipeline),
    fact("started", time(run.created_at)),
    fact("finished", time(run.finished_at) || "–", "  ", seconds(run.duration_s)),
    fact("trigger", triggerText(run.trigger) || "–"),
    fact("params", expandable(run.params, "params")),
    fact("trace", traceLink(run.trace_id, settings.trace_url)),
    run.parent ? fact("parent", runLink(run.parent.run_id, "parent-run"),
      ` step ${run.parent.step}`) : null,
    ...Object.entries(run.children || {}).flatMap(([step, child]) =>
      fact(`child of ${step}`, runLink(child, `child-${step}`))),
    run.priority ? fact("priority", String(run.priority)) : null,
    run.paused ? fact("paused", el("span", { id: "paused-by" }, whoText(run.paused))) : null,
    ...(run.reruns || []).flatMap((rerun) =>
      fact(`re-run #${rerun.number}`, el("span", { class: "rerun" }, rerunText(rerun)))),
    run.error ? fact("error", errorText(run.error)) : null);
}

// Who asked, when and why: a pause's or a re-run's record.
function whoText(record) {
  const by = record.by ? `by ${record.by}` : "by someone unnamed";
  return [by, record.at ? ` at ${record.at}` : "", record.reason ? `: ${record.reason}` : ""]
    .join("");
}

function rerunText(rerun) {
  const from = rerun.from_step ? `from ${rerun.from_step}` : "from its failed steps";
  const moved = rerun.from_version ? `, moved from v${rerun.from_version}` : "";
  return `${from}${moved}, ${whoText(rerun)}`;
}

// A sub-pipeline's parent or child run, as a link to its run page.
function runLink(runId, id) {
  return el("a", { href: `#/run/${encodeURIComponent(runId)}`, class: "mono", id }, runId);
}

function traceLink(traceId, template) {
  if (!traceId) return el("span", { class: "muted" }, "–");
  if (!template) return el("span", { class: "mono", id: "trace-id" }, traceId);
  const href = template.replaceAll("{trace_id}", encodeURIComponent(traceId));
  return el("a", { href, class: "mono", id: "trace-id", rel: "noreferrer" }, traceId);
}

function errorText(error) {
  if (!error) return "";
  const retry = error.retryable ? "retryable" : "not retryable";
  return el("span", { class: "error-text" }, `${error.type}: ${error.message} (${retry})`);
}

// The run's controls: what the API allows for its status (the API refuses the rest with
// a 409 whose message is shown beside the buttons).
const RETRYABLE = new Set(["FAILED", "CANCELLED", "COMPENSATED"]);

function runActions(run) {
  const status = el("span", { class: "muted", id: "action-status" });
  const buttons = [];
  if (run.status === "RUNNING") buttons.push(control(run, "pause", "Pause run", status));
  if (run.status === "PAUSED") buttons.push(control(run, "resume", "Resume run", status));
  if (RETRYABLE.has(run.status)) {
    buttons.push(control(run, "retry", "Re-run from failed steps", status));
  }
  if (!FINISHED.has(run.status) && run.status !== "CANCELLING") {
    buttons.push(control(run, "cancel", "Cancel run", status, "danger"));
  }
  return buttons.length ? el("p", { class: "actions" }, ...buttons, status) : null;
}

// The cancel endpoint takes a reason only; the others also say who asked.
function controlBody(action) {
  if (action === "cancel") return { reason: "cancelled from the dashboard" };
  return { reason: `${action} from the dashboard`, by: "dashboard" };
}

// One control: confirmed, POSTed (with the CSRF token, by api()), then the page's live
// updates show its effect.
function control(run, action, label, status, kind) {
  const button = el("button", { type: "button", class: kind || "", id: action,
    onclick: async () => {
      if (!confirm(`${label.replace(" run", "")} ${run.run_id}?`)) return;
      button.disabled = true;
      try {
        await api(`/v1/runs/${encodeURIComponent(run.run_id)}/${action}`,
          { method: "POST", body: controlBody(action) });
        status.textContent = ` ${action} requested`;
      } catch (error) {
        status.textContent = ` ${error.message}`;
        button.disabled = false;
      }
    } }, label);
  return button;
}

// The DAG: columns and rows from the API's layout, coloured by the run's step states.
function dag(definition, steps) {
  if (!definition) return el("p", { class: "muted" }, "The pipeline's definition is unknown.");
  const W = 150, H = 34, GX = 60, GY = 18;
  const place = definition.layout;
  const x = (n) => 10 + place[n].layer * (W + GX);
  const y = (n) => 10 + place[n].row * (H + GY);
  const names = definition.steps.map((s) => s.name);
  const width = 20 + (Math.max(...names.map((n) => place[n].layer)) + 1) * (W + GX) - GX;
  const height = 20 + (Math.max(...names.map((n) => place[n].row)) + 1) * (H + GY) - GY;
  const edges = definition.steps.flatMap((s) => s.after.filter((d) => place[d]).map((d) =>
    svg("path", { class: "edge", d: `M${x(d) + W},${y(d) + H / 2} C${x(d) + W + GX / 2},` +
      `${y(d) + H / 2} ${x(s.name) - GX / 2},${y(s.name) + H / 2} ${x(s.name)},` +
      `${y(s.name) + H / 2}` })));
  const nodes = names.map((n) => {
    const status = steps ? (steps[n] ? steps[n].status : "PENDING") : "DECLARED";
    return svg("g", { class: "node", "data-step": n, "data-status": status },
      svg("title", {}, `${n}: ${status}`),
      svg("rect", { x: x(n), y: y(n), width: W, height: H, class: `f-${status}` }),
      svg("text", { x: x(n) + 8, y: y(n) + H / 2 + 4 }, clip(n, 20)));
  });
  return svg("svg", { class: "dag", width, height, viewBox: `0 0 ${width} ${height}`,
    role: "img", "aria-label": "the pipeline's steps" }, edges, nodes);
}

function clip(text, max) {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

function stepTable(run, definition) {
  const after = Object.fromEntries((definition ? definition.steps : []).map((s) =>
    [s.name, s.after]));
  return el("table", { id: "steps" },
    el("thead", {}, el("tr", {}, ["Step", "Status", "Attempts", "Duration", "Error",
      "Output", "Upstream outputs"].map((h) => el("th", {}, h)))),
    el("tbody", {}, Object.entries(run.steps).map(([name, step]) =>
      el("tr", { "data-step": name },
        el("td", {}, name),
        el("td", {}, badge(step.status), step.reason ? el("div", { class: "muted" },
          step.reason) : null),
        el("td", { class: "num" }, String(step.attempts.length)),
        el("td", { class: "num" }, seconds(step.duration_s)),
        el("td", {}, errorText(step.error)),
        el("td", {}, step.output === null ? "" : expandable(step.output, name)),
        el("td", {}, upstream(after[name] || [], run.steps))))));
}

function upstream(names, steps) {
  const outputs = Object.fromEntries(names.filter((n) => steps[n] && steps[n].output !== null)
    .map((n) => [n, steps[n].output]));
  return Object.keys(outputs).length ? expandable(outputs) : "";
}

// A Gantt chart of every attempt: one row per step, one bar per attempt.
function timeline(steps) {
  const rows = Object.entries(steps).filter(([, s]) => s.attempts.some((a) => a.started_at));
  if (!rows.length) return el("p", { class: "muted" }, "No attempt has started yet.");
  const now = Date.now();
  const at = (text) => (text ? Date.parse(text) : now);
  const starts = rows.flatMap(([, s]) => s.attempts.map((a) => at(a.started_at)));
  const ends = rows.flatMap(([, s]) => s.attempts.map((a) => at(a.finished_at)));
  const t0 = Math.min(...starts), span = Math.max(Math.max(...ends) - t0, 1);
  const LABEL = 160, WIDTH = 700, ROW = 22;
  const px = (t) => LABEL + ((t - t0) / span) * WIDTH;
  const bars = rows.flatMap(([name, step], i) => [
    svg("text", { x: 4, y: i * ROW + 15 }, clip(name, 22)),
    ...step.attempts.filter((a) => a.started_at).map((a) =>
      svg("rect", { x: px(at(a.started_at)), y: i * ROW + 4, height: ROW - 8,
        width: Math.max(px(at(a.finished_at)) - px(at(a.started_at)), 2),
        class: `f-${a.status}`, "data-attempt": `${name}#${a.attempt}` },
      svg("title", {}, `${name} attempt ${a.attempt}: ${a.status}` +
        (a.error ? ` (${a.error.type}: ${a.error.message})` : ""))))]);
  const height = rows.length * ROW + 20;
  return svg("svg", { id: "timeline", width: LABEL + WIDTH + 60, height },
    bars, svg("text", { x: LABEL, y: height - 4, class: "muted" }, "0 s"),
    svg("text", { x: LABEL + WIDTH - 40, y: height - 4 }, seconds(span / 1000)));
}

// ---- pipelines -----------------------------------------------------------------------

async function pipelinesPage(_arg, signal) {
  const { pipelines } = await api("/v1/pipelines", { signal });
  const byName = new Map();
  for (const p of pipelines) byName.set(p.name, [...(byName.get(p.name) || []), p]);
  const cards = [...byName.entries()].sort().map(([name, versions]) => {
    versions.sort((a, b) => b.version - a.version);
    return el("div", { class: "card", "data-pipeline": name },
      el("h2", {}, name, " ", el("span", { class: "muted" },
        `versions ${versions.map((v) => v.version).join(", ")}`)),
      recentStats(versions[0].recent),
      versions.map((v) => el("div", { "data-version": v.version },
        el("h3", {}, `version ${v.version}`, v.description ? ` – ${v.description}` : ""),
        dag(v, null),
        el("p", {}, "triggers: ", v.triggers.length
          ? v.triggers.map((t) => triggerSpec(t)).join("; ") : "none (API and CLI only)"))));
  });
  show(el("h1", {}, "Pipelines"), cards.length ? cards
    : el("p", { class: "muted" }, "No pipeline is published."));
}

function recentStats(recent) {
  if (!recent) return null;
  const rate = recent.success_rate === null || recent.success_rate === undefined ? "–"
    : `${Math.round(recent.success_rate * 100)}%`;
  return el("p", { class: "recent" }, `last ${recent.runs} finished runs: ${rate} succeeded, ` +
    `duration p50 ${seconds(recent.duration_p50_s)}, p95 ${seconds(recent.duration_p95_s)}`);
}

function triggerSpec(trigger) {
  if (trigger.type === "cron") return `cron ${trigger.schedule}`;
  const match = Object.entries(trigger.match || {}).map(([k, v]) => `${k}=${v}`).join(", ");
  return `${trigger.event} on ${trigger.topic}${match ? ` where ${match}` : ""}`;
}

// ---- lag -----------------------------------------------------------------------------

async function lagPage(_arg, signal) {
  const holder = el("div", {});
  show(el("h1", {}, "Lag per step"), holder);
  return every(LAG_REFRESH_MS, signal, async () => {
    const [report, history] = await Promise.all([
      api("/v1/lag", { signal }), api("/v1/lag/history", { signal })]);
    fill(holder,
      report.problem ? el("p", { class: "error-text" }, report.problem) : null,
      el("p", { class: "muted" }, report.taken_at
        ? `sampled ${new Date(report.taken_at * 1000).toISOString()}` : "no sample yet"),
      lagTable(report.groups),
      el("h2", {}, "Lag in messages (up to the last hour)"),
      lagChart(history.groups),
      el("h2", {}, "Dead-letter topics"),
      dlqDepths(report.dlq));
  });
}

function lagTable(groups) {
  return el("table", { id: "lag" },
    el("thead", {}, el("tr", {}, ["Group", "Role", "Steps", "Status", "Lag (msgs)",
      "Lag (s)", "Rate (/s)", "Time to drain", "Members"].map((h) => el("th", {}, h)))),
    el("tbody", {}, groups.map((g) => el("tr", { "data-group": g.group,
      "data-service": g.service || "" },
    el("td", { class: "mono" }, g.group),
    el("td", {}, g.role, g.service ? ` ${g.service}` : ""),
    el("td", {}, g.steps.map((s) => `${s.pipeline}.${s.step}`).join(", ")),
    el("td", {}, badge(g.status)),
    el("td", { class: "num", "data-lag": g.lag_messages }, String(g.lag_messages)),
    el("td", { class: "num" }, seconds(g.lag_seconds)),
    el("td", { class: "num" }, g.rate_per_s === null ? "–" : g.rate_per_s.toFixed(1)),
    el("td", { class: "num" }, seconds(g.eta_s)),
    el("td", { class: "num" }, String(g.members))))));
}

function lagChart(groups) {
  const names = Object.keys(groups);
  const points = names.flatMap((n) => groups[n]);
  if (points.length < 2) return el("p", { class: "muted" }, "Not enough samples yet.");
  const W = 800, H = 180, PAD = 40;
  // the last hour, or less when the API has not been sampling that long (a spike at
  // the right edge of an empty hour says nothing)
  const t1 = Math.max(...points.map((p) => p[0]));
  const t0 = Math.max(t1 - 3600, Math.min(...points.map((p) => p[0])));
  const span = Math.max(t1 - t0, 1);
  const top = Math.max(1, ...points.map((p) => p[1]));
  const px = (t) => PAD + ((t - t0) / span) * (W - PAD - 10);
  const py = (v) => H - 20 - (v / top) * (H - 30);
  const series = names.map((n, i) => svg("polyline", { class: "series", "data-group": n,
    stroke: SERIES_COLOURS[i % SERIES_COLOURS.length],
    points: groups[n].map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ") }));
  const legend = el("p", { class: "legend" }, names.map((n, i) => el("span", {},
    svg("svg", { width: 10, height: 10 }, svg("rect", { width: 10, height: 10,
      fill: SERIES_COLOURS[i % SERIES_COLOURS.length] })), " ", n)));
  return el("div", {}, svg("svg", { id: "lag-chart", width: W, height: H },
    svg("line", { class: "axis", x1: PAD, y1: H - 20, x2: W, y2: H - 20 }),
    svg("text", { x: 0, y: 14 }, String(top)), svg("text", { x: 0, y: H - 20 }, "0"),
    svg("text", { x: PAD, y: H - 4 }, `-${seconds(span)}`),
    svg("text", { x: W - 30, y: H - 4 }, "now"),
    series), legend);
}

function dlqDepths(dlq) {
  if (!dlq.length) return el("p", { class: "muted" }, "No dead-letter topic.");
  return el("ul", {}, dlq.map((d) => el("li", {},
    el("a", { href: `#/dlq/${encodeURIComponent(d.topic)}` }, d.topic),
    `: ${d.messages} letter${d.messages === 1 ? "" : "s"}${d.complete ? "" : " (counting…)"}`)));
}

// ---- dead letters --------------------------------------------------------------------

async function dlqPage(_arg, signal) {
  const { topics } = await api("/v1/dlq", { signal });
  show(el("h1", {}, "Dead letters"), topics.length ? el("table", { id: "dlq-topics" },
    el("thead", {}, el("tr", {}, ["Topic", "Depth", "By reason"].map((h) => el("th", {}, h)))),
    el("tbody", {}, topics.map((t) => el("tr", { "data-topic": t.topic },
      el("td", {}, el("a", { href: `#/dlq/${encodeURIComponent(t.topic)}` }, t.topic)),
      el("td", { class: "num" }, String(t.depth)),
      el("td", {}, Object.entries(t.by_reason || {}).map(([r, n]) => `${r}: ${n}`)
        .join(", "))))))
    : el("p", { class: "muted" }, "No dead-letter topic."));
}

async function dlqTopicPage(topic, signal) {
  const path = `/v1/dlq/${encodeURIComponent(topic)}`;
  const page = await api(`${path}?limit=100`, { signal });
  const picked = new Set();
  const plan = el("div", { id: "replay-plan" });
  const where = (l) => l.dlq || l;
  const key = (l) => `${where(l).partition}:${where(l).offset}`;
  const rows = page.letters.map((letter) => el("tr", { "data-letter": key(letter) },
    el("td", {}, el("input", { type: "checkbox", onchange: (event) => {
      if (event.target.checked) picked.add(letter); else picked.delete(letter);
    } })),
    el("td", { class: "mono" }, key(letter)),
    el("td", {}, time(letter.failed_at)),
    el("td", { "data-reason": letter.reason }, letter.reason,
      letter.detail ? el("div", { class: "muted" }, letter.detail) : null),
    el("td", {}, letter.error_class ? `${letter.error_class}: ` : "", letter.error || ""),
    el("td", { class: "mono" }, originText(letter)),
    el("td", {}, letter.run_id ? el("a", { href: `#/run/${encodeURIComponent(letter.run_id)}`,
      class: "mono" }, letter.run_id) : "")));
  const offsets = () => (picked.size ? [...picked].map((l) =>
    ({ partition: where(l).partition, offset: where(l).offset })) : undefined);
  const replay = async (dryRun) => {
    const answer = await api(`${path}/replay`,
      { method: "POST", body: { offsets: offsets(), dry_run: dryRun } });
    fill(plan, replayPlan(answer, () => replay(false).catch(
      (error) => failed(error, signal))));
  };
  show(el("h1", {}, "Dead letters in ", el("span", { class: "mono" }, topic)),
    el("p", {}, `${page.depth} letters; the newest ${page.letters.length} below.`),
    el("p", {}, el("button", { type: "button", id: "dry-run", onclick: () => replay(true)
      .catch((error) => failed(error, signal)) }, "Replay… (dry run first)"),
    el("span", { class: "muted" }, " the ticked letters, or all when none is ticked "),
    el("button", { type: "button", id: "refresh", onclick: route }, "Refresh")),
    plan,
    page.letters.length ? el("table", { id: "letters" },
      el("thead", {}, el("tr", {}, ["", "Partition:offset", "When", "Reason", "Error",
        "Origin", "Run"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows)) : el("p", { class: "muted" }, "This topic holds no letter."));
}

function originText(letter) {
  const origin = letter.origin;
  return origin ? `${origin.topic}[${origin.partition}]@${origin.offset}` : "?";
}

function replayPlan(answer, confirmReplay) {
  const table = el("table", {},
    el("thead", {}, el("tr", {}, ["Letter", "Action", "Why", "To"].map((h) =>
      el("th", {}, h)))),
    el("tbody", {}, answer.plan.map((step) => el("tr", {
      "data-action": step.action },
    el("td", { class: "mono" }, `${step.partition}:${step.offset}`),
    el("td", {}, step.action), el("td", {}, step.why || ""),
    el("td", { class: "mono" }, step.target_topic || "")))));
  const replays = answer.plan.filter((s) => s.action === "replay").length;
  if (!answer.dry_run) {
    return el("div", { class: "card", id: "replayed" },
      el("p", {}, `Replayed ${answer.replayed} letter${answer.replayed === 1 ? "" : "s"}.`),
      table);
  }
  return el("div", { class: "card" },
    el("p", {}, `Dry run: ${replays} would be replayed.`), table,
    el("button", { type: "button", class: "primary", id: "replay", disabled: !replays,
      onclick: confirmReplay }, `Replay ${replays}`));
}

// ---- start ---------------------------------------------------------------------------

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => {
  document.getElementById("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    loginPage();
  });
  route();
});
