"""Fake CUDA memory, images and image functions of jetson_utils (bindings: PyCUDA.cpp,
PyNumpy.cpp, PyImageIO.cpp).

"Device" memory is a numpy byte buffer. Memory allocated mapped (zero-copy, as on a Jetson)
can be viewed from the CPU without a copy: cudaToNumpy() returns a view of the buffer.
Memory allocated unmapped (cudaMalloc, mapped=False) refuses CPU access as the real one does.
Every CUDA operation completes before it returns (there are no streams to wait for).
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ._binding import (
    FORMATS,
    NULL,
    UTILS,
    Call,
    ImageFormat,
    ParseError,
    arg_bool,
    arg_float,
    arg_int,
    arg_longlong,
    arg_str,
    arg_ulonglong,
    f32,
    format_from_str,
    function,
)

Array = npt.NDArray[Any]


@dataclass
class FakeCounters:
    """Fake-only: what the fake CUDA layer did, for tests to read (`jetson_utils.fake_counters`).

    allocations: memory allocated by the binding's functions and constructors (not the
    buffers a videoSource captures into);
    host_to_device_copies: copies from CPU memory into CUDA memory (cudaFromNumpy, loadImage);
    device_copies: copies between CUDA buffers (cudaMemcpy, and an overlay or a drawing into
    an output that is not its input); device_synchronize: cudaDeviceSynchronize() calls.
    cudaToNumpy() and the networks read mapped memory in place and count nothing."""

    device_synchronize: int = 0
    host_to_device_copies: int = 0
    host_to_device_bytes: int = 0
    device_copies: int = 0
    device_copy_bytes: int = 0
    allocations: int = 0
    allocated_bytes: int = 0

    @property
    def host_copies(self) -> int:
        """Copies between the CPU and CUDA memory, either way (only host-to-device exist)."""
        return self.host_to_device_copies

    def reset(self) -> None:
        for field in fields(self):
            setattr(self, field.name, field.default)


fake_counters = FakeCounters()
fake_calls: list[Call] = []  # fake-only: every call of a module-level function, in order

# ptr -> the buffer that holds it, for cudaImage(ptr=...)
_buffers: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()


def _allocate(size: int, clear: bool = True) -> Array:
    buffer = np.zeros(size, np.uint8) if clear else np.empty(size, np.uint8)
    fake_counters.allocations += 1
    fake_counters.allocated_bytes += size
    return register(buffer)


def register(buffer: Array) -> Array:
    """Make a buffer's ptr known to cudaImage(ptr=...)."""
    if buffer.size:
        _buffers[buffer.ctypes.data] = buffer
    return buffer


def cuda_error(call: str) -> Exception:
    """What PYCUDA_ASSERT raises when a CUDA call fails with cudaErrorInvalidValue."""
    return Exception(f'CUDA error (1) - invalid argument\n  File "fake", line 0\n    {call}')


# --- cudaMemory and cudaImage --------------------------------------------------------------


class cudaMemory:
    """CUDA memory: a numpy byte buffer standing for device (or mapped) memory."""

    _buffer: Array
    _mapped: bool
    _free_on_delete: bool
    _stream: int
    _event: int

    def __init__(self, size: Any, mapped: Any = 1, freeOnDelete: Any = 1) -> None:
        size, mapped, free = (
            arg_int(size, "size"),
            arg_int(mapped, "mapped"),
            arg_int(freeOnDelete, "freeOnDelete"),
        )
        if size < 0:
            raise Exception(f"{UTILS}cudaMemory.__init()__ had invalid size")
        self._configure(_allocate(size), mapped > 0, free > 0)

    def _configure(self, buffer: Array, mapped: bool, free_on_delete: bool) -> None:
        self._buffer, self._mapped, self._free_on_delete = buffer, mapped, free_on_delete
        self._stream = self._event = 0

    @classmethod
    def _register(cls, buffer: Array, mapped: bool, free_on_delete: bool = True) -> cudaMemory:
        """PyCUDA_RegisterMemory(): a new object around existing memory."""
        memory = cls.__new__(cls)
        memory._configure(buffer, mapped, free_on_delete)
        return memory

    @property
    def ptr(self) -> int:
        """The address of the memory (mapped memory has one address for CPU and GPU)."""
        return int(self._buffer.ctypes.data)

    gpudata = ptr

    @property
    def size(self) -> int:
        return int(self._buffer.size)

    @property
    def mapped(self) -> bool:
        return self._mapped

    @property
    def freeOnDelete(self) -> bool:
        return self._free_on_delete

    @property
    def stream(self) -> int:
        return self._stream

    @stream.setter
    def stream(self, value: Any) -> None:
        self._stream = 0 if value is None else arg_ulonglong(value, "stream")

    @stream.deleter
    def stream(self) -> None:
        raise TypeError(f"{UTILS}Not permitted to delete cudaMemory.stream attribute")

    @property
    def event(self) -> int:
        return self._event

    @event.setter
    def event(self, value: Any) -> None:
        self._event = 0 if value is None else arg_ulonglong(value, "event")

    @event.deleter
    def event(self) -> None:
        raise TypeError(f"{UTILS}Not permitted to delete cudaMemory.event attribute")

    def __str__(self) -> str:
        return (
            f"<cudaMemory object>\n   -- ptr:    {self.ptr:#x}\n   -- size:   {self.size}\n"
            f"   -- mapped: {str(self.mapped).lower()}\n"
            f"   -- freeOnDelete: {str(self.freeOnDelete).lower()}\n"
        )


class cudaImage(cudaMemory):
    """A CUDA image: width x height pixels of an imageFormat, row after row, no padding."""

    _format: ImageFormat
    _width: int
    _height: int
    _timestamp: int

    def __init__(
        self,
        width: Any,
        height: Any,
        format: Any = "rgb8",
        timestamp: Any = 0,
        mapped: Any = NULL,
        freeOnDelete: Any = -1,
        ptr: Any = 0,
        like: Any = NULL,
    ) -> None:
        width, height = arg_int(width, "width"), arg_int(height, "height")
        format_name = arg_str(format, "format")
        stamp = arg_longlong(timestamp, "timestamp")
        mapping = -1 if mapped is NULL else int(arg_bool(mapped))
        free = arg_int(freeOnDelete, "freeOnDelete")
        address = arg_longlong(ptr, "ptr")
        image_format = format_from_str(format_name)
        if image_format is None:
            raise Exception(f"{UTILS}cudaImage.__init()__ had invalid image format")
        if like is not NULL:
            model = get_image(like)
            if model is None:
                raise Exception(f"{UTILS}fake: cudaImage(like=) needs a cudaImage")
            width, height, image_format = model.width, model.height, model._format
        if width < 0 or height < 0:
            raise Exception(f"{UTILS}cudaImage.__init()__ had invalid width/height")
        if stamp < 0:
            raise Exception(f"{UTILS}cudaImage.__init()__ had invalid timestamp")
        size = image_format.size(width, height)
        if address:
            buffer = _buffers.get(address)
            if buffer is None or buffer.size < size:
                raise Exception(
                    f"{UTILS}fake: cudaImage(ptr=) only takes the ptr of memory this fake "
                    "allocated, big enough for the image"
                )
            buffer = buffer[:size]
            mapping = 0 if mapping < 0 else mapping
            free = 0 if free < 0 else free
        else:
            buffer = _allocate(size)
            mapping = 1 if mapping < 0 else mapping
            free = 1 if free < 0 else free
        self._configure_image(buffer, width, height, image_format, stamp, mapping > 0, free > 0)

    def _configure_image(
        self,
        buffer: Array,
        width: int,
        height: int,
        image_format: ImageFormat,
        timestamp: int,
        mapped: bool,
        free_on_delete: bool,
    ) -> None:
        self._configure(buffer, mapped, free_on_delete)
        self._width, self._height, self._format = width, height, image_format
        self._timestamp = timestamp

    @classmethod
    def _register_image(
        cls,
        buffer: Array,
        width: int,
        height: int,
        image_format: ImageFormat,
        timestamp: int = 0,
        mapped: bool = False,
        free_on_delete: bool = True,
    ) -> cudaImage:
        """PyCUDA_RegisterImage(): a new cudaImage object around existing memory."""
        image = cls.__new__(cls)
        image._configure_image(
            buffer, width, height, image_format, timestamp, mapped, free_on_delete
        )
        return image

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def channels(self) -> int:
        return self._format.channels

    @property
    def shape(self) -> tuple[int, int, int]:
        """(height, width, channels)."""
        return (self._height, self._width, self._format.channels)

    @property
    def format(self) -> str:
        return self._format.name

    @property
    def timestamp(self) -> int:
        """Nanoseconds."""
        return self._timestamp

    def _view(self) -> Array:
        """The pixels as a (height, width, channels) array on the memory (YUV: (1, 1, bytes))."""
        return view_of(self._buffer, self._width, self._height, self._format)

    def _interface(self) -> dict[str, Any]:
        view = self._view()
        return {
            "shape": view.shape,
            "typestr": view.dtype.str,
            "data": (self.ptr, False),
            "version": 3,
        }

    @property
    def __array_interface__(self) -> dict[str, Any] | None:
        """numpy's interface (np.asarray(img) is a view); None for unmapped memory."""
        return self._interface() if self._mapped else None

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        return self._interface()

    def __buffer__(self, flags: int) -> memoryview:
        if not self._mapped:
            raise BufferError("cudaImage - buffer must be allocated as mapped to view as buffer")
        return self._view().data

    def __len__(self) -> int:
        return self._width * self._height

    def _subscript(self, key: Any) -> tuple[Array, tuple[int, ...]]:
        if not self._mapped:
            raise Exception(
                f"{UTILS}cudaImage subscript operator can only operate on mapped/zeroCopy memory"
            )
        if not self._format.packed:
            raise Exception(f"{UTILS}fake: cudaImage subscripts of YUV images are not faked")
        pixels = self._view().reshape(-1, self._format.channels)
        if isinstance(key, tuple):
            if not 1 <= len(key) <= 3:
                raise TypeError(f"{UTILS}cudaImage subscript had invalid key")
            limits = (self._height, self._width, self._format.channels)
            index: list[int] = []
            for n, item in enumerate(key):
                try:
                    value = arg_int(item, "key")
                except (ParseError, OverflowError):
                    raise TypeError(
                        f"{UTILS}cudaImage subscript had invalid element in key tuple"
                    ) from None
                value += limits[n] if value < 0 else 0
                if not 0 <= value < limits[n]:
                    raise IndexError(f"{UTILS}cudaImage subscript was out of range")
                index.append(value)
            if len(index) == 1:
                return pixels, (index[0],)
            if len(index) == 2:
                return pixels, (index[0] * self._width + index[1],)
            return pixels, (index[0] * self._width + index[1], index[2])
        try:
            offset = arg_int(key, "key")
        except (ParseError, OverflowError):
            raise TypeError(f"{UTILS}cudaImage subscript had invalid key") from None
        offset += len(self) if offset < 0 else 0
        if not 0 <= offset < len(self):
            raise IndexError(f"{UTILS}cudaImage subscript was out of range")
        return pixels, (offset,)

    def __getitem__(self, key: Any) -> Any:
        pixels, index = self._subscript(key)
        value = pixels[index]
        if len(index) == 1 and self._format.channels > 1:
            return tuple(v.item() for v in value)
        return value.item() if len(index) == 2 else value[0].item()

    def __setitem__(self, key: Any, value: Any) -> None:
        pixels, index = self._subscript(key)
        components = 1 if len(index) == 2 or self._format.channels == 1 else self._format.channels
        values = tuple(value) if isinstance(value, list | tuple) else value
        if not isinstance(values, tuple):
            if components != 1:
                raise TypeError(
                    f"{UTILS}cudaImage subscript was assigned an invalid value "
                    "(tuple or list expected)"
                )
            values = (values,)
        if len(values) != components:
            raise TypeError(
                f"{UTILS}cudaImage subscript was assigned a tuple with a different length than "
                "the number of image channels"
            )
        try:
            numbers = [float(v) for v in values]
        except (TypeError, ValueError):
            raise TypeError(
                f"{UTILS}cudaImage subscript was assigned an invalid value (int or float expected)"
            ) from None
        converted = [_to_channel(v, self._format) for v in numbers]
        if len(index) == 2:
            pixels[index] = converted[0]
        elif components == 1:
            pixels[index[0], 0] = converted[0]
        else:
            pixels[index[0]] = converted

    def __str__(self) -> str:
        return (
            f"<cudaImage object>\n   -- ptr:      {self.ptr:#x}\n   -- size:     {self.size}\n"
            f"   -- width:    {self.width}\n   -- height:   {self.height}\n"
            f"   -- channels: {self.channels}\n   -- format:   {self.format}\n"
            f"   -- mapped:   {str(self.mapped).lower()}\n"
            f"   -- freeOnDelete: {str(self.freeOnDelete).lower()}\n"
            f"   -- timestamp:    {self.timestamp / 1e9:f}\n"
        )


def _to_channel(value: float, image_format: ImageFormat) -> float | int:
    return value if image_format.is_float else int(value) & 0xFF


def view_of(buffer: Array, width: int, height: int, image_format: ImageFormat) -> Array:
    """A (height, width, channels) array of `image_format` on the start of `buffer`."""
    size = image_format.size(width, height)
    if buffer.size < size:
        raise Exception(
            f"{UTILS}fake: {buffer.size} bytes of memory are too few for a {width}x{height} "
            f"{image_format.name} image"
        )
    if not image_format.packed:
        return buffer[:size].reshape(1, 1, size)
    return buffer[:size].view(image_format.dtype).reshape(height, width, image_format.channels)


def get_image(obj: Any) -> cudaImage | None:
    """PyCUDA_GetImage(object)."""
    return obj if isinstance(obj, cudaImage) else None


def get_memory(obj: Any) -> cudaMemory | None:
    """PyCUDA_GetMemory(object)."""
    return obj if isinstance(obj, cudaMemory) else None


@dataclass
class ImageRef:
    """What a binding took from an image argument: pixels and their description."""

    view: Array
    width: int
    height: int
    format: ImageFormat | None
    image: cudaImage | None


def resolve_image(obj: Any, width: int, height: int, format_name: str | None) -> ImageRef:
    """PyCUDA_GetImage(capsule, &width, &height, &format): a cudaImage brings its own size and
    format; plain cudaMemory takes the width, height and format arguments."""
    image = get_image(obj)
    if image is not None:
        return ImageRef(image._view(), image.width, image.height, image._format, image)
    memory = get_memory(obj)
    if memory is None:
        raise Exception(f"{UTILS}function wasn't passed a valid cudaImage or cudaMemory object")
    if width <= 0 or height <= 0:
        raise Exception(f"{UTILS}image dimensions are invalid")
    image_format = format_from_str(format_name)
    if image_format is None:
        raise Exception(f"{UTILS}invalid image format")
    return ImageRef(
        view_of(memory._buffer, width, height, image_format), width, height, image_format, None
    )


def new_image(
    width: int,
    height: int,
    image_format: ImageFormat,
    timestamp: int = 0,
    mapped: bool = True,
    clear: bool = True,
) -> cudaImage:
    buffer = _allocate(image_format.size(width, height), clear)
    return cudaImage._register_image(buffer, width, height, image_format, timestamp, mapped)


# --- pixels as RGB floats, and back --------------------------------------------------------


def rgb_float(view: Array, image_format: ImageFormat, step: int = 1) -> Array:
    """The pixels as a float32 (h, w, 3) RGB array, 0-255 (every `step`-th row and column)."""
    if not image_format.packed:
        raise Exception(f"{UTILS}fake: {image_format.name} pixels cannot be read as RGB")
    pixels = view[::step, ::step].astype(np.float32, copy=False)
    if image_format.channels == 1:
        return np.repeat(pixels, 3, axis=2)
    rgb = pixels[..., :3]
    return rgb[..., ::-1] if image_format.kind == "bgr" else rgb


def alpha_float(view: Array, image_format: ImageFormat) -> Array | None:
    if image_format.channels != 4:
        return None
    return view[..., 3].astype(np.float32)


def store_rgb(view: Array, image_format: ImageFormat, rgb: Array, alpha: Array | None) -> None:
    """Write float RGB (0-255) and an optional alpha plane into an image view."""
    if image_format.channels == 1:
        value = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
        view[..., 0] = _cast(value, image_format)
        return
    ordered = rgb[..., ::-1] if image_format.kind == "bgr" else rgb
    view[..., :3] = _cast(ordered, image_format)
    if image_format.channels == 4:
        view[..., 3] = _cast(
            np.full(rgb.shape[:2], 255.0) if alpha is None else alpha, image_format
        )


def _cast(values: Array, image_format: ImageFormat) -> Array:
    if image_format.is_float:
        return values.astype(np.float32)
    return np.clip(values, 0, 255).astype(np.uint8)


def color_for(image_format: ImageFormat, rgba: tuple[float, float, float, float]) -> Array:
    """An RGBA colour (0-255) in the channel order of a format, without its alpha."""
    r, g, b, _ = rgba
    if image_format.channels == 1:
        return np.array([r * 0.299 + g * 0.587 + b * 0.114], np.float32)
    return np.array([b, g, r] if image_format.kind == "bgr" else [r, g, b], np.float32)


def blend(view: Array, image_format: ImageFormat, mask: Array, rgba: tuple[float, ...]) -> None:
    """cudaAlphaBlend() of a colour into the pixels where `mask` (a 0/1 array the size of
    `view`) is set; alpha channels become 255."""
    color = tuple(float(c) for c in rgba) + (255.0,) * (4 - len(rgba))
    alpha = (color[3] / 255.0) * mask.astype(np.float32)[..., None]
    channels = min(3, image_format.channels)
    target = color_for(image_format, (color[0], color[1], color[2], color[3]))
    current = view[..., :channels].astype(np.float32)
    view[..., :channels] = _cast(current * (1.0 - alpha) + target * alpha, image_format)
    if image_format.channels == 4:
        view[..., 3] = np.where(mask > 0, 255, view[..., 3]).astype(view.dtype)


def paint(
    view: Array,
    fmt: ImageFormat,
    box: tuple[float, float, float, float],
    rgba: tuple[float, ...],
    draw: Callable[[Array, int, int], None],
) -> None:
    """Blend a colour where `draw(mask, left, top)` marks a mask of the part of the image in
    `box` (left, top, right, bottom; clipped to the image)."""
    height, width = view.shape[:2]
    left, top = max(int(box[0]), 0), max(int(box[1]), 0)
    right, bottom = min(int(box[2]) + 1, width), min(int(box[3]) + 1, height)
    if left >= right or top >= bottom or (len(rgba) == 4 and rgba[3] <= 0):
        return
    mask = np.zeros((bottom - top, right - left), np.uint8)
    draw(mask, left, top)
    blend(view[top:bottom, left:right], fmt, mask, rgba)


def draw_circle(
    view: Array, fmt: ImageFormat, cx: float, cy: float, r: float, rgba: tuple[float, ...]
) -> None:
    """cudaDrawCircle(): a filled circle."""
    x, y, radius = int(cx), int(cy), max(int(round(r)) - 1, 0)

    def draw(mask: Array, left: int, top: int) -> None:
        cv2.circle(mask, (x - left, y - top), radius, (1,), -1)

    paint(view, fmt, (x - radius, y - radius, x + radius, y + radius), rgba, draw)


def draw_line(
    view: Array,
    fmt: ImageFormat,
    a: tuple[float, float],
    b: tuple[float, float],
    rgba: tuple[float, ...],
    width: float,
) -> None:
    """cudaDrawLine(): the pixels within `width` of the segment (a band 2 * width wide)."""
    thickness = max(int(round(2 * width)), 1)
    x1, y1, x2, y2 = int(a[0]), int(a[1]), int(b[0]), int(b[1])
    reach = thickness // 2 + 1

    def draw(mask: Array, left: int, top: int) -> None:
        cv2.line(mask, (x1 - left, y1 - top), (x2 - left, y2 - top), (1,), thickness)

    box = (min(x1, x2) - reach, min(y1, y2) - reach, max(x1, x2) + reach, max(y1, y2) + reach)
    paint(view, fmt, box, rgba, draw)


def fill_rect(
    view: Array, fmt: ImageFormat, rect: tuple[float, float, float, float], rgba: tuple[float, ...]
) -> None:
    """A filled rectangle: columns left..right-1, rows top..bottom-1."""
    left, top, right, bottom = (int(v) for v in rect)

    def draw(mask: Array, x0: int, y0: int) -> None:
        mask[:] = 1

    paint(view, fmt, (left, top, right - 1, bottom - 1), rgba, draw)


# --- module functions ----------------------------------------------------------------------


def _like(like: Any, owner: str) -> tuple[int, int, int, ImageFormat | None, int]:
    """(size, width, height, format, timestamp) of a like= argument."""
    image = get_image(like)
    if image is not None:
        return image.size, image.width, image.height, image._format, image.timestamp
    memory = get_memory(like)
    if memory is not None:
        return memory.size, 0, 0, None, 0
    raise Exception(f"{UTILS}the 'like' object should be of type cudaImage or cudaMemory")


def _allocation(
    owner: str,
    size: int,
    width: float,
    height: float,
    format_name: str | None,
    timestamp: int,
    like: Any,
) -> tuple[int, int, int, ImageFormat | None, int]:
    image_format = format_from_str(format_name)
    if like is not NULL:
        size, like_width, like_height, like_format, timestamp = _like(like, owner)
        if like_width:
            width, height, image_format = like_width, like_height, like_format
    if size <= 0 and (width <= 0 or height <= 0):
        raise Exception(f"{UTILS}{owner}() requested size/dimensions are negative or zero")
    if timestamp < 0:
        raise Exception(f"{UTILS}{owner}() timestamp cannot be negative")
    is_image = width > 0 and height > 0
    if is_image and image_format is None:
        raise Exception(f"{UTILS}{owner}() invalid format string")
    if is_image and image_format is not None:
        size = image_format.size(int(width), int(height))
    return size, int(width), int(height), image_format, timestamp


@function(fake_calls)
def cudaMalloc(
    size: Any = 0,
    width: Any = 0,
    height: Any = 0,
    format: Any = NULL,
    timestamp: Any = 0,
    like: Any = NULL,
) -> cudaMemory:
    """GPU-only memory (not mapped): a cudaImage when width and height are given."""
    size_, width_, height_, image_format, stamp = _allocation(
        "cudaMalloc",
        arg_int(size, "size"),
        arg_int(width, "width"),
        arg_int(height, "height"),
        None if format is NULL else arg_str(format, "format"),
        arg_longlong(timestamp, "timestamp"),
        like,
    )
    buffer = _allocate(size_)
    if width_ > 0 and height_ > 0 and image_format is not None:
        return cudaImage._register_image(buffer, width_, height_, image_format, stamp, False)
    return cudaMemory._register(buffer, False)


def _alloc_mapped(
    owner: str,
    size: Any,
    width: Any,
    height: Any,
    format: Any,
    timestamp: Any,
    like: Any,
    clear: Any,
) -> cudaMemory:
    size_, width_, height_, image_format, stamp = _allocation(
        owner,
        arg_int(size, "size"),
        arg_float(width, "width"),
        arg_float(height, "height"),
        None if format is NULL else arg_str(format, "format"),
        arg_longlong(timestamp, "timestamp"),
        like,
    )
    buffer = _allocate(size_, arg_bool(clear))
    if width_ > 0 and height_ > 0 and image_format is not None:
        return cudaImage._register_image(buffer, width_, height_, image_format, stamp, True)
    return cudaMemory._register(buffer, True)


@function(fake_calls)
def cudaAllocMapped(
    size: Any = 0,
    width: Any = 0.0,
    height: Any = 0.0,
    format: Any = NULL,
    timestamp: Any = 0,
    like: Any = NULL,
    clear: Any = True,
) -> cudaMemory:
    """Mapped (zero-copy) memory: a cudaImage when width and height are given."""
    return _alloc_mapped("cudaAllocMapped", size, width, height, format, timestamp, like, clear)


@function(fake_calls)
def cudaMallocMapped(
    size: Any = 0,
    width: Any = 0.0,
    height: Any = 0.0,
    format: Any = NULL,
    timestamp: Any = 0,
    like: Any = NULL,
    clear: Any = True,
) -> cudaMemory:
    """The same function as cudaAllocMapped (its error messages say cudaAllocMapped)."""
    return _alloc_mapped("cudaAllocMapped", size, width, height, format, timestamp, like, clear)


@function(fake_calls)
def cudaMemcpy(dst: Any, src: Any = NULL, mapped: Any = True, stream: Any = 0) -> Any:
    """Copy src into dst (a GPU-to-GPU copy); with one argument, return a new copy of it."""
    mapped_, _ = arg_bool(mapped), arg_ulonglong(stream, "stream")
    allocated = False
    if src is NULL:
        src, dst = dst, NULL
    source = get_memory(src)
    if source is None:
        raise Exception(f"{UTILS}src should either be a cudaImage or cudaMemory")
    if dst is NULL:
        buffer = _allocate(source.size, clear=False)
        source_image = get_image(src)
        if source_image is not None:
            dst = cudaImage._register_image(
                buffer,
                source_image.width,
                source_image.height,
                source_image._format,
                source_image.timestamp,
                mapped_,
            )
        else:
            dst = cudaMemory._register(buffer, mapped_)
        allocated = True
    target = get_memory(dst)
    if target is None:
        raise Exception(f"{UTILS}dst should either be a cudaImage or cudaMemory")
    if source.size != target.size:
        raise TypeError(f"{UTILS}src and dst need to have the same size")
    source_image, target_image = get_image(src), get_image(dst)
    if source_image is not None and target_image is not None:
        target_image._timestamp = source_image.timestamp
    device_copy(target._buffer, source._buffer)
    return dst if allocated else None


def device_copy(target: Array, source: Array) -> None:
    """A GPU-to-GPU copy of contiguous memory (counted in fake_counters.device_copies)."""
    src, dst = source.reshape(-1).view(np.uint8), target.reshape(-1).view(np.uint8)
    if dst.ctypes.data != src.ctypes.data:
        dst[: src.size] = src
    fake_counters.device_copies += 1
    fake_counters.device_copy_bytes += int(src.size)


_handles = iter(range(0x10000, 2**62, 0x100))
_events: dict[int, float] = {}


@function(fake_calls)
def cudaStreamCreate(nonblocking: Any = False, priority: Any = 0) -> int:
    """A new CUDA stream handle (an int)."""
    arg_bool(nonblocking)
    arg_int(priority, "priority")
    return next(_handles)


@function(fake_calls)
def cudaStreamDestroy(stream: Any, /) -> None:
    arg_ulonglong(stream, "stream")


@function(fake_calls)
def cudaStreamWaitEvent(stream: Any, event: Any, /) -> None:
    arg_ulonglong(stream, "stream")
    arg_ulonglong(event, "event")


@function(fake_calls)
def cudaStreamSynchronize(stream: Any, /) -> None:
    arg_ulonglong(stream, "stream")


@function(fake_calls)
def cudaEventCreate() -> int:
    event = next(_handles)
    _events[event] = 0.0
    return event


@function(fake_calls)
def cudaEventDestroy(event: Any, /) -> None:
    _events.pop(arg_ulonglong(event, "event"), None)


@function(fake_calls)
def cudaEventRecord(event: Any = 0, stream: Any = 0) -> int:
    """Record an event (creating it when none is given) and return it."""
    handle, _ = arg_ulonglong(event, "event"), arg_ulonglong(stream, "stream")
    handle = handle or next(_handles)
    _events[handle] = time.perf_counter()
    return handle


@function(fake_calls)
def cudaEventQuery(event: Any, /) -> bool:
    arg_ulonglong(event, "event")
    return True  # the fake's work is always finished


@function(fake_calls)
def cudaEventElapsedTime(start: Any, end: Any, /) -> float:
    """Milliseconds between two recorded events."""
    first, last = _events.get(arg_ulonglong(start, "start")), _events.get(arg_ulonglong(end, "end"))
    if not first or not last:
        raise Exception("CUDA error (400) - invalid resource handle")
    return f32((last - first) * 1000.0)


@function(fake_calls)
def cudaEventSynchronize(event: Any, /) -> None:
    arg_ulonglong(event, "event")


@function(fake_calls)
def cudaDeviceSynchronize() -> None:
    """Wait for the GPU (counted in fake_counters.device_synchronize)."""
    fake_counters.device_synchronize += 1


def _images(owner: str, input: Any, output: Any) -> tuple[cudaImage, cudaImage]:
    source, target = get_image(input), get_image(output)
    if source is None or target is None:
        raise Exception(
            f"{UTILS}{owner}() failed to get input/output image pointers (should be cudaImage)"
        )
    return source, target


_YUV_TO_RGB = {
    "nv12": cv2.COLOR_YUV2RGB_NV12,
    "i420": cv2.COLOR_YUV2RGB_I420,
    "yv12": cv2.COLOR_YUV2RGB_YV12,
    "yuyv": cv2.COLOR_YUV2RGB_YUYV,
    "yvyu": cv2.COLOR_YUV2RGB_YVYU,
    "uyvy": cv2.COLOR_YUV2RGB_UYVY,
}
_RGB_TO_YUV = {"i420": cv2.COLOR_RGB2YUV_I420, "yv12": cv2.COLOR_RGB2YUV_YV12}


def convert(source: cudaImage, target: cudaImage) -> None:
    """cudaConvertColor() between formats of the same size (0-255 in every format)."""
    src, dst = source._format, target._format
    height, width = source.height, source.width
    if src.kind == "yuv":
        if dst.kind != "rgb":
            raise cuda_error("cudaConvertColor(...)")
        planar = source._buffer[: src.size(width, height)]
        if src.name in ("nv12", "i420", "yv12"):
            planar = planar.reshape(height * 3 // 2, width)
        else:
            planar = planar.reshape(height, width, 2)
        store_rgb(
            target._view(),
            dst,
            cv2.cvtColor(planar, _YUV_TO_RGB[src.name]).astype(np.float32),
            None,
        )
        return
    if dst.kind == "yuv":
        if src.kind != "rgb" or src.is_float or dst.name not in _RGB_TO_YUV:
            raise cuda_error("cudaConvertColor(...)")
        planar = cv2.cvtColor(np.ascontiguousarray(source._view()[..., :3]), _RGB_TO_YUV[dst.name])
        target._buffer[: planar.size] = planar.reshape(-1)
        return
    if src.kind == "bayer" or dst.kind == "bayer":
        raise cuda_error("cudaConvertColor(...)")
    view = source._view()
    store_rgb(target._view(), dst, rgb_float(view, src), alpha_float(view, src))


@function(fake_calls)
def cudaConvertColor(input: Any, output: Any, stream: Any = 0) -> None:
    """Colour-space conversion between two images of the same size."""
    arg_ulonglong(stream, "stream")
    source, target = _images("cudaConvertColor", input, output)
    if source.width != target.width or source.height != target.height:
        raise Exception(
            f"{UTILS}cudaConvertColor() input and output image resolutions are different"
        )
    convert(source, target)
    target._timestamp = source.timestamp


def _filter(name: str) -> int:
    """cudaFilterModeFromStr(): 'point'/'nearest' or 'linear' (the default for anything else)."""
    return cv2.INTER_NEAREST if name.lower() in ("point", "nearest") else cv2.INTER_LINEAR


def resize_into(source: Array, width: int, height: int, interpolation: int) -> Array:
    if source.shape[1] == width and source.shape[0] == height:
        return source.copy()
    resized = cv2.resize(source, (width, height), interpolation=interpolation)
    return resized.reshape(height, width, source.shape[2])


@function(fake_calls)
def cudaResize(input: Any, output: Any, filter: Any = "point", stream: Any = 0) -> None:
    """Rescale the input image into the output image (same format)."""
    interpolation, _ = _filter(arg_str(filter, "filter")), arg_ulonglong(stream, "stream")
    source, target = _images("cudaResize", input, output)
    if source._format is not target._format:
        raise Exception(f"{UTILS}cudaResize() input and output image formats are different")
    if not source._format.packed:
        raise cuda_error("cudaResize(...)")
    target._view()[:] = resize_into(source._view(), target.width, target.height, interpolation)
    target._timestamp = source.timestamp


def arg_floats(value: Any, count: int, name: str) -> tuple[float, ...]:
    """'(ff)', '(ffff)': a sequence of exactly `count` real numbers."""
    try:
        items = list(value)
    except TypeError:
        raise ParseError(
            f"argument '{name}' must be {count}-item sequence, not {type(value).__name__}"
        ) from None
    if len(items) != count:
        raise ParseError(f"argument '{name}' must be sequence of length {count}, not {len(items)}")
    return tuple(arg_float(item, name) for item in items)


@function(fake_calls)
def cudaCrop(input: Any, output: Any, roi: Any, stream: Any = 0) -> None:
    """Copy the roi (left, top, right, bottom) of the input into the output."""
    left, top, right, bottom = arg_floats(roi, 4, "roi")
    arg_ulonglong(stream, "stream")
    source, target = _images("cudaCrop", input, output)
    if source._format is not target._format:
        raise Exception(f"{UTILS}cudaCrop() input and output image formats are different")
    roi_width, roi_height = right - left, bottom - top
    if (
        min(left, top, right, bottom) < 0
        or right > source.width
        or bottom > source.height
        or roi_width <= 0
        or roi_height <= 0
        or roi_width > target.width
        or roi_height > target.height
    ):
        raise ValueError(f"{UTILS}cudaCrop() had an invalid ROI")
    x0, y0, x1, y1 = int(left), int(top), int(right), int(bottom)
    target._view()[: y1 - y0, : x1 - x0] = source._view()[y0:y1, x0:x1]
    target._timestamp = source.timestamp


@function(fake_calls)
def cudaNormalize(
    input: Any, inputRange: Any, output: Any, outputRange: Any, stream: Any = 0
) -> None:
    """Map the pixel values linearly from inputRange to outputRange."""
    in_min, in_max = arg_floats(inputRange, 2, "inputRange")
    out_min, out_max = arg_floats(outputRange, 2, "outputRange")
    arg_ulonglong(stream, "stream")
    source, target = _images("cudaNormalize", input, output)
    if source._format is not target._format:
        raise Exception(f"{UTILS}cudaNormalize() input and output image formats are different")
    if source.width != target.width or source.height != target.height:
        raise Exception(f"{UTILS}cudaNormalize() input and output image resolutions are different")
    scale = (out_max - out_min) / (in_max - in_min) if in_max != in_min else 0.0
    values = (source._view().astype(np.float32) - in_min) * scale + out_min
    target._view()[:] = _cast(values, target._format)
    target._timestamp = source.timestamp


@function(fake_calls)
def cudaOverlay(input: Any, output: Any, x: Any = 0.0, y: Any = 0.0, stream: Any = 0) -> None:
    """Paste the input onto the output at (x, y), clipped at the right and bottom edges; with
    an alpha channel the input is alpha-blended."""
    left, top = int(arg_float(x, "x")), int(arg_float(y, "y"))
    arg_ulonglong(stream, "stream")
    source, target = _images("cudaOverlay", input, output)
    if source._format is not target._format:
        raise Exception(f"{UTILS}cudaOverlay() input and output image formats are different")
    fmt = source._format
    if not fmt.packed or fmt.kind == "bayer":
        raise cuda_error("cudaOverlay(...)")
    if left < 0 or top < 0 or left >= target.width or top >= target.height:
        raise cuda_error("cudaOverlay(...)")
    width = min(source.width, target.width - left)
    height = min(source.height, target.height - top)
    patch = source._view()[:height, :width]
    region = target._view()[top : top + height, left : left + width]
    if fmt.alpha:
        weight = patch[..., 3:4].astype(np.float32) / 255.0
        mixed = patch[..., :3] * weight + region[..., :3] * (1.0 - weight)
        region[..., :3] = _cast(mixed, fmt)
        region[..., 3] = 255
    else:
        region[:] = patch
    target._timestamp = source.timestamp


def _color(value: Any, name: str, default_alpha: float) -> tuple[float, float, float, float]:
    """'fff|f' colour tuples (PyArg_ParseTuple on a tuple: other sequences are refused)."""
    if not isinstance(value, tuple):
        raise Exception(f"{UTILS}{name} argument isn't a valid tuple")
    if not 3 <= len(value) <= 4:
        raise TypeError(f"function takes at least 3 arguments ({len(value)} given)")
    numbers = [arg_float(v, name) for v in value]
    alpha = numbers[3] if len(numbers) == 4 else default_alpha
    return numbers[0], numbers[1], numbers[2], alpha


def _draw_target(input: Any, output: Any) -> tuple[cudaImage, cudaImage]:
    if output is NULL:
        output = input
    source, target = get_image(input), get_image(output)
    if source is None or target is None:
        raise Exception(
            f"{UTILS}failed to get input/output CUDA image pointers (should be cudaImage)"
        )
    if (source.width, source.height, source._format) != (
        target.width,
        target.height,
        target._format,
    ):
        raise TypeError(f"{UTILS}input/output images need to have matching dimensions and formats")
    if source is not target and source.ptr != target.ptr:
        device_copy(target._buffer, source._buffer)
    return source, target


@function(fake_calls)
def cudaDrawCircle(
    input: Any, center: Any, radius: Any, color: Any, output: Any = NULL, stream: Any = 0
) -> None:
    """A filled circle (alpha-blended)."""
    cx, cy = arg_floats(center, 2, "center")
    r = arg_float(radius, "radius")
    arg_ulonglong(stream, "stream")
    source, target = _draw_target(input, output)
    rgba = _color(color, "color", 255.0)
    if r <= 0 or not target._format.packed:
        raise cuda_error("cudaDrawCircle(...)")
    draw_circle(target._view(), target._format, cx, cy, r, rgba)
    target._timestamp = source.timestamp


@function(fake_calls)
def cudaDrawLine(
    input: Any,
    a: Any,
    b: Any,
    color: Any,
    line_width: Any = 1.0,
    output: Any = NULL,
    stream: Any = 0,
) -> None:
    """A line from a to b (alpha-blended)."""
    x1, y1 = arg_floats(a, 2, "a")
    x2, y2 = arg_floats(b, 2, "b")
    width = arg_float(line_width, "line_width")
    arg_ulonglong(stream, "stream")
    source, target = _draw_target(input, output)
    rgba = _color(color, "color", 255.0)
    if width <= 0 or not target._format.packed:
        raise cuda_error("cudaDrawLine(...)")
    draw_line(target._view(), target._format, (x1, y1), (x2, y2), rgba, width)
    target._timestamp = source.timestamp


@function(fake_calls)
def cudaDrawRect(
    input: Any,
    rect: Any,
    color: Any = NULL,
    line_color: Any = NULL,
    line_width: Any = 1.0,
    output: Any = NULL,
    stream: Any = 0,
) -> None:
    """A rectangle filled with `color` (if its alpha > 0) and outlined with `line_color` (if its
    alpha > 0). A colour given as (r, g, b) has alpha 0 here (the binding's default)."""
    left, top, right, bottom = arg_floats(rect, 4, "rect")
    width = arg_float(line_width, "line_width")
    arg_ulonglong(stream, "stream")
    source, target = _draw_target(input, output)
    fill = (0.0, 0.0, 0.0, 0.0) if color is NULL else _color(color, "color", 0.0)
    line = (0.0, 0.0, 0.0, 0.0) if line_color is NULL else _color(line_color, "line_color", 0.0)
    if not target._format.packed:
        raise cuda_error("cudaDrawRect(...)")
    view, fmt = target._view(), target._format
    if fill[3] > 0:
        fill_rect(view, fmt, (left, top, right, bottom), fill)
    if line[3] > 0 and width > 0:
        corners = [(left, top), (right, top), (right, bottom), (left, bottom)]
        for n in range(4):
            draw_line(view, fmt, corners[n], corners[(n + 1) % 4], line, width)
    target._timestamp = source.timestamp


def adapt_font_size(dimension: int) -> float:
    """adaptFontSize(): 28 at 768 pixels or less, up to 32 at 1536 or more."""
    clamped = min(max(dimension, 768), 1536)
    return f32(28.0 + (clamped - 768) / (1536 - 768) * 4.0)


@function(fake_calls)
def adaptFontSize(dim: Any, /) -> float:
    """A font size for an image dimension: 28 at 768 pixels or less to 32 at 1536 or more."""
    dimension = arg_int(dim, "dim")
    if dimension <= 0:
        raise Exception(f"{UTILS}adaptFontSize() requested size is negative or zero")
    return adapt_font_size(dimension)


@function(fake_calls)
def logUsage() -> str:
    return "log arguments:\n  --log-file=FILE\n  --log-level=LEVEL\n  --verbose\n  --debug\n"


# --- numpy -------------------------------------------------------------------------------


_NUMPY_FORMATS = {
    (np.float32, 1, False): "gray32f",
    (np.float32, 3, False): "rgb32f",
    (np.float32, 3, True): "bgr32f",
    (np.float32, 4, False): "rgba32f",
    (np.float32, 4, True): "bgra32f",
    (np.uint8, 1, False): "gray8",
    (np.uint8, 3, False): "rgb8",
    (np.uint8, 3, True): "bgr8",
    (np.uint8, 4, False): "rgba8",
    (np.uint8, 4, True): "bgra8",
}


@function(fake_calls)
def cudaFromNumpy(array: Any, isBGR: Any = 0, timestamp: Any = 0) -> cudaMemory:
    """Copy a numpy array into new mapped CUDA memory (a host-to-device copy, counted)."""
    bgr, stamp = arg_int(isBGR, "isBGR") > 0, arg_longlong(timestamp, "timestamp")
    if not isinstance(array, np.ndarray):
        raise Exception(f"{UTILS}Object passed to cudaFromNumpy() wasn't a numpy ndarray")
    if stamp < 0:
        raise Exception(f"{UTILS}cudaFromNumpy() timestamp cannot be negative")
    dtype: type[np.generic] = np.uint8 if array.dtype == np.uint8 else np.float32
    data = np.ascontiguousarray(array, dtype=dtype)
    if data.nbytes == 0:
        raise Exception(f"{UTILS}cudaFromNumpy() numpy ndarray has data size of 0 bytes")
    buffer = _allocate(data.nbytes, clear=False)
    buffer[:] = data.reshape(-1).view(np.uint8)
    fake_counters.host_to_device_copies += 1
    fake_counters.host_to_device_bytes += data.nbytes
    name = None
    if data.ndim == 2:
        name = _NUMPY_FORMATS[(dtype, 1, False)]
    elif data.ndim == 3 and data.shape[2] in (1, 3, 4):
        name = _NUMPY_FORMATS[(dtype, data.shape[2], bgr and data.shape[2] != 1)]
    image_format = format_from_str(name)
    if image_format is None:
        return cudaMemory._register(buffer, True)
    return cudaImage._register_image(
        buffer, data.shape[1], data.shape[0], image_format, stamp, True
    )


@function(fake_calls)
def cudaToNumpy(array: Any, width: Any = 0, height: Any = 1, depth: Any = 1) -> Array:
    """A numpy array on the same (mapped) memory: no copy. Images give (height, width,
    channels) of uint8 or float32, and keep the image alive (its reference count counts the
    array); plain cudaMemory gives (height, width, depth) float32."""
    columns, rows, planes = (
        arg_int(width, "width"),
        arg_int(height, "height"),
        arg_int(depth, "depth"),
    )
    image = get_image(array)
    if image is not None:
        if not image.mapped:
            raise _unmapped()
        view = np.asarray(image)  # like the binding's, the array holds a reference to the image
        assert view.base is not None and view.shape == image._view().shape
        return view
    memory = get_memory(array)
    if memory is None:
        raise Exception(
            f"{UTILS}cudaToNumpy() failed to get input CUDA pointer from first arg "
            "(should be cudaImage or cudaMemory)"
        )
    if not memory.mapped:
        raise _unmapped()
    count = rows * columns * planes
    if count < 0 or count * 4 > memory.size:
        raise Exception(f"{UTILS}fake: cudaToNumpy() dimensions exceed the memory")
    return memory._buffer[: count * 4].view(np.float32).reshape(rows, columns, planes)


def _unmapped() -> Exception:
    return Exception(
        f"{UTILS}cudaToNumpy() needs to use CUDA mapped memory as input (allocate with mapped=1)"
    )


# --- image files ---------------------------------------------------------------------------


def _load(filename: str, format_name: str, stamp: int, owner: str) -> cudaImage:
    image_format = format_from_str(format_name)
    if image_format is None or not image_format.packed:
        raise Exception(f"{UTILS}{owner}() invalid format string")
    if stamp < 0:
        raise Exception(f"{UTILS}{owner}() timestamp cannot be negative")
    pixels = cv2.imread(filename, cv2.IMREAD_UNCHANGED) if os.path.isfile(filename) else None
    if pixels is None:
        raise Exception(f"{UTILS}{owner}() failed to load image {filename}")
    if pixels.ndim == 2:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    rgb = cv2.cvtColor(pixels[..., :3], cv2.COLOR_BGR2RGB).astype(np.float32)
    alpha = pixels[..., 3].astype(np.float32) if pixels.shape[2] == 4 else None
    image = new_image(rgb.shape[1], rgb.shape[0], image_format, stamp, clear=False)
    store_rgb(image._view(), image_format, rgb, alpha)
    fake_counters.host_to_device_copies += 1
    fake_counters.host_to_device_bytes += image.size
    return image


@function(fake_calls)
def loadImage(
    filename: Any, format: Any = "rgb8", timestamp: Any = 0, stream: Any = 0
) -> cudaImage:
    """Load an image file into new mapped memory (counted as a host-to-device copy)."""
    name, fmt = arg_str(filename, "filename"), arg_str(format, "format")
    stamp, _ = arg_longlong(timestamp, "timestamp"), arg_ulonglong(stream, "stream")
    return _load(name, fmt, stamp, "loadImage")


@function(fake_calls)
def loadImageRGBA(
    filename: Any, format: Any = "rgba32f", timestamp: Any = 0, stream: Any = 0
) -> tuple[cudaImage, int, int]:
    """Like loadImage, in rgba32f by default; returns (image, width, height)."""
    name, fmt = arg_str(filename, "filename"), arg_str(format, "format")
    stamp, _ = arg_longlong(timestamp, "timestamp"), arg_ulonglong(stream, "stream")
    image = _load(name, fmt, stamp, "loadImageRGBA")
    return image, image.width, image.height


def _save(filename: str, view: Array, fmt: ImageFormat, quality: int, max_pixel: float) -> bool:
    rgb = rgb_float(view, fmt) * (255.0 / max_pixel if max_pixel else 1.0)
    bgr = cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    params = (
        [cv2.IMWRITE_JPEG_QUALITY, quality] if filename.lower().endswith((".jpg", ".jpeg")) else []
    )
    try:
        return bool(cv2.imwrite(filename, bgr, params))
    except cv2.error:
        return False


@function(fake_calls)
def saveImage(filename: Any, image: Any, quality: Any = 95, stream: Any = 0) -> None:
    """Save a mapped cudaImage to a file (read in place: no copy is counted)."""
    name, level = arg_str(filename, "filename"), arg_int(quality, "quality")
    arg_ulonglong(stream, "stream")
    picture = get_image(image)
    if picture is None:
        raise Exception(f"{UTILS}saveImage() wasn't passed a cudaImage object")
    if not picture.mapped:
        raise Exception(
            f"{UTILS}saveImage() needs to be passed a cudaImage that was allocated in "
            "mapped/zeroCopy memory"
        )
    if not picture._format.packed or not _save(
        name, picture._view(), picture._format, level, 255.0
    ):
        raise Exception(
            f"{UTILS}saveImage() failed to save {picture.width}x{picture.height} image to {name}"
        )


@function(fake_calls)
def saveImageRGBA(
    filename: Any,
    image: Any,
    width: Any = 0,
    height: Any = 0,
    max_pixel: Any = 255.0,
    quality: Any = 95,
    stream: Any = 0,
) -> None:
    """Save a mapped image (or float4 cudaMemory of width x height) to a file."""
    name = arg_str(filename, "filename")
    columns, rows = arg_int(width, "width"), arg_int(height, "height")
    peak, level = arg_float(max_pixel, "max_pixel"), arg_int(quality, "quality")
    arg_ulonglong(stream, "stream")
    picture = get_image(image)
    if picture is not None:
        if not picture.mapped:
            raise Exception(
                f"{UTILS}saveImageRGBA() needs to be passed a cudaImage that was allocated in "
                "mapped/zeroCopy memory"
            )
        view, fmt = picture._view(), picture._format
    else:
        memory = get_memory(image)
        if memory is None:
            raise Exception(
                f"{UTILS}saveImageRGBA() wasn't passed a cudaImage or cudaMemory object"
            )
        if not memory.mapped:
            raise Exception(
                f"{UTILS}saveImageRGBA() needs to be passed a cudaMemory object that was "
                "allocated in mapped/zeroCopy memory"
            )
        fmt = FORMATS["rgba32f"]
        view = view_of(memory._buffer, columns, rows, fmt)
    if not fmt.packed or not _save(name, view, fmt, level, peak):
        raise Exception(f"{UTILS}saveImage() failed to save {columns}x{rows} image to {name}")
