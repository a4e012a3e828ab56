"""What the fake jetson_utils and jetson_inference share: how the C bindings take their
arguments, jetson-utils' command-line parser, the image formats, and the call log.

The real modules are CPython extensions. Their functions parse arguments with CPython's
PyArg_ParseTupleAndKeywords (keyword-or-positional, in the order of a `kwlist`) or
PyArg_ParseTuple (positional only). The fakes are Python functions whose parameters are named
and ordered as those kwlists are, and whose bodies convert each argument as the C format unit
does ('i', 'f', 's', 'p', 'L', 'K', 'O'), raising the same exception types.
"""

from __future__ import annotations

import functools
import inspect
import operator
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np

UTILS = "jetson.utils -- "  # the bindings' message prefix (LOG_PY_UTILS)
INFERENCE = "jetson.inference -- "  # LOG_PY_INFERENCE

P = ParamSpec("P")
R = TypeVar("R")


class Null:
    """The value of an optional argument a binding leaves as a C NULL pointer when it is not
    given. Passing None instead is not the same: for an 's' argument CPython raises TypeError."""

    _instance: Null | None = None

    def __new__(cls) -> Null:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NULL"

    def __bool__(self) -> bool:
        return False


NULL = Null()


class ParseError(TypeError):
    """An argument a C format unit refused (CPython raises TypeError)."""


class ParseOverflowError(OverflowError):
    """An integer argument outside of a C int (CPython raises OverflowError)."""


# --- the C format units ------------------------------------------------------------------


def arg_int(value: Any, name: str) -> int:
    """'i': a Python int (or an object with __index__) that fits a C int; floats are refused."""
    if isinstance(value, float):
        raise ParseError(f"argument '{name}': 'float' object cannot be interpreted as an integer")
    try:
        number = operator.index(value)
    except TypeError:
        kind = type(value).__name__
        raise ParseError(
            f"argument '{name}': '{kind}' object cannot be interpreted as an integer"
        ) from None
    if number > 2**31 - 1:
        raise ParseOverflowError("signed integer is greater than maximum")
    if number < -(2**31):
        raise ParseOverflowError("signed integer is less than minimum")
    return number


def arg_longlong(value: Any, name: str) -> int:
    """'L': a C long long."""
    if isinstance(value, float):
        raise ParseError(f"argument '{name}': 'float' object cannot be interpreted as an integer")
    try:
        number = operator.index(value)
    except TypeError:
        kind = type(value).__name__
        raise ParseError(
            f"argument '{name}': '{kind}' object cannot be interpreted as an integer"
        ) from None
    if not -(2**63) <= number < 2**63:
        raise ParseOverflowError("Python int too large to convert to C long")
    return number


def arg_ulonglong(value: Any, name: str) -> int:
    """'K': an unsigned long long, without overflow checking (CUDA streams and events)."""
    if isinstance(value, float) or not hasattr(type(value), "__index__"):
        raise ParseError(f"argument '{name}' must be int, not {type(value).__name__}")
    return operator.index(value) % 2**64


def arg_float(value: Any, name: str) -> float:
    """'f': a real number, stored as a C float (so 0.7 comes back as 0.699999988079071)."""
    kind = type(value)
    if isinstance(value, str | bytes) or not (
        hasattr(kind, "__float__") or hasattr(kind, "__index__")
    ):
        raise ParseError(f"argument '{name}' must be real number, not {kind.__name__}")
    return f32(float(value))


def arg_str(value: Any, name: str) -> str:
    """'s': a str without NUL characters (None is refused)."""
    if not isinstance(value, str):
        raise ParseError(f"argument '{name}' must be str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError("embedded null character")
    return value


def arg_opt_str(value: Any, name: str) -> str | None:
    """An 's' argument whose C default is NULL: None when it was not given."""
    return None if value is NULL else arg_str(value, name)


def arg_bool(value: Any) -> bool:
    """'p': the truth of any object."""
    return bool(value)


def f32(value: float) -> float:
    """A Python float as a C float gives it back."""
    return float(np.float32(value))


def u32(value: int) -> int:
    """An int passed to a C uint32_t parameter (negative numbers wrap around)."""
    return value % 2**32


# --- the call log ------------------------------------------------------------------------


class Call:
    """One call of a fake binding: its name and its arguments by name, defaults filled in.

    CUDA memory (anything with a `ptr`) is logged by weak reference and reads back as None
    once freed: the binding keeps no reference to its arguments, and the pipeline's buffer
    reuse (images.ImagePool) counts the references held."""

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        self.name = name
        self._args = {key: _weakly(value) for key, value in args.items()}

    @property
    def args(self) -> dict[str, Any]:
        return {
            key: value() if isinstance(value, weakref.ref) else value
            for key, value in self._args.items()
        }

    def __getitem__(self, key: str) -> Any:
        return self.args[key]

    def __repr__(self) -> str:
        return f"Call({self.name!r}, {self.args!r})"


def _weakly(value: Any) -> Any:
    return weakref.ref(value) if hasattr(type(value), "ptr") else value


def method(parse_error: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A binding method: each call is appended to `self.calls` (even one that then raises).
    `parse_error`: the binding replaces CPython's TypeError for unparsable arguments with
    Exception(parse_error)."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        return _recorded(function, parse_error, lambda arguments: arguments.pop("self").calls)

    return decorate


def function(
    log: list[Call], parse_error: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A module-level binding function: each call is appended to `log`."""

    def decorate(wrapped: Callable[P, R]) -> Callable[P, R]:
        return _recorded(wrapped, parse_error, lambda arguments: log)

    return decorate


def _recorded(
    wrapped: Callable[P, R],
    parse_error: str | None,
    log_of: Callable[[dict[str, Any]], list[Call]],
) -> Callable[P, R]:
    signature = inspect.signature(wrapped)

    @functools.wraps(wrapped)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            if parse_error is None:
                raise TypeError(f"{wrapped.__name__}(): {error}") from None
            raise Exception(parse_error) from error
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        log_of(arguments).append(Call(wrapped.__name__, arguments))
        try:
            return wrapped(*args, **kwargs)
        except (ParseError, ParseOverflowError) as error:
            if parse_error is None:
                raise
            raise Exception(parse_error) from error

    return call


# --- jetson-utils' commandLine -----------------------------------------------------------


class CommandLine:
    """jetson-utils' commandLine over an argv list, with its quirks: named options are looked
    for in every element (argv[0] too), by a case-insensitive *prefix* match of the text after
    the leading dashes; GetInt/GetFloat take the last match, GetString the first; '-' and '_'
    are interchangeable; positional arguments are counted from argv[1]."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)

    @staticmethod
    def _strip(arg: str) -> int:
        start = len(arg) - len(arg.lstrip("-"))
        return 0 if start >= len(arg) - 1 else start

    def _matches(self, name: str) -> list[str]:
        found = []
        for arg in self.argv:
            start = self._strip(arg)
            if start and arg[start:].lower().startswith(name.lower()):
                found.append(arg[start:])
        return found

    @staticmethod
    def _swapped(name: str) -> str | None:
        if "-" not in name and "_" not in name:
            return None
        return name.translate(str.maketrans("-_", "_-"))

    def get_string(self, name: str, default: str | None = None, swap: bool = True) -> str | None:
        found = self._matches(name)
        if found:
            return found[0][len(name) + 1 :]
        swapped = self._swapped(name) if swap else None
        return default if swapped is None else self.get_string(swapped, default, False)

    def _number(self, name: str, parse: Callable[[str], float], swap: bool) -> float | None:
        found = self._matches(name)
        if found:
            text = found[-1][len(name) :]
            return parse(text[1:] if text.startswith("=") else text) if text else 0
        swapped = self._swapped(name) if swap else None
        return None if swapped is None else self._number(swapped, parse, False)

    def get_int(self, name: str, default: int = 0) -> int:
        value = self._number(name, _atoi, True)
        return default if value is None else int(value)

    def get_unsigned(self, name: str, default: int = 0) -> int:
        value = self.get_int(name, default)
        return default if value < 0 else value

    def get_float(self, name: str, default: float = 0.0) -> float:
        value = self._number(name, _atof, True)
        return default if value is None else f32(value)

    def get_flag(self, name: str, swap: bool = True) -> bool:
        for arg in self.argv:
            start = self._strip(arg)
            if start and arg[start:].split("=", 1)[0].lower() == name.lower():
                return True
        swapped = self._swapped(name) if swap else None
        return False if swapped is None else self.get_flag(swapped, False)

    def positions(self) -> list[str]:
        return [arg for arg in self.argv[1:] if self._strip(arg) == 0]


def _atoi(text: str) -> int:
    """C's atoi: the leading integer of the text, 0 if there is none."""
    digits = ""
    for i, char in enumerate(text.lstrip()):
        if char.isdigit() or (i == 0 and char in "+-"):
            digits += char
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def _atof(text: str) -> float:
    """C's atof: the longest leading float of the text, 0.0 if there is none."""
    text = text.lstrip()
    for end in range(len(text), 0, -1):
        try:
            return float(text[:end])
        except ValueError:
            continue
    return 0.0


def argv_list(argv: Any, owner: str) -> list[str] | None:
    """The jetson-inference constructors' argv: used only when it is a non-empty list (a tuple
    is ignored), every item a str."""
    if not isinstance(argv, list) or not argv:
        return None
    if not all(isinstance(item, str) for item in argv):
        raise Exception(f"{INFERENCE}{owner}.__init()__ failed to parse argv list")
    return list(argv)


# --- image formats -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImageFormat:
    """One of jetson-utils' imageFormat values."""

    name: str
    channels: int  # imageFormatChannels()
    depth: int  # bits per pixel, imageFormatDepth()
    dtype: type[np.generic]  # the numpy type of a channel
    kind: str  # 'rgb', 'bgr', 'yuv', 'bayer' or 'gray'

    @property
    def alpha(self) -> bool:
        return self.channels == 4

    @property
    def is_float(self) -> bool:
        return self.dtype is np.float32

    @property
    def packed(self) -> bool:
        """Whether a pixel is whole channels (not a YUV 4:2:x layout)."""
        return self.kind != "yuv"

    def size(self, width: int, height: int) -> int:
        """imageFormatSize(): the bytes of a width x height image."""
        return (width * height * self.depth) // 8


def _format(
    name: str, channels: int, depth: int, dtype: type[np.generic], kind: str
) -> ImageFormat:
    return ImageFormat(name, channels, depth, dtype, kind)


# In imageFormat's enum order.
FORMATS: dict[str, ImageFormat] = {
    f.name: f
    for f in [
        _format("rgb8", 3, 24, np.uint8, "rgb"),
        _format("rgba8", 4, 32, np.uint8, "rgb"),
        _format("rgb32f", 3, 96, np.float32, "rgb"),
        _format("rgba32f", 4, 128, np.float32, "rgb"),
        _format("bgr8", 3, 24, np.uint8, "bgr"),
        _format("bgra8", 4, 32, np.uint8, "bgr"),
        _format("bgr32f", 3, 96, np.float32, "bgr"),
        _format("bgra32f", 4, 128, np.float32, "bgr"),
        _format("yuyv", 3, 16, np.uint8, "yuv"),
        _format("yvyu", 3, 16, np.uint8, "yuv"),
        _format("uyvy", 3, 16, np.uint8, "yuv"),
        _format("i420", 3, 12, np.uint8, "yuv"),
        _format("yv12", 3, 12, np.uint8, "yuv"),
        _format("nv12", 3, 12, np.uint8, "yuv"),
        _format("bayer-bggr", 1, 8, np.uint8, "bayer"),
        _format("bayer-gbrg", 1, 8, np.uint8, "bayer"),
        _format("bayer-grbg", 1, 8, np.uint8, "bayer"),
        _format("bayer-rggb", 1, 8, np.uint8, "bayer"),
        _format("gray8", 1, 8, np.uint8, "gray"),
        _format("gray32f", 1, 32, np.float32, "gray"),
    ]
}
_FORMAT_ALIASES = {
    "yuy2": "yuyv",
    "rgb32": "rgb32f",
    "rgba32": "rgba32f",
    "grey8": "gray8",
    "grey32f": "gray32f",
}


def format_from_str(name: str | None) -> ImageFormat | None:
    """imageFormatFromStr(): case-insensitive, None for IMAGE_UNKNOWN."""
    if name is None:
        return None
    key = name.lower()
    return FORMATS.get(_FORMAT_ALIASES.get(key, key))


def is_rgb(image_format: ImageFormat | None) -> bool:
    """imageFormatIsRGB(): rgb8, rgba8, rgb32f, rgba32f (not BGR, not gray)."""
    return image_format is not None and image_format.kind == "rgb"
