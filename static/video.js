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
  let box, canvas, context, image, player;
  let socket = null;
  let everWorked = false;
  let failedTries = 0;
  let newest = null; // the newest message not drawn yet; older ones are dropped
  let drawing = false;
  let frames = 0;
  let peer = null; // the WebRTC connection, while there is one
  let webrtcWorked = false;

  function show(element) {
    for (const each of [canvas, image, player]) each.hidden = each !== element;
  }

  function socketUrl() {
    return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/video_ws`;
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
    socket.onmessage = (event) => {
      gotFrame = true;
      everWorked = true;
      newest = event.data;
      if (!drawing) drawNewest();
    };
    socket.onclose = () => socketClosed(gotFrame);
  }

  function socketClosed(gotFrame) {
    socket = null;
    if (!gotFrame) failedTries += 1;
    if (!everWorked && failedTries >= TRIES_BEFORE_MJPEG) {
      useMjpeg();
    } else {
      setTimeout(() => { if (!socket && box.dataset.transport === "websocket") openSocket(); },
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
    openSocket();
  }

  function useMjpeg() {
    box.dataset.transport = "mjpeg";
    show(image);
    reconnect();
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
    openPeer();
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
      setTimeout(() => { if (!peer && box.dataset.transport === "webrtc") openPeer(); }, RETRY_MS);
    }
  }

  // The MJPEG <img> freezes for good when its connection ends and says so only when the
  // connection fails, not when the server closes it; the dashboard calls this when /stats
  // shows the server back or restarted. A WebSocket that closes retries by itself; a WebRTC
  // connection may take half a minute to say it failed, so it is made anew.
  function reconnect() {
    const transport = box.dataset.transport;
    if (transport === "mjpeg") {
      image.src = `/video_feed?t=${Date.now()}`;
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
    box = document.getElementById("video");
    canvas = box.querySelector("canvas");
    context = canvas.getContext("2d");
    image = box.querySelector("img");
    player = box.querySelector("video");
    image.addEventListener("load", () => { if (!frames) shown(-1, Date.now() / 1000); });
    image.addEventListener("error", () => setTimeout(reconnect, RETRY_MS));
    const asked = new URLSearchParams(location.search).get("video");
    const webrtc = box.dataset.webrtc && "RTCPeerConnection" in window
      && "requestVideoFrameCallback" in player;
    if (asked === "mjpeg" || !("WebSocket" in window)) {
      useMjpeg();
    } else if (webrtc && asked !== "websocket") {
      useWebRTC();
    } else {
      useWebSocket();
    }
  }

  return {start, reconnect};
})();
