// WebRTC signalling over the app's own HTTP (no other port): the page's offer is POSTed to
// /webrtc/output (to receive the video) or /webrtc/input (to send a camera), and the server's
// answer is set. The server takes no candidates trickled later, so the offer waits for the
// browser's own (at most GATHER_MS).
"use strict";

const WebRTCSignal = (() => {
  const GATHER_MS = 2000;

  function gathered(peer) {
    return new Promise((resolve) => {
      if (peer.iceGatheringState === "complete") return resolve();
      peer.addEventListener("icegatheringstatechange", () => {
        if (peer.iceGatheringState === "complete") resolve();
      });
      setTimeout(resolve, GATHER_MS);
    });
  }

  // Offer, answer (the server's answer is returned); an Error with the server's message if
  // it refuses.
  async function connect(peer, path) {
    await peer.setLocalDescription(await peer.createOffer());
    await gathered(peer);
    const response = await fetch(path, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({type: "offer", sdp: peer.localDescription.sdp}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `${path}: HTTP ${response.status}`);
    await peer.setRemoteDescription(answer);
    return answer;
  }

  return {connect};
})();
