// incidentbot playground: a small Slack-like client onto the fake Slack.
// Every piece of text from messages is user input: it is escaped before it
// reaches the page, and only our own tags are added around escaped text.
"use strict";

const ui = {
  user: localStorage.getItem("user") || "UALICE", channel: null, data: null, dismissed: new Set(),
  // The pinned area starts collapsed to a line and the card's buttons, so
  // on a laptop screen it leaves room for the channel.
  pinsOpen: localStorage.getItem("pinsOpen") === "1",
  focus: null, // a message to jump to, from a permalink
  highlight: null, // the message jumped to, marked until another channel is opened
};
const $ = (sel) => document.querySelector(sel);

const EMOJI = {
  rotating_light: "🚨", white_check_mark: "✅", warning: "⚠️", x: "❌", lock: "🔒", mega: "📣", memo: "📝",
  bell: "🔔", alarm_clock: "⏰", mag: "🔍", page_facing_up: "📄", pushpin: "📌", hourglass_flowing_sand: "⏳",
  hash: "#️⃣", wave: "👋", arrow_forward: "▶️", thermometer: "🌡️", bust_in_silhouette: "👤", ballot_box_with_check: "☑️",
  mag_right: "🔎", lock_with_ink_pen: "🔏", no_entry: "⛔", traffic_light: "🚦", scales: "⚖️", envelope_with_arrow: "📩",
  detective: "🕵️", shushing_face: "🤫", performing_arts: "🎭", information_source: "ℹ️", red_circle: "🔴", eyes: "👀",
  link: "🔗", repeat: "🔁",
};

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function emoji(html) { return html.replace(/:([a-z0-9_+-]+):/g, (m, n) => EMOJI[n] || m); }
function userName(id) { const u = (ui.data?.users || []).find((u) => u.id === id); return u ? u.name : id; }
function channelName(id) { const c = (ui.data?.channels || []).find((c) => c.id === id); return c ? c.name : null; }

function ago(seconds) {
  const d = Math.round(Date.now() / 1000 - seconds), a = Math.abs(d);
  const [n, unit] = a < 60 ? [a, "second"] : a < 3600 ? [Math.round(a / 60), "minute"] : a < 86400 ? [Math.round(a / 3600), "hour"] : [Math.round(a / 86400), "day"];
  const s = `${n} ${unit}${n === 1 ? "" : "s"}`;
  return d >= 0 ? `${s} ago` : `in ${s}`;
}

// Slack's escapes: <@U1|name>, <#C1|name>, <!date^…|fallback>, <url|label>.
function slackEscape(inner) {
  const [target, label] = [inner.split("|")[0], inner.split("|").slice(1).join("|")];
  if (target.startsWith("@")) return `<span class="mention">@${esc(userName(target.slice(1)))}</span>`;
  if (target.startsWith("#")) return `<span class="mention">#${esc(channelName(target.slice(1)) || label || target.slice(1))}</span>`;
  if (target.startsWith("!date^")) {
    const [, ts, fmt] = target.split("^");
    const t = Number(ts);
    if (!t) return esc(label);
    if ((fmt || "").includes("{ago}")) return esc(ago(t));
    return esc(new Date(t * 1000).toLocaleString());
  }
  if (target.startsWith("!")) return esc("@" + target.slice(1));
  if (/^https?:\/\//.test(target)) return `<a href="${esc(target)}" target="_blank" rel="noopener noreferrer">${esc(label || target)}</a>`;
  return esc(label || target);
}

function mrkdwn(text) {
  return String(text ?? "").split(/(<[^<>]*>)/).map((part) => {
    if (part.startsWith("<") && part.endsWith(">")) return slackEscape(part.slice(1, -1));
    const plain = part.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    return emoji(esc(plain))
      .replace(/```([\s\S]+?)```/g, "<pre><code>$1</code></pre>")
      .replace(/`([^`\n]+)`/g, "<code>$1</code>")
      .replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>")
      .replace(/(^|[\s(])_([^_\n]+)_/g, "$1<i>$2</i>")
      .replace(/(^|[\s(])~([^~\n]+)~/g, "$1<s>$2</s>")
      .replace(/\n/g, "<br>");
  }).join("");
}
function textObj(t) { return !t ? "" : t.type === "mrkdwn" ? mrkdwn(t.text) : emoji(esc(t.text)); }

function element(el, ctx) {
  const data = `data-action="${esc(el.action_id)}" data-block="${esc(ctx.block)}" data-ts="${esc(ctx.ts)}"`;
  switch (el.type) {
    case "button":
      // Keyed by action: when a button goes (Next phase on the last phase), its
      // node goes with it instead of becoming its neighbour under a click.
      return `<button type="button" data-key="${esc(el.action_id)}" class="${esc(el.style || "")}" ${data} data-value="${esc(el.value || "")}">${textObj(el.text)}</button>`;
    case "checkboxes": {
      const on = new Set((el.initial_options || []).map((o) => o.value));
      return `<div class="checks" ${data}>` + (el.options || []).map((o) =>
        `<label><input type="checkbox" value="${esc(o.value)}" ${on.has(o.value) ? "checked" : ""}> ${textObj(o.text)}</label>`).join("") + "</div>";
    }
    case "static_select":
      return `<select ${data}><option value="">${textObj(el.placeholder) || "Choose…"}</option>` +
        (el.options || []).map((o) => `<option value="${esc(o.value)}">${textObj(o.text)}</option>`).join("") + "</select>";
    case "users_select":
      return `<select ${data}><option value="">${textObj(el.placeholder) || "Choose a person…"}</option>` +
        ui.data.users.filter((u) => u.id !== "UBOT").map((u) => `<option value="${esc(u.id)}">${esc(u.name)}</option>`).join("") + "</select>";
    case "image":
      return `<img src="${esc(el.image_url)}" alt="${esc(el.alt_text)}" height="20">`;
    case "mrkdwn": case "plain_text":
      return `<span>${textObj(el)}</span>`;
  }
  return "";
}

function blocks(list, ts) {
  return (list || []).map((b) => {
    const ctx = { block: b.block_id || "", ts };
    switch (b.type) {
      case "header": return `<div class="b-header">${textObj(b.text)}</div>`;
      case "divider": return "<hr>";
      case "image": return `<div class="b-image"><img src="${esc(b.image_url)}" alt="${esc(b.alt_text)}"></div>`;
      case "context": return `<div class="b-context">${(b.elements || []).map((e) => element(e, ctx)).join(" ")}</div>`;
      case "actions": return `<div class="b-actions">${(b.elements || []).map((e) => element(e, ctx)).join("")}</div>`;
      case "section": {
        let html = b.text ? `<div class="b-section">${textObj(b.text)}</div>` : "";
        if (b.fields) html += `<div class="b-fields">${b.fields.map((f) => `<div>${textObj(f)}</div>`).join("")}</div>`;
        if (b.accessory) html += `<div class="accessory">${element(b.accessory, ctx)}</div>`;
        return html;
      }
    }
    return "";
  }).join("");
}

// fileLink is where a shared file is served: its permalink, as the bot shares it.
function fileLink(f) { return `/files/${encodeURIComponent(f.id)}/${encodeURIComponent(f.name)}`; }

function message(m, where) {
  const body = m.blocks ? blocks(m.blocks, m.ts) : `<div class="b-section">${mrkdwn(m.text)}</div>`;
  const files = (m.files || []).map((f) => `<div class="file">📎 <a href="${esc(fileLink(f))}" target="_blank">${esc(f.title || f.name)}</a>` +
    (f.image ? `<img src="${esc(fileLink(f))}" alt="${esc(f.title)}">` : "") + "</div>").join("");
  const note = m.ephemeral ? " · only visible to you" : m.edited ? " · edited" : "";
  // Collapsed, a pinned message shows this line (the card's text: title,
  // severity and phase) and its buttons only.
  const summary = where === "pinned" ? `<div class="summary">${mrkdwn(m.text)}</div>` : "";
  const marks = (m.ephemeral ? " ephemeral" : "") + (m.ts === ui.highlight ? " highlight" : "");
  return `<div class="message${marks}" data-key="${esc(where + ":" + m.ts)}" data-ts="${esc(m.ts)}" data-where="${where}">
    <div class="meta"><b>${esc(userName(m.user))}</b> ${esc(new Date(Number(m.ts.split(".")[0]) * 1000).toLocaleTimeString())}${note}</div>
    ${summary}${body}${files}${reactions(m)}
    ${m.ephemeral ? "" : `<button type="button" class="react" title="Pin to the incident timeline" data-react="${esc(m.ts)}">📌</button>`}
    ${m.ephemeral || m.user === ui.data?.bot ? "" : `<button type="button" class="react" title="Report to security (message shortcut)" data-shortcut="${esc(m.ts)}">🚩</button><button type="button" class="react" title="Add indicators (message shortcut)" data-shortcut="${esc(m.ts)}" data-callback="add_indicators">🔎</button>`}</div>`;
}

// reactions are the bot's reactions under a message: 📝 says a 📌-ed message is on the timeline.
function reactions(m) {
  if (!m.reactions?.length) return "";
  return `<div class="reactions">${m.reactions.map((r) => `<span class="reaction" title=":${esc(r)}: by incidentbot">${esc(EMOJI[r] || `:${r}:`)}</span>`).join("")}</div>`;
}

// pinStub stands in the channel for a pinned message, which is shown once,
// in the pinned area.
function pinStub(m) {
  return `<div class="message pin-stub" data-key="${esc("messages:" + m.ts)}" data-ts="${esc(m.ts)}" data-where="messages">` +
    `📌 <a href="#" data-jump="${esc(m.ts)}">${mrkdwn(m.text)}</a> <span class="where">pinned above</span></div>`;
}

function pinnedArea(pinned) {
  if (!pinned.length) return "";
  const open = ui.pinsOpen;
  return `<div class="pins-head"><h2>📌 Pinned</h2><button type="button" id="pins-toggle" aria-controls="pinned" aria-expanded="${open}">` +
    `${open ? "Show less ▴" : "Show all ▾"}</button></div>` + pinned.map((m) => message(m, "pinned")).join("");
}

// patch brings el's children in line with html in place: nodes that stay keep
// their identity (and focus, and a click in flight), keyed children
// (data-key) are matched by key, and only what changed is touched. Parsing
// goes through a <template>, so nothing in html loads or runs on the way.
function patch(el, html) {
  const tpl = document.createElement("template");
  tpl.innerHTML = html;
  patchChildren(el, tpl.content);
}
function keyOf(node) { return node.nodeType === 1 ? node.getAttribute("data-key") : null; }
function patchChildren(from, to) {
  const keyed = new Map();
  for (const c of from.children) { const k = keyOf(c); if (k !== null) keyed.set(k, c); }
  let cur = from.firstChild;
  for (const next of [...to.childNodes]) {
    const key = keyOf(next);
    let match = null;
    if (key !== null) match = keyed.get(key) || null;
    else if (cur && keyOf(cur) === null && cur.nodeType === next.nodeType && cur.nodeName === next.nodeName) match = cur;
    if (key !== null) keyed.delete(key);
    if (!match) { from.insertBefore(document.importNode(next, true), cur); continue; }
    if (match === cur) cur = cur.nextSibling; else from.insertBefore(match, cur);
    patchNode(match, next);
  }
  while (cur) { const gone = cur; cur = cur.nextSibling; from.removeChild(gone); }
}
function patchNode(a, b) {
  if (a.nodeType !== 1) { if (a.nodeValue !== b.nodeValue) a.nodeValue = b.nodeValue; return; }
  for (const { name } of [...a.attributes]) if (!b.hasAttribute(name)) a.removeAttribute(name);
  for (const { name, value } of b.attributes) if (a.getAttribute(name) !== value) a.setAttribute(name, value);
  patchChildren(a, b);
  // Properties follow the server's state, as a fresh render would.
  if (a.nodeName === "INPUT" && a.type === "checkbox") a.checked = b.hasAttribute("checked");
  if (a.nodeName === "SELECT") {
    const chosen = b.querySelector("option[selected]");
    a.value = chosen ? chosen.getAttribute("value") : (a.options[0]?.value ?? "");
  }
}

function render() {
  const d = ui.data;
  patch($("#user"), d.users.filter((u) => u.id !== "UBOT").map((u) =>
    `<option value="${esc(u.id)}" ${u.id === ui.user ? "selected" : ""}>${esc(u.name)}</option>`).join(""));
  patch($("#channels"), d.channels.map((c) =>
    `<a href="#" data-key="${esc(c.id)}" class="channel${c.id === ui.channel ? " active" : ""}" data-id="${esc(c.id)}" data-name="${esc(c.name)}">` +
    `${c.dm ? "💬 " : c.private ? "🔒 " : "# "}${esc(c.name)}</a>`).join(""));
  const ch = d.channel;
  $("#channel-name").textContent = ch ? (ch.dm ? "incidentbot" : (ch.private ? "🔒 " : "#") + ch.name) : "Pick a channel";
  patch($("#topic"), ch && ch.topic ? mrkdwn(ch.topic) : "");
  const pinned = d.messages.filter((m) => m.pinned);
  $("#pinned").classList.toggle("collapsed", !ui.pinsOpen);
  patch($("#pinned"), pinnedArea(pinned));
  const list = $("#messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  patch(list, d.messages.map((m) => m.pinned ? pinStub(m) : message(m, "messages")).join(""));
  if (atBottom) list.scrollTop = list.scrollHeight;
  renderModal(d.views.filter((v) => !ui.dismissed.has(v.id)).at(-1));
  if (ui.focus) { const ts = ui.focus; ui.focus = null; jumpTo(ts); }
}

function setPinsOpen(open) {
  ui.pinsOpen = open;
  localStorage.setItem("pinsOpen", open ? "1" : "0");
  render();
}

// jumpTo scrolls to a message and marks it; a pinned one is shown whole.
// The mark is in the markup, so the next refresh keeps it.
function jumpTo(ts) {
  const pinned = ui.data.messages.some((m) => m.ts === ts && m.pinned);
  if (pinned && !ui.pinsOpen) { ui.pinsOpen = true; localStorage.setItem("pinsOpen", "1"); }
  ui.highlight = ts;
  render();
  document.querySelector(`#${pinned ? "pinned" : "messages"} .message[data-ts="${CSS.escape(ts)}"]`)?.scrollIntoView({ block: "center" });
}

function renderModal(view) {
  const box = $("#modal"), form = $("#modal-form");
  if (!view) { box.hidden = true; form.dataset.view = ""; return; }
  if (form.dataset.view === view.id) return; // keep what is being typed
  form.dataset.view = view.id;
  const inputs = (view.blocks || []).map((b) => {
    if (b.type !== "input") return blocks([b], "");
    const el = b.element || {}, name = esc(b.block_id);
    let input = "";
    switch (el.type) {
      case "plain_text_input":
        input = el.multiline ? `<textarea name="${name}" maxlength="${esc(el.max_length || 3000)}"></textarea>`
          : `<input type="text" name="${name}" maxlength="${esc(el.max_length || 3000)}">`;
        break;
      case "static_select":
        input = `<select name="${name}"><option value="">Choose…</option>` + (el.options || []).map((o) =>
          `<option value="${esc(o.value)}" ${el.initial_option && el.initial_option.value === o.value ? "selected" : ""}>${textObj(o.text)}</option>`).join("") + "</select>";
        break;
      case "users_select":
        input = `<select name="${name}"><option value="">Choose a person…</option>` + ui.data.users.filter((u) => u.id !== "UBOT")
          .map((u) => `<option value="${esc(u.id)}">${esc(u.name)}</option>`).join("") + "</select>";
        break;
      case "datepicker":
        input = `<input type="date" name="${name}">`;
        break;
      case "checkboxes":
        input = `<div class="checks" data-name="${name}">` + (el.options || []).map((o) =>
          `<label><input type="checkbox" value="${esc(o.value)}"> ${textObj(o.text)}</label>`).join("") + "</div>";
        break;
    }
    return `<label class="field" data-block="${name}"><span>${textObj(b.label)}${b.optional ? " <small>(optional)</small>" : ""}</span>${input}` +
      (b.hint ? `<p class="hint">${textObj(b.hint)}</p>` : "") + `<div class="err"></div></label>`;
  }).join("");
  form.innerHTML = `<h2>${textObj(view.title)}</h2>${inputs}<div class="buttons">` +
    `<button type="button" id="modal-cancel">${textObj(view.close) || "Cancel"}</button><button type="submit">${textObj(view.submit) || "Submit"}</button></div>`;
  box.hidden = false;
}

async function post(path, body) {
  $("#error").textContent = "";
  const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: ui.user, ...body }) });
  if (!res.ok) { $("#error").textContent = await problem(res); return {}; }
  return res.json();
}

// problem is what the API said was wrong: {"error": "…"}, or its text.
async function problem(res) {
  const text = await res.text();
  try { return JSON.parse(text).error || text; } catch { return text; }
}

// refresh fetches what the user sees and renders it. A change that arrives
// while a fetch is running makes it fetch again, so none is missed.
let refreshing = null, again = false;
function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    do {
      again = false;
      const q = new URLSearchParams({ user: ui.user, channel: ui.channel || "" });
      const res = await fetch("/api/state?" + q);
      if (!res.ok) { $("#error").textContent = await problem(res); return; }
      ui.data = await res.json();
      if (ui.channel && !ui.data.channel) { // a link to a channel this person cannot see
        $("#error").textContent = `${userName(ui.user)} cannot see that channel; switch person to open it.`;
        ui.channel = null;
        again = true;
        continue;
      }
      if (!ui.channel && ui.data.channels.length) {
        ui.channel = (ui.data.channels.find((c) => c.name === "general") || ui.data.channels[0]).id;
        again = true;
        continue;
      }
      render();
    } while (again);
  })().finally(() => { refreshing = null; });
  return refreshing;
}

document.addEventListener("click", async (e) => {
  const ch = e.target.closest("a.channel");
  if (ch) { e.preventDefault(); ui.channel = ch.dataset.id; ui.highlight = null; return refresh(); }
  if (e.target.closest("#pins-toggle")) return setPinsOpen(!ui.pinsOpen);
  const jump = e.target.closest("[data-jump]");
  if (jump) { e.preventDefault(); return jumpTo(jump.dataset.jump); }
  const react = e.target.closest("[data-react]");
  if (react) return post("/api/react", { channel: ui.channel, ts: react.dataset.react });
  const shortcut = e.target.closest("[data-shortcut]");
  if (shortcut) return post("/api/shortcut", { channel: ui.channel, ts: shortcut.dataset.shortcut, callback: shortcut.dataset.callback || "" });
  const btn = e.target.closest("button[data-action]");
  if (btn) return post("/api/click", { channel: ui.channel, ts: btn.dataset.ts, action_id: btn.dataset.action, value: btn.dataset.value });
  if (e.target.id === "modal-cancel") { ui.dismissed.add($("#modal-form").dataset.view); renderModal(null); }
});

document.addEventListener("change", (e) => {
  const checks = e.target.closest(".message .checks[data-action]");
  if (checks) {
    const values = [...checks.querySelectorAll("input:checked")].map((i) => i.value);
    return post("/api/check", { channel: ui.channel, ts: checks.dataset.ts, action_id: checks.dataset.action, values });
  }
  const sel = e.target.closest(".message select[data-action]");
  if (sel) return post("/api/select", { channel: ui.channel, ts: sel.dataset.ts, action_id: sel.dataset.action, value: sel.value });
  if (e.target.id === "user") { ui.user = e.target.value; localStorage.setItem("user", ui.user); ui.channel = null; ui.highlight = null; ui.dismissed.clear(); $("#modal-form").dataset.view = ""; refresh(); }
});

$("#composer-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("#composer").value;
  if (!text.trim() || !ui.channel) return;
  $("#composer").value = "";
  await post("/api/send", { channel: ui.channel, text });
});

$("#modal-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target, inputs = {};
  form.querySelectorAll("[name]").forEach((el) => { if (el.value) inputs[el.name] = el.value; });
  form.querySelectorAll(".checks[data-name]").forEach((box) => {
    const v = [...box.querySelectorAll("input:checked")].map((i) => i.value);
    if (v.length) inputs[box.dataset.name] = v.join(",");
  });
  form.querySelectorAll(".err").forEach((el) => { el.textContent = ""; });
  const answer = await post("/api/submit", { view_id: form.dataset.view, inputs });
  if (answer.response_action === "errors") {
    for (const [block, msg] of Object.entries(answer.errors || {})) {
      const field = form.querySelector(`.field[data-block="${CSS.escape(block)}"] .err`);
      if (field) field.textContent = msg;
    }
  }
});

// openLink opens the page where a permalink points (#channel=…&message=…).
function openLink() {
  const at = new URLSearchParams(location.hash.slice(1));
  if (!at.get("channel")) return false;
  ui.channel = at.get("channel");
  ui.focus = at.get("message");
  return true;
}
window.addEventListener("hashchange", () => { if (openLink()) refresh(); });

new EventSource("/api/events").onmessage = () => refresh();
openLink();
refresh();
