// The chat page: one WebSocket to /ws?name=..., JSON messages both ways.
//
// The page sends {"text": "..."}. The server sends
//   {"type": "welcome", "name", "users", "time"}  to this page on connecting,
//   {"type": "join"|"leave", "name", "users", "time"}  when someone comes or goes,
//   {"type": "message", "name", "text", "time"}  for every message, ours included.
// When the connection drops the page reconnects, waiting longer each time.
"use strict";

const $ = (id) => document.getElementById(id);
const log = $("log");
let me = "";       // our name, as the server confirmed it
let ws = null;
let attempt = 0;   // failed connections in a row, for the backoff

// A name is asked for once and remembered; ?name=... in the URL skips the
// prompt.
function start() {
  const name = new URLSearchParams(location.search).get("name") || localStorage.getItem("chat-name");
  if (name) {
    connect(name);
    return;
  }
  $("name").value = randomName();
  $("join").hidden = false;
  $("name").select();
  $("join-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const chosen = $("name").value.trim();
    if (!chosen) return;
    localStorage.setItem("chat-name", chosen);
    $("join").hidden = true;
    connect(chosen);
  });
}

function connect(name) {
  const url = new URL("ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("name", name);
  setStatus("connecting", "connecting…");
  ws = new WebSocket(url);
  ws.onopen = () => { attempt = 0; };
  ws.onmessage = (ev) => receive(JSON.parse(ev.data));
  ws.onclose = () => {
    setStatus("offline", "offline");
    enableInput(false);
    showUsers([]);
    const delay = Math.min(10000, 500 * 2 ** attempt) * (0.8 + 0.4 * Math.random());
    attempt++;
    notice(`Connection lost. Reconnecting in ${Math.round(delay / 1000)} s…`);
    setTimeout(() => connect(name), delay);
  };
}

function receive(msg) {
  switch (msg.type) {
  case "welcome":
    me = msg.name;
    setStatus("online", `online as ${me}`);
    enableInput(true);
    showUsers(msg.users);
    notice(`You joined as ${me}.`, msg.time);
    break;
  case "join":
    showUsers(msg.users);
    notice(`${msg.name} joined.`, msg.time);
    break;
  case "leave":
    showUsers(msg.users);
    notice(`${msg.name} left.`, msg.time);
    break;
  case "message":
    message(msg);
    break;
  }
}

$("say").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("text").value.trim();
  if (!text || !ws || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ text }));
  $("text").value = "";
  $("text").focus();
});

function message({ name, text, time }) {
  const li = append("message" + (name === me ? " mine" : ""));
  const body = el("div", "body");
  const meta = el("div", "meta");
  meta.append(el("b", "", name), clock(time));
  meta.firstChild.style.color = color(name);
  body.append(meta, el("div", "text", text));
  li.append(avatar(name), body);
  scroll();
}

function notice(text, time) {
  const li = append("notice");
  li.append(text);
  if (time) li.append(clock(time));
  scroll();
}

function showUsers(users) {
  $("count").textContent = users.length;
  $("users").replaceChildren(...users.map((name) => {
    const li = el("li", name === me ? "me" : "");
    li.append(avatar(name), el("span", "name", name));
    return li;
  }));
}

function setStatus(kind, text) {
  $("status").className = "status " + kind;
  $("status").textContent = text;
}

function enableInput(on) {
  $("text").disabled = !on;
  $("send").disabled = !on;
  if (on) $("text").focus();
}

function append(cls) {
  const li = el("li", cls);
  log.append(li);
  return li;
}

function scroll() { log.scrollTop = log.scrollHeight; }

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function clock(time) {
  const t = el("time", "", new Date(time).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  t.dateTime = time;
  return t;
}

function avatar(name) {
  const a = el("span", "avatar", initials(name));
  a.style.background = color(name);
  return a;
}

function initials(name) {
  const words = name.split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((w) => [...w][0].toUpperCase()).join("") || "?";
}

// color gives every name its own hue.
function color(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) % 360;
  return `hsl(${h}, 55%, 48%)`;
}

function randomName() {
  const adjectives = ["Quiet", "Brave", "Curious", "Sunny", "Clever", "Gentle", "Swift", "Witty"];
  const animals = ["Heron", "Otter", "Fox", "Lynx", "Panda", "Robin", "Badger", "Koala"];
  const pick = (a) => a[Math.floor(Math.random() * a.length)];
  return `${pick(adjectives)} ${pick(animals)}`;
}

start();
