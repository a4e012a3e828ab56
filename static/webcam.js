// The browser's camera as the dashboard's input (the app started with --input webrtc://...):
// pick a camera, press Send, and the server runs its networks on that video; every viewer
// sees the result. One browser sends at a time: the server closes the one before. Browsers
// give a page a camera only in a secure context: over https://, or on http://localhost.
"use strict";

const Webcam = (() => {
  let select, button, status;
  let peer = null; // the connection that sends, while there is one
  let stream = null;
  let sender = null; // the number the server knows this page by as the sender

  const say = (text) => { status.textContent = text; };

  // The cameras, by name once the page may use one (before that, browsers hide the names).
  async function listCameras() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const cameras = devices.filter((device) => device.kind === "videoinput");
    const chosen = select.value;
    select.replaceChildren(...cameras.map((camera, number) =>
      new Option(camera.label || `camera ${number + 1}`, camera.deviceId)));
    if (cameras.some((camera) => camera.deviceId === chosen)) select.value = chosen;
    if (!cameras.length) select.append(new Option("no camera found", ""));
    button.disabled = !cameras.length && !peer;
  }

  async function send() {
    button.disabled = true;
    try {
      const video = select.value ? {deviceId: {exact: select.value}} : true;
      stream = await navigator.mediaDevices.getUserMedia({audio: false, video});
      await listCameras();
      const current = peer = new RTCPeerConnection();
      for (const track of stream.getVideoTracks()) current.addTrack(track, stream);
      current.onconnectionstatechange = () => {
        if (current === peer && ["failed", "closed"].includes(current.connectionState)) {
          stop("stopped: the connection failed or the server closed it");
        }
      };
      ({sender} = await WebRTCSignal.connect(current, "/webrtc/input"));
      const track = stream.getVideoTracks()[0];
      const {width, height} = track.getSettings();
      button.textContent = "Stop";
      say(`sending ${width}x${height} from ${track.label}`);
    } catch (error) {
      stop(`not sending: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  function stop(message = "not sending") {
    if (peer) peer.close();
    peer = null;
    sender = null;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    button.textContent = "Send";
    say(message);
  }

  // The dashboard's /stats, each second: another sender there means another browser took
  // over (the server closed this one's connection, which the browser may notice only
  // after seconds).
  function follow(stats) {
    const now = stats.webrtc && stats.webrtc.input && stats.webrtc.input.sender;
    if (peer && sender !== null && now && now !== sender) {
      stop("stopped: another browser is sending");
    }
  }

  function start() {
    select = document.getElementById("camera-select");
    button = document.getElementById("camera-send");
    status = document.getElementById("camera-status");
    if (!window.isSecureContext || !navigator.mediaDevices) {
      button.disabled = select.disabled = true;
      say("This browser gives a page its camera only over HTTPS or on localhost: start the "
        + "app with --ssl-cert and --ssl-key (README, \"WebRTC\").");
      return;
    }
    button.addEventListener("click", () => (peer ? stop() : send()));
    select.addEventListener("change", () => { if (peer) { stop(); send(); } });
    navigator.mediaDevices.addEventListener("devicechange", listCameras);
    window.addEventListener("pagehide", () => { if (peer) stop(); });
    listCameras();
  }

  return {start, follow};
})();
