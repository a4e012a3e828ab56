// The page's video. Frames come over a WebSocket (/video_ws) and are drawn on a canvas: a
// WebSocket does not hold one of the six connections a browser keeps per host, as an MJPEG
// <img> does for as long as it plays (a seventh tab could not even load). If WebSockets never
// work here (a proxy that drops them), the page falls back to the MJPEG <img> (/video_feed).
// `?video=mjpeg` in the page's address asks for MJPEG at once.
//
// #video's data attributes say what is shown: data-transport, data-frames (frames drawn),
// data-frame-index and data-latency-ms (capture to drawing, of the last frame drawn).
"use strict";

const Video = (() => {
  const HEADER_BYTES = 16; // frame index and capture time, big-endian float64 each
  const RETRY_MS = 2000;
  const TRIES_BEFORE_MJPEG = 3; // WebSockets that never gave a frame, before the fallback
  let box, canvas, context, image;
  let socket = null;
  let everWorked = false;
  let failedTries = 0;
  let newest = null; // the newest message not drawn yet; older ones are dropped
  let drawing = false;
  let frames = 0;

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
          box.style.aspectRatio = `${bitmap.width} / ${bitmap.height}`;
        }
        context.drawImage(bitmap, 0, 0);
        bitmap.close();
        shown(header.getFloat64(0), header.getFloat64(8));
      } catch (error) { /* a frame that does not decode is skipped */ }
    }
    drawing = false;
  }

  function shown(index, captured) {
    frames += 1;
    box.dataset.frames = String(frames);
    box.dataset.frameIndex = String(index);
    box.dataset.latencyMs = String(Math.round(Date.now() - captured * 1000));
  }

  function useMjpeg() {
    box.dataset.transport = "mjpeg";
    canvas.hidden = true;
    image.hidden = false;
    reconnect();
  }

  // The MJPEG <img> freezes for good when its connection ends and says so only when the
  // connection fails, not when the server closes it; the dashboard calls this when /stats
  // shows the server back or restarted. A WebSocket that closes retries by itself.
  function reconnect() {
    if (box.dataset.transport === "mjpeg") {
      image.src = `/video_feed?t=${Date.now()}`;
    } else if (!socket) {
      openSocket();
    }
  }

  function start() {
    box = document.getElementById("video");
    canvas = box.querySelector("canvas");
    context = canvas.getContext("2d");
    image = box.querySelector("img");
    image.addEventListener("load", () => { if (!frames) shown(-1, Date.now() / 1000); });
    image.addEventListener("error", () => setTimeout(reconnect, RETRY_MS));
    const asked = new URLSearchParams(location.search).get("video");
    if (asked === "mjpeg" || !("WebSocket" in window)) {
      useMjpeg();
    } else {
      box.dataset.transport = "websocket";
      openSocket();
    }
  }

  return {start, reconnect};
})();
