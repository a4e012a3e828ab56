"""Fake cudaFont and Log of jetson_utils (bindings: PyCUDA.cpp for cudaFont, PyLogging.cpp for
Log). Text is drawn with OpenCV's Hershey font, not jetson-utils' bitmap font: the same place,
size and colours, other glyphs."""

from __future__ import annotations

import sys
from typing import Any

import cv2

from ._binding import (
    NULL,
    UTILS,
    Call,
    arg_float,
    arg_int,
    arg_opt_str,
    arg_str,
    arg_ulonglong,
    method,
)
from ._cuda import fill_rect, paint, resolve_image


def _rgba(r: float, g: float, b: float, a: float = 255.0) -> tuple[float, float, float, float]:
    return (r, g, b, a)


def text_size(text: str, size: float) -> tuple[int, int, float, int]:
    """(width, height, OpenCV scale, thickness) of a line of text at a font size in pixels."""
    scale = max(size, 1.0) / 30.0
    thickness = max(int(size / 16), 1)
    (width, height), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    return width, height + baseline, scale, thickness


def draw_text(
    view: Any,
    image_format: Any,
    text: str,
    x: int,
    y: int,
    size: float,
    color: tuple[float, ...],
    background: tuple[float, ...] | None = None,
    padding: int = 5,
) -> None:
    """Draw `text` with its top-left corner at (x, y), over a background box if it is given
    (and not transparent)."""
    width, height, scale, thickness = text_size(text, size)
    if background is not None and background[3] > 0:
        box = (x - padding, y - padding, x + width + padding, y + height + padding)
        fill_rect(view, image_format, box, background)
    baseline_y = y + height - max(int(size / 8), 1)

    def draw(mask: Any, left: int, top: int) -> None:
        origin = (x - left, baseline_y - top)
        cv2.putText(mask, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (1,), thickness)

    paint(view, image_format, (x - 2, y - 2, x + width + 2, y + height + 2), color, draw)


class cudaFont:
    """Text overlays on CUDA images; colour tuples as attributes (Black, White, ...).

    As in the binding, `Red` is (255, 255, 255, 255), the same as White."""

    def __init__(self, font: Any = NULL, size: Any = 32.0) -> None:
        self.calls: list[Call] = []
        self._name = arg_opt_str(font, "font")
        self._size = arg_float(size, "size")
        self.Black = _rgba(0.0, 0.0, 0.0)
        self.White = _rgba(255.0, 255.0, 255.0)
        self.Gray = _rgba(128.0, 128.0, 128.0)
        self.Brown = _rgba(165.0, 42.0, 42.0)
        self.Tan = _rgba(210.0, 180.0, 140.0)
        self.Red = _rgba(255.0, 255.0, 255.0)  # sic: the binding's Red is white
        self.Green = _rgba(0.0, 200.0, 128.0)
        self.Blue = _rgba(0.0, 0.0, 255.0)
        self.Cyan = _rgba(0.0, 255.0, 255.0)
        self.Lime = _rgba(0.0, 255.0, 0.0)
        self.Yellow = _rgba(255.0, 255.0, 0.0)
        self.Orange = _rgba(255.0, 165.0, 0.0)
        self.Purple = _rgba(128.0, 0.0, 128.0)
        self.Magenta = _rgba(255.0, 0.0, 255.0)
        self.Gray90 = _rgba(0.0, 0.0, 0.0, 230.0)
        self.Gray80 = _rgba(0.0, 0.0, 0.0, 200.0)
        self.Gray70 = _rgba(0.0, 0.0, 0.0, 180.0)
        self.Gray60 = _rgba(0.0, 0.0, 0.0, 150.0)
        self.Gray50 = _rgba(0.0, 0.0, 0.0, 127.5)
        self.Gray40 = _rgba(0.0, 0.0, 0.0, 100.0)
        self.Gray30 = _rgba(0.0, 0.0, 0.0, 75.0)
        self.Gray20 = _rgba(0.0, 0.0, 0.0, 50.0)
        self.Gray10 = _rgba(0.0, 0.0, 0.0, 25.0)

    @method()
    def OverlayText(
        self,
        image: Any,
        width: Any = 0,
        height: Any = 0,
        text: Any = NULL,
        x: Any = 0,
        y: Any = 0,
        color: Any = NULL,
        background: Any = NULL,
        format: Any = "rgba32f",
        padding: Any = 5,
        stream: Any = 0,
    ) -> None:
        """Draw text at (x, y) (its top-left corner) in `color`, on a `background` box grown
        by `padding` pixels; both colours are (r, g, b[, a]) tuples, 0-255."""
        columns, rows = arg_int(width, "width"), arg_int(height, "height")
        words = arg_opt_str(text, "text")
        left, top = arg_int(x, "x"), arg_int(y, "y")
        format_name, margin = arg_str(format, "format"), arg_int(padding, "padding")
        arg_ulonglong(stream, "stream")
        if words is None:
            raise Exception(
                f"{UTILS}cudaFont.OverlayText() needs to be called with the 'text' string argument"
            )
        rgba = self._color(color, "color", (0.0, 0.0, 0.0, 255.0))
        bg = self._color(background, "background color", (0.0, 0.0, 0.0, 0.0))
        ref = resolve_image(image, columns, rows, format_name)
        if ref.format is None or not ref.format.packed:
            raise Exception(f'{UTILS}cudaFont failed to render text "{words}"')
        draw_text(ref.view, ref.format, words, left, top, self._size, rgba, bg, margin)

    @staticmethod
    def _color(
        value: Any, name: str, default: tuple[float, float, float, float]
    ) -> tuple[float, float, float, float]:
        if value is NULL:
            return default
        if not isinstance(value, tuple):
            raise Exception(f"{UTILS}cudaFont.OverlayText() {name} argument isn't a valid tuple")
        try:
            numbers = [arg_float(v, name) for v in value]
        except TypeError:
            numbers = []
        if not 3 <= len(numbers) <= 4:
            raise Exception(f"{UTILS}cudaFont.OverlayText() failed to parse {name} tuple")
        return (numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) == 4 else default[3])

    @method()
    def TextExtents(self, text: Any, x: Any = 0, y: Any = 0) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of the text drawn at (0, 0): like the binding, x and y
        are accepted and not used."""
        words = arg_str(text, "text")
        width, height, _, _ = text_size(words, self._size)
        return (0, 0, width, height)

    @method()
    def GetSize(self) -> int:
        """The font size (height in pixels)."""
        return int(self._size)


_LEVELS = ["silent", "error", "warning", "success", "info", "verbose", "debug"]


class Log:
    """jetson-utils' logging (class methods). Messages go to stdout, or to the file set with
    SetFilename(), when their level is at or below the current one ('info' by default)."""

    _level = "info"
    _filename = "stdout"

    @classmethod
    def _write(cls, level: str, message: Any) -> None:
        text = arg_str(message, "message")
        if _LEVELS.index(level) > _LEVELS.index(cls._level):
            return
        if cls._filename in ("stdout", "stderr"):
            stream = sys.stdout if cls._filename == "stdout" else sys.stderr
            print(text, file=stream)
        else:
            with open(cls._filename, "a", encoding="utf-8") as file:
                print(text, file=file)

    @classmethod
    def Error(cls, message: Any, /) -> None:
        cls._write("error", message)

    @classmethod
    def Warning(cls, message: Any, /) -> None:
        cls._write("warning", message)

    @classmethod
    def Success(cls, message: Any, /) -> None:
        cls._write("success", message)

    @classmethod
    def Info(cls, message: Any, /) -> None:
        cls._write("info", message)

    @classmethod
    def Verbose(cls, message: Any, /) -> None:
        cls._write("verbose", message)

    @classmethod
    def Debug(cls, message: Any, /) -> None:
        arg_str(message, "message")  # the binding parses it and logs nothing

    @classmethod
    def GetLevel(cls) -> str:
        return cls._level

    @classmethod
    def SetLevel(cls, level: Any, /) -> None:
        name = arg_str(level, "level").lower()
        cls._level = name if name in _LEVELS else "info"

    @classmethod
    def GetFilename(cls) -> str:
        return cls._filename

    @classmethod
    def SetFilename(cls, filename: Any, /) -> None:
        cls._filename = arg_str(filename, "filename")

    @classmethod
    def Usage(cls) -> str:
        return "log arguments:\n  --log-file=FILE\n  --log-level=LEVEL\n  --verbose\n  --debug\n"
