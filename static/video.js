// The page's video. When the server sends WebRTC (#video's data-webrtc names its signalling
// path), a <video> plays it. Otherwise, and if WebRTC never shows a frame, frames come over a
// WebSocket (/video_ws) and are drawn on a canvas: a WebSocket does not hold one of the six
// connections a browser keeps per host, as an MJPEG <img> does for as long as it plays (a
// seventh tab could not even load). If WebSockets never work here (a proxy that drops them),
// the page falls back to the MJPEG <img> (/video_feed). `?video=websocket` or `?video=mjpeg`
// in the page's address asks for that one at once.
//
// #video's data attributes say what is shown: data-transport, data-frames (frames shown),
// and for the WebSocket and MJPEG, data-frame-index and data-latency-ms (capture to drawing, of
// the last frame drawn); a WebRTC frame carries neither.
"use strict";

const Video = (() => {
  const HEADER_BYTES = 16; // frame index and capture time, big-endian float64 each
  const RETRY_MS = 2000;
  const TRIES_BEFORE_MJPEG = 3; // WebSockets that never gave a frame, before the fallback
  const FIRST_FRAME_MS = 10000; // a WebRTC stream with no frame by then has failed
  const players = new Map(); // box -> its player

  // One box's player: its canvas, <img> and (for the first camera) <video>. data-base is the
  // camera's path prefix: "" for the first camera, "/cameras/NAME" for another.
  function makePlayer(box) {
    const canvas = box.querySelector("canvas");
    const context = canvas.getContext("2d");
    const image = box.querySelector("img");
    const player = box.querySelector("video");
    let socket = null;
    let everWorked = false;
    let failedTries = 0;
    let newest = null; // the newest message not drawn yet; older ones are dropped
    let drawing = false;
    let frames = 0;
    let peer = null; // the WebRTC connection, while there is one
    let webrtcWorked = false;
    let stopped = true;
    let paused = false; // the tab is hidden: nothing streams until it is shown again

    function show(element) {
      for (const each of [canvas, image, player]) if (each) each.hidden = each !== element;
    }

    function socketUrl() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      return `${scheme}://${location.host}${box.dataset.base || ""}/video_ws`;
    }

    function openSocket() {
      let gotFrame = false;
      try {
        socket = new WebSocket(socketUrl());
      } catch (error) {
        socketClosed(false);
        return;
      }
      socket.binaryType = "arraybuffer";
      const mine = socket;
      socket.onmessage = (event) => {
        if (mine !== socket) return; // a socket of a camera no longer shown
        gotFrame = true;
        everWorked = true;
        newest = event.data;
        if (!drawing) drawNewest();
      };
      socket.onclose = () => { if (mine === socket) socketClosed(gotFrame); };
    }

    function socketClosed(gotFrame) {
      socket = null;
      if (stopped) return;
      if (!gotFrame) failedTries += 1;
      if (!everWorked && failedTries >= TRIES_BEFORE_MJPEG) {
        useMjpeg();
      } else {
        setTimeout(() => {
          if (!socket && !paused && box.dataset.transport === "websocket") openSocket();
        },
          gotFrame ? 0 : RETRY_MS);
      }
    }

    // Decoding is asynchronous; frames that come meanwhile replace each other, so the page
    // always draws the newest and never builds a queue.
    async function drawNewest() {
      drawing = true;
      while (newest) {
        const data = newest;
        newest = null;
        const header = new DataView(data, 0, HEADER_BYTES);
        try {
          const jpeg = new Blob([new Uint8Array(data, HEADER_BYTES)], {type: "image/jpeg"});
          const bitmap = await createImageBitmap(jpeg);
          if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
            canvas.width = bitmap.width;
            canvas.height = bitmap.height;
            fitBox(bitmap.width, bitmap.height);
          }
          context.drawImage(bitmap, 0, 0);
          bitmap.close();
          shown(header.getFloat64(0), header.getFloat64(8));
        } catch (error) { /* a frame that does not decode is skipped */ }
      }
      drawing = false;
    }

    function fitBox(width, height) {
      if (width && height) box.style.aspectRatio = `${width} / ${height}`;
    }

    function counted() {
      frames += 1;
      box.dataset.frames = String(frames);
    }

    function shown(index, captured) {
      counted();
      box.dataset.frameIndex = String(index);
      box.dataset.latencyMs = String(Math.round(Date.now() - captured * 1000));
    }

    function useWebSocket() {
      box.dataset.transport = "websocket";
      show(canvas);
      if (!paused) openSocket();
    }

    function useMjpeg() {
      box.dataset.transport = "mjpeg";
      show(image);
      reconnect();
    }

    function closeAll() {
      if (socket) {
        const old = socket;
        socket = null;
        old.close();
      }
      if (peer) {
        const old = peer;
        peer = null;
        old.close();
      }
      image.removeAttribute("src");
      newest = null;
    }

    function useWebRTC() {
      box.dataset.transport = "webrtc";
      show(player);
      const onFrame = () => {
        webrtcWorked = true;
        counted();
        player.requestVideoFrameCallback(onFrame);
      };
      player.requestVideoFrameCallback(onFrame);
      player.addEventListener("resize", () => fitBox(player.videoWidth, player.videoHeight));
      window.addEventListener("pagehide", () => { if (peer) peer.close(); }); // the server knows
      if (!paused) openPeer();
    }

    async function openPeer() {
      const current = peer = new RTCPeerConnection();
      current.addTransceiver("video", {direction: "recvonly"});
      current.ontrack = (event) => {
        player.srcObject = new MediaStream([event.track]);
        player.play().catch(() => { /* muted autoplay is allowed; a refusal shows no frames */ });
      };
      current.onconnectionstatechange = () => {
        if (["failed", "closed"].includes(current.connectionState)) peerLost(current);
      };
      const framesBefore = frames;
      setTimeout(() => { if (frames === framesBefore) peerLost(current); }, FIRST_FRAME_MS);
      try {
        await WebRTCSignal.connect(current, box.dataset.webrtc);
      } catch (error) {
        peerLost(current);
      }
    }

    // A WebRTC stream that never showed a frame here gives way to the WebSocket; one that did
    // is asked for again (the server restarted, or the network came back).
    function peerLost(lost) {
      if (lost !== peer) return;
      peer = null;
      lost.close();
      if (!webrtcWorked) {
        player.srcObject = null;
        useWebSocket();
      } else {
        setTimeout(() => {
          if (!peer && !paused && box.dataset.transport === "webrtc") openPeer();
        }, RETRY_MS);
      }
    }

    // The MJPEG <img> freezes for good when its connection ends and says so only when the
    // connection fails, not when the server closes it; the dashboard calls this when /stats
    // shows the server back or restarted. A WebSocket that closes retries by itself; a WebRTC
    // connection may take half a minute to say it failed, so it is made anew.
    function reconnect() {
      const transport = box.dataset.transport;
      if (stopped || paused) return;
      if (transport === "mjpeg") {
        image.src = `${box.dataset.base || ""}/video_feed?t=${Date.now()}`;
      } else if (transport === "webrtc") {
        if (peer) {
          const old = peer;
          peer = null;
          old.close();
        }
        openPeer();
      } else if (!socket) {
        openSocket();
      }
    }

    function start() {
      stopped = false;
      paused = document.hidden; // a page opened in a background tab plays once it is shown
      const asked = new URLSearchParams(location.search).get("video");
      const webrtc = box.dataset.webrtc && !box.dataset.base && player
        && "RTCPeerConnection" in window && "requestVideoFrameCallback" in player;
      if (asked === "mjpeg" || !("WebSocket" in window)) {
        useMjpeg();
      } else if (webrtc && asked !== "websocket") {
        useWebRTC();
      } else {
        useWebSocket();
      }
    }

    // Show a camera (its path prefix) in this box, and play it.
    function switchTo(base) {
      if (base === (box.dataset.base || "") && !stopped) return;
      closeAll();
      box.dataset.base = base;
      box.dataset.frames = "0";
      frames = 0;
      start();
    }

    function stop() {
      stopped = true;
      closeAll();
    }

    // A hidden tab streams nothing: its video connection closes, so the server stops sending
    // (and a camera nobody else watches can idle, see --idle-stop); shown again, it reconnects.
    function setHidden(hidden) {
      if (hidden === paused) return;
      paused = hidden;
      if (stopped) return;
      if (paused) closeAll();
      else reconnect();
    }

    image.addEventListener("load", () => { if (!frames) shown(-1, Date.now() / 1000); });
    image.addEventListener("error", () => { if (!stopped) setTimeout(reconnect, RETRY_MS); });
    return {start, stop, reconnect, switchTo, setHidden};
  }

  function of(box) {
    if (!players.has(box)) players.set(box, makePlayer(box));
    return players.get(box);
  }

  // Play the page's main video (#video); the grid's boxes play when shown (Cameras).
  function start() {
    of(document.getElementById("video")).start();
    document.addEventListener("visibilitychange", () => {
      for (const each of players.values()) each.setHidden(document.hidden);
    });
  }

  function reconnect() {
    for (const each of players.values()) each.reconnect();
  }

  return {start, reconnect, of};
})();
