// The dashboard's behaviour. The Jinja macros call Dashboard.bind*() once per control; each
// binding GETs its setting at load, PUTs bare JSON on change (jetson-inference's wire format),
// and follows changes made elsewhere (curl, another tab) by polling /api/properties.
"use strict";

const Dashboard = (() => {
  const POLL_MS = 1000;
  const MIN_PUT_INTERVAL_MS = 150;
  const controls = new Map(); // path -> {show(value), busy()}

  function showMessage(text, kind = "danger") {
    const box = document.createElement("div");
    box.className = `toast align-items-center text-bg-${kind} border-0 show`;
    box.setAttribute("role", "alert");
    box.innerHTML = '<div class="d-flex"><div class="toast-body"></div>' +
      '<button type="button" class="btn-close btn-close-white me-2 m-auto"></button></div>';
    box.querySelector(".toast-body").textContent = text;
    box.querySelector("button").onclick = () => box.remove();
    document.getElementById("messages").append(box);
    setTimeout(() => box.remove(), 6000);
  }

  async function getValue(path) {
    const response = await fetch(path, {cache: "no-store"});
    return response.json();
  }

  // PUT a value; the value now in force, or the error's message thrown.
  async function putValue(path, value) {
    const response = await fetch(path, {
      method: "PUT", headers: {"Content-Type": "application/json"}, body: JSON.stringify(value),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || `${path}: HTTP ${response.status}`);
    return answer;
  }

  // Sends the newest value only: while one PUT is in flight (and for MIN_PUT_INTERVAL_MS after
  // it), later values wait and only the last of them is sent. A slider drag makes a few PUTs a
  // second, not hundreds, and its final value always lands.
  function sender(path, show) {
    let inFlight = false;
    let pending;
    let hasPending = false;
    async function flush() {
      if (inFlight || !hasPending) return;
      const value = pending;
      hasPending = false;
      inFlight = true;
      try {
        const applied = await putValue(path, value);
        if (!hasPending) show(applied);
      } catch (error) {
        showMessage(error.message);
        if (!hasPending) show(await getValue(path));
      } finally {
        setTimeout(() => { inFlight = false; flush(); }, MIN_PUT_INTERVAL_MS);
      }
    }
    const send = (value) => { pending = value; hasPending = true; flush(); };
    send.busy = () => inFlight || hasPending;
    return send;
  }

  function bind(id, path, show, readValue, events, isActive = () => false) {
    const element = document.getElementById(id);
    const shower = (value) => show(element, value);
    const send = sender(path, shower);
    for (const name of events) element.addEventListener(name, () => send(readValue(element)));
    controls.set(path, {show: shower, busy: () => send.busy() || isActive(element)});
    getValue(path).then(shower);
  }

  const parse = (type, text) => (type === "int" ? parseInt(text, 10) : parseFloat(text));
  const focused = (element) => document.activeElement === element;

  function bindCheckbox(id, path) {
    bind(id, path, (el, value) => { el.checked = value; }, (el) => el.checked, ["change"]);
  }

  function bindSlider(id, path, type) {
    const badge = document.getElementById(`${id}-value`);
    const element = document.getElementById(id);
    const decimals = type === "int" || Number(element.step) >= 1 ? 0 : 2;
    const format = (value) => Number(value).toFixed(decimals);
    let dragging = false;
    element.addEventListener("pointerdown", () => { dragging = true; });
    window.addEventListener("pointerup", () => { dragging = false; });
    element.addEventListener("input", () => { badge.textContent = format(element.value); });
    bind(id, path, (el, value) => { el.value = value; badge.textContent = format(value); },
      (el) => parse(type, el.value), ["input", "change"], () => dragging);
  }

  function bindSelect(id, path) {
    bind(id, path, (el, value) => { el.value = value; }, (el) => el.value, ["change"]);
  }

  function bindNumber(id, path, type) {
    bind(id, path, (el, value) => { el.value = value; }, (el) => parse(type, el.value),
      ["change"], focused);
  }

  function bindReadout(id, path) {
    const element = document.getElementById(id);
    const show = (value) => { element.textContent = value === null ? "-" : String(value); };
    controls.set(path, {show, busy: () => false});
    getValue(path).then(show);
  }

  async function followProperties() {
    try {
      const response = await fetch("/api/properties", {cache: "no-store"});
      for (const prop of await response.json()) {
        const control = controls.get(prop.path);
        if (control && !control.busy()) control.show(prop.value);
      }
    } catch (error) { /* the server is restarting: the next poll retries */ }
  }

  function lookup(stats, key) {
    return key.split(".").reduce((value, part) => (value == null ? value : value[part]), stats);
  }

  // An MJPEG <img> freezes for good when its connection ends, and it tells only when the
  // connection fails, not when the server closes it (as it does when it stops). So the video
  // is reconnected after an error, and when /stats shows the server back or restarted.
  const video = {serverLost: false, uptime: null};

  function reconnectVideo() {
    document.getElementById("video").src = `/video_feed?t=${Date.now()}`;
  }

  function followServer(stats) {
    const restarted = video.uptime !== null && stats.uptime_s < video.uptime;
    if (video.serverLost || restarted) reconnectVideo();
    video.serverLost = false;
    video.uptime = stats.uptime_s;
  }

  async function followStats() {
    try {
      const stats = await (await fetch("/stats", {cache: "no-store"})).json();
      followServer(stats);
      for (const element of document.querySelectorAll("[data-stat]")) {
        const value = lookup(stats, element.dataset.stat);
        element.textContent = value == null ? "-" : String(value) + (element.dataset.suffix || "");
      }
      for (const element of document.querySelectorAll("[data-network-error]")) {
        const network = lookup(stats, `networks.${element.dataset.networkError}`) || {};
        const message = network.error || (network.loading ? `loading ${network.loading}...` : "");
        element.textContent = message;
        element.classList.toggle("d-none", !message);
        element.classList.toggle("alert-danger", Boolean(network.error));
        element.classList.toggle("alert-info", !network.error);
      }
      const state = document.getElementById("source-state");
      state.className = "badge " + (stats.source.state === "online" ? "text-bg-success"
        : "text-bg-danger");
    } catch (error) {
      video.serverLost = true;
      const state = document.getElementById("source-state");
      state.textContent = "server unreachable";
      state.className = "badge text-bg-danger";
    }
  }

  // One line per network: what it sees now.
  const summaries = {
    classification: (r) => r.classes.length
      ? r.classes.slice(0, 3).map((c) => `${c.label} ${(c.confidence * 100).toFixed(0)}%`).join(", ")
      : "no class above the threshold",
    detection: (r) => {
      const counts = {};
      for (const d of r.detections) counts[d.label] = (counts[d.label] || 0) + 1;
      const parts = Object.entries(counts).map(([label, n]) => `${n} ${label}`);
      return parts.length ? parts.join(", ") : "nothing detected";
    },
    segmentation: (r) => r.classes.slice(0, 4)
      .map((c) => `${c.label} ${(c.fraction * 100).toFixed(0)}%`).join(", "),
    pose: (r) => (r.poses.length
      ? `${r.poses.length} found, ${r.poses.map((p) => p.keypoints.length).join("/")} keypoints`
      : "nobody found"),
    action: (r) => (r.label ? `${r.label} ${(r.confidence * 100).toFixed(0)}%` : "no action"),
    background: (r) => `foreground ${(r.foreground_fraction * 100).toFixed(0)}%`,
  };

  async function followResults() {
    const elements = document.querySelectorAll("[data-results]");
    if (!elements.length) return;
    try {
      const results = await (await fetch("/results", {cache: "no-store"})).json();
      for (const element of elements) {
        const type = element.dataset.results;
        const result = results[type];
        const summary = summaries[type] || ((r) => JSON.stringify(r).slice(0, 80));
        element.textContent = result ? summary(result) : "-";
      }
    } catch (error) { /* the next poll retries */ }
  }

  function start() {
    document.getElementById("video").addEventListener("error",
      () => setTimeout(reconnectVideo, 2000));
    followStats();
    setInterval(followProperties, POLL_MS);
    setInterval(followStats, POLL_MS);
    setInterval(followResults, POLL_MS);
  }

  return {bindCheckbox, bindSlider, bindSelect, bindNumber, bindReadout, showMessage, start};
})();
