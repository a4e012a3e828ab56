// The dashboard's behaviour. Each control the Jinja macros made says its kind (data-bind) and
// its setting (data-path); start() binds them: a GET of the setting at load, a PUT of bare JSON
// on change (jetson-inference's wire format), and changes made elsewhere (curl, another tab)
// followed by polling /api/properties. With several cameras, the page shows them all in a grid
// or one of them (the picker), and the stats and results are that camera's.
"use strict";

// Calls `follow` (an async poll that handles its own errors) every `ms`, counted from the end of
// its last answer, so that a slow server never gets a queue of polls from one tab; a hidden tab
// does not poll, and catches up as soon as it is shown again.
function pollEvery(ms, follow) {
  let due = false; // a poll is under way or waiting for its turn
  const next = (delay) => {
    if (due || document.hidden) return;
    due = true;
    setTimeout(async () => {
      try {
        await follow();
      } finally {
        due = false;
        next(ms);
      }
    }, delay);
  };
  document.addEventListener("visibilitychange", () => next(0));
  next(ms);
}

const Dashboard = (() => {
  const POLL_MS = 1000;
  const MIN_PUT_INTERVAL_MS = 150;
  const MESSAGE_MS = 6000;
  const controls = new Map(); // path -> {show(value), busy()}
  const networkLoading = {}; // type -> since when (performance.now()) a network is loading

  // One toast per key (a setting's path): a new message replaces the last, so they never pile up.
  function showMessage(text, key = text, kind = "danger") {
    let box = [...document.querySelectorAll("#messages .toast")]
      .find((toast) => toast.dataset.key === key);
    if (!box) {
      box = document.createElement("div");
      box.className = `toast align-items-center text-bg-${kind} border-0 show`;
      box.setAttribute("role", "alert");
      box.dataset.key = key;
      box.innerHTML = '<div class="d-flex"><div class="toast-body"></div><button type="button" ' +
        'class="btn-close btn-close-white me-2 m-auto" aria-label="Close"></button></div>';
      box.querySelector("button").onclick = () => box.remove();
      document.getElementById("messages").append(box);
    }
    box.querySelector(".toast-body").textContent = text;
    clearTimeout(box.timer);
    box.timer = setTimeout(() => box.remove(), MESSAGE_MS);
  }

  // A request's JSON answer; an Error that says what went wrong, naming the setting.
  async function request(path, options = {}) {
    let response;
    try {
      response = await fetch(path, {cache: "no-store", ...options});
    } catch (error) {
      throw new Error(`${path}: the server is unreachable`);
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `${path}: HTTP ${response.status}`);
    return answer;
  }

  const getValue = (path) => request(path);

  // PUT a value; the value now in force, or the error's message thrown.
  const putValue = (path, value) => request(path, {
    method: "PUT", headers: {"Content-Type": "application/json"}, body: JSON.stringify(value),
  });

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
        showMessage(error.message, path);
        if (!hasPending) await getValue(path).then(show, () => {});
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
    let changed = false; // by the user already: the first GET's answer may be older than that
    for (const name of events) {
      element.addEventListener(name, () => {
        changed = true;
        send(readValue(element));
      });
    }
    controls.set(path, {show: shower, busy: () => send.busy() || isActive(element)});
    getValue(path).then((value) => { if (!changed) shower(value); }, () => {});
  }

  const parse = (type, text) => (type === "int" ? parseInt(text, 10) : parseFloat(text));
  const focused = (element) => document.activeElement === element;

  // Controls shown only while a switch is on (the tracking settings while tracking is on).
  function showDependents(path, on) {
    for (const element of document.querySelectorAll(`[data-shown-by="${path}"]`)) {
      element.hidden = !on;
    }
  }

  function bindCheckbox(id, path) {
    const element = document.getElementById(id);
    element.addEventListener("change", () => showDependents(path, element.checked));
    bind(id, path, (el, value) => { el.checked = value; showDependents(path, value); },
      (el) => el.checked, ["change"]);
  }

  // The decimals of a number as written, at most 3 (0.125 -> 3, 12 -> 0).
  const decimalsOf = (value) => Math.min(3, (String(value).split(".")[1] || "").length);

  function bindSlider(id, path, type) {
    const badge = document.getElementById(`${id}-value`);
    const element = document.getElementById(id);
    const stepDecimals = type === "int" || Number(element.step) >= 1 ? 0 : 2;
    const percentOf = Number(element.dataset.percentOf) || 0;
    // The badge shows the value itself, also one off the slider's steps (set with curl), or,
    // for an opacity on a 0-255 scale, its percentage.
    const format = (value) => (percentOf ? `${Math.round((100 * value) / percentOf)}%`
      : Number(value).toFixed(Math.max(stepDecimals, decimalsOf(value))));
    let dragging = false;
    element.addEventListener("pointerdown", () => { dragging = true; });
    for (const name of ["pointerup", "pointercancel"]) {
      window.addEventListener(name, () => { dragging = false; });
    }
    element.addEventListener("input", () => {
      badge.textContent = percentOf ? format(element.value)
        : Number(element.value).toFixed(stepDecimals);
    });
    bind(id, path, (el, value) => { el.value = value; badge.textContent = format(value); },
      (el) => parse(type, el.value), ["input", "change"], () => dragging);
  }

  // A select. For /<type>/network, the server answers with the network still in force while
  // the one chosen loads, so the choice is kept on screen until /stats says the load is over.
  function bindSelect(id, path) {
    const type = path.endsWith("/network") ? path.split("/")[1] : null;
    const loading = () => type !== null && networkLoading[type] !== undefined;
    bind(id, path, (el, value) => { if (!loading()) el.value = value; }, (el) => {
      if (type !== null) networkLoading[type] = performance.now();
      return el.value;
    }, ["change"], loading);
  }

  function bindNumber(id, path, type) {
    bind(id, path, (el, value) => { el.value = value; }, (el) => parse(type, el.value),
      ["change"], focused);
  }

  const binders = {
    checkbox: (el) => bindCheckbox(el.id, el.dataset.path),
    slider: (el) => bindSlider(el.id, el.dataset.path, el.dataset.type),
    select: (el) => bindSelect(el.id, el.dataset.path),
    number: (el) => bindNumber(el.id, el.dataset.path, el.dataset.type),
    readout: (el) => bindReadout(el.id, el.dataset.path),
  };

  function bindAll() {
    for (const element of document.querySelectorAll("[data-bind]")) {
      binders[element.dataset.bind](element);
    }
  }

  // Cards fold like those of NVIDIA's example, and stay as they were left (per browser).
  function rememberFolds() {
    for (const body of document.querySelectorAll("[data-remember]")) {
      const key = `folded:${body.dataset.remember}`;
      if (localStorage.getItem(key) === "1") {
        body.classList.remove("show");
        const toggle = document.querySelector(`[data-bs-target="#${body.id}"]`);
        if (toggle) toggle.setAttribute("aria-expanded", "false");
      }
      body.addEventListener("hide.bs.collapse", () => localStorage.setItem(key, "1"));
      body.addEventListener("show.bs.collapse", () => localStorage.removeItem(key));
    }
  }

  function bindReadout(id, path) {
    const element = document.getElementById(id);
    const show = (value) => { element.textContent = value === null ? "-" : String(value); };
    controls.set(path, {show, busy: () => false});
    getValue(path).then(show, () => {});
  }

  async function followProperties() {
    try {
      const properties = await request("/api/properties");
      for (const prop of properties) {
        const control = controls.get(prop.path);
        if (control && !control.busy()) control.show(prop.value);
      }
      const paths = new Set(properties.map((prop) => prop.path));
      if (paths.size !== controls.size || [...controls.keys()].some((p) => !paths.has(p))) {
        showMessage("The server now has other settings (restarted with other networks?): " +
          "reload the page.", "reload", "warning");
      }
    } catch (error) { /* the server is restarting: the next poll retries */ }
  }

  function lookup(stats, key) {
    return key.split(".").reduce((value, part) => (value == null ? value : value[part]), stats);
  }

  // The video (video.js) is reconnected when /stats shows the server back or restarted.
  const server = {lost: false, uptime: null};

  // While the server does not answer, the page says so: the video dims under a notice, the
  // stats are marked stale and the controls are disabled (a change could not be sent).
  function showServerLost(lost) {
    document.body.classList.toggle("server-lost", lost);
    document.getElementById("server-lost").hidden = !lost;
    const inputs = document.querySelectorAll("[data-bind]:not([data-bind=readout]), #camera-running");
    for (const element of inputs) {
      if (lost && !element.disabled) {
        element.disabled = true;
        element.dataset.disabledWhileLost = "1";
      } else if (!lost && element.dataset.disabledWhileLost) {
        element.disabled = false;
        delete element.dataset.disabledWhileLost;
      }
    }
  }

  function followServer(stats) {
    const restarted = server.uptime !== null && stats.uptime_s < server.uptime;
    if (server.lost || restarted) {
      Video.reconnect();
      showServerLost(false);
      followProperties(); // the values in force now, not those shown before the loss
    }
    server.lost = false;
    server.uptime = stats.uptime_s;
  }

  // What /stats says of the networks being loaded; a load asked for after this request was
  // sent is not over just because the answer does not mention it yet.
  function followLoading(stats, requested) {
    for (const [type, network] of Object.entries(stats.networks)) {
      if (network.loading) {
        networkLoading[type] = requested;
      } else if (networkLoading[type] < requested) {
        delete networkLoading[type];
      }
    }
  }

  let lastStats = null;
  const switchedOff = (type) => Boolean(lastStats && lastStats.networks[type]
    && !lastStats.networks[type].enabled);

  async function followStats() {
    try {
      const requested = performance.now();
      const stats = await request(`${Cameras.base()}/stats`);
      lastStats = stats;
      followServer(stats);
      Webcam.follow(stats);
      followLoading(stats, requested);
      for (const element of document.querySelectorAll("[data-stat]")) {
        const value = lookup(stats, element.dataset.stat);
        const stale = element.dataset.network && switchedOff(element.dataset.network);
        element.textContent = value == null || stale ? "-"
          : String(value) + (element.dataset.suffix || "");
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
      server.lost = true;
      showServerLost(true);
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
      const results = await request(`${Cameras.base()}/results`);
      for (const element of elements) {
        const type = element.dataset.results;
        const result = results[type];
        const summary = summaries[type] || ((r) => JSON.stringify(r).slice(0, 80));
        element.textContent = switchedOff(type) ? "switched off" : result ? summary(result) : "-";
      }
    } catch (error) { /* the next poll retries */ }
  }

  // Fullscreen for the video; a snapshot of the annotated frame, named by camera and time.
  function bindVideoButtons() {
    const video = document.getElementById("video");
    document.getElementById("fullscreen").addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else video.requestFullscreen().catch((error) => showMessage(error.message, "fullscreen"));
    });
    const snapshot = document.getElementById("snapshot");
    snapshot.addEventListener("click", () => {
      const camera = Cameras.base().split("/").pop() || "camera";
      const time = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
      snapshot.href = `${Cameras.base()}/snapshot.jpg`;
      snapshot.download = `snapshot-${camera}-${time}.jpg`;
    });
  }

  function start() {
    bindAll();
    rememberFolds();
    bindVideoButtons();
    Video.start();
    Cameras.start();
    if (document.getElementById("card-camera")) Webcam.start();
    followStats();
    pollEvery(POLL_MS, followProperties);
    pollEvery(POLL_MS, followStats);
    pollEvery(POLL_MS, followResults);
  }

  return {request, putValue, showMessage, start};
})();

// Several cameras: the picker shows all of them in a grid (each tile plays its own video)
// or one of them in the main video, whose stats and results the page then shows.
const Cameras = (() => {
  let picker = null;
  let focused = ""; // the camera shown in the main video; "" for the first
  const POLL_MS = 1000;

  const base = () => (focused ? `/cameras/${focused}` : "");

  function tiles() {
    return [...document.querySelectorAll("#camera-grid [data-camera]")];
  }

  function choose(name) {
    picker.value = name;
    const grid = document.getElementById("camera-grid");
    const gridShown = name === "";
    grid.hidden = !gridShown;
    document.getElementById("focus").hidden = gridShown;
    document.getElementById("camera-running-switch").hidden = gridShown;
    for (const tile of tiles()) {
      const player = Video.of(tile.querySelector(".video-box"));
      if (gridShown) player.start(); else player.stop();
    }
    const main = Video.of(document.getElementById("video"));
    if (gridShown) {
      main.stop();
    } else {
      focused = name === picker.options[1].value ? "" : name;
      main.switchTo(base());
    }
    followCameras();
  }

  async function followCameras() {
    try {
      const cameras = await Dashboard.request("/cameras");
      for (const camera of cameras) {
        const badge = document.querySelector(`[data-camera-state="${camera.name}"]`);
        if (badge) {
          badge.textContent = camera.state;
          badge.className = "badge " + (camera.state === "online" ? "text-bg-success"
            : ["idle", "stopped"].includes(camera.state) ? "text-bg-secondary" : "text-bg-danger");
        }
        if (camera.name === picker.value) {
          document.getElementById("camera-running").checked = camera.running;
        }
      }
    } catch (error) { /* the next poll retries */ }
  }

  async function setRunning(event) {
    const name = picker.value;
    try {
      const running = await Dashboard.putValue(`/cameras/${name}/running`, event.target.checked);
      event.target.checked = running;
    } catch (error) {
      Dashboard.showMessage(error.message, "running");
    }
  }

  function start() {
    picker = document.getElementById("camera-picker");
    if (!picker) return;
    picker.addEventListener("change", () => choose(picker.value));
    for (const tile of tiles()) {
      const show = () => choose(tile.dataset.camera);
      tile.addEventListener("click", show);
      tile.addEventListener("keydown", (event) => { if (event.key === "Enter") show(); });
    }
    document.getElementById("camera-running").addEventListener("change", setRunning);
    choose("");
    pollEvery(POLL_MS, followCameras);
  }

  return {start, base};
})();

document.addEventListener("DOMContentLoaded", () => {
  if (document.getElementById("video")) Dashboard.start();
});
