"""Glass-to-glass latency of the page's video: a source that paints its capture time into
each frame, and the page-side scripts that read it back from each frame shown.

The time (Unix ms, mod 2**BITS) goes across the top as BITS black or white blocks, big enough
to survive H.264 or VP8. For each frame the <video> shows, the script takes the time it is
shown (requestVideoFrameCallback's expected display time, on the page's clock: Unix ms on this
machine, the same clock as the server's on loopback) minus the time read from the frame.
Used by tests/test_webrtc_browser.py and bench/webrtc.py.
"""

from __future__ import annotations

import time

import numpy as np

from sources import PatternSource

BITS, BLOCK_WIDTH, BLOCK_HEIGHT = 32, 20, 40  # 640 px across, 40 high


class TimeCodeSource:
    """The 640x480 test pattern at 30 fps with its capture time painted across the top."""

    description = "test pattern with a time code"
    pace = 30.0

    def __init__(self) -> None:
        self._pattern = PatternSource(BITS * BLOCK_WIDTH, 480, self.pace)

    def read(self) -> np.ndarray:
        image = self._pattern.read()
        now = int(time.time() * 1000) % 2**BITS
        for bit in range(BITS):
            on = (now >> (BITS - 1 - bit)) & 1
            image[:BLOCK_HEIGHT, bit * BLOCK_WIDTH : (bit + 1) * BLOCK_WIDTH] = 255 * on
        return image

    def close(self) -> None:
        pass


# The time code in a picture drawn on a 2D context: Unix ms mod 2**BITS.
_READ = f"""const readTimeCode = (context, width) => {{
  const row = context.getImageData(0, {BLOCK_HEIGHT // 2}, width, 1).data;
  let captured = 0;
  for (let bit = 0; bit < {BITS}; bit++) {{
    const x = bit * {BLOCK_WIDTH} + {BLOCK_WIDTH // 2};
    captured = captured * 2 + (row[x * 4 + 1] > 128 ? 1 : 0);
  }}
  return captured;
}};"""

# page.evaluate(GLASS_TO_GLASS, count): the delays in ms of the next `count` frames the
# <video> shows (WebRTC), from capture to the time each is shown.
GLASS_TO_GLASS = f"""(count) => new Promise((resolve) => {{
  {_READ}
  const video = document.querySelector("#video video");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", {{willReadFrequently: true}});
  const delays = [];
  const onFrame = (now, frame) => {{
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    const shown = (performance.timeOrigin + frame.expectedDisplayTime) % 2 ** {BITS};
    delays.push(shown - readTimeCode(context, canvas.width));
    if (delays.length < count) video.requestVideoFrameCallback(onFrame);
    else resolve(delays);
  }};
  video.requestVideoFrameCallback(onFrame);
}})"""

# page.evaluate(CAPTURE_TO_CANVAS, count): for the WebSocket video, the delays in ms of the
# next `count` frames from capture to being drawn on the page's canvas (its display follows
# at the next screen refresh, which this does not count).
CAPTURE_TO_CANVAS = f"""(count) => new Promise((resolve) => {{
  {_READ}
  const box = document.getElementById("video");
  const canvas = box.querySelector("canvas");
  const context = canvas.getContext("2d");
  const delays = [];
  const observer = new MutationObserver(() => {{
    delays.push(Date.now() % 2 ** {BITS} - readTimeCode(context, canvas.width));
    if (delays.length >= count) {{
      observer.disconnect();
      resolve(delays);
    }}
  }});
  observer.observe(box, {{attributes: true, attributeFilter: ["data-frames"]}});
}})"""
