"""Live settings as typed properties, served over REST in jetson-inference's wire format.

Every setting is declared once, with `rest_property()`. From that one declaration come its
`GET|PUT /<group>/<name>` route, its entry in `GET /api/properties`, its control on the
dashboard and its row in the README's table of settings.

Wire format (as jetson-inference's Flask example): GET answers the bare JSON value; PUT takes
a bare JSON value (`0.7`, `true`, `5`, `"blur"`) and answers 200 with the value now in force.
Unlike the original, a PUT is validated: a wrong type, a value out of range, NaN or Infinity,
malformed or missing JSON and an oversized body get 400 `{"error": "..."}` and change nothing.
An int setting accepts an integral float (`3.0` sets 3) and refuses `3.5`; a bool setting
takes only `true` or `false`.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_BODY_BYTES = 1024
TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str"}


class InvalidValue(ValueError):
    """A PUT body that is not an acceptable value; the message says what is allowed."""


class ReadOnly(LookupError):
    """A PUT on a setting that can only be read."""


@dataclass
class Property:
    """One live setting: where it lives, how to read and change it, and what it accepts."""

    path: str
    type: type
    getter: Callable[[], Any]
    setter: Callable[[Any], None] | None = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] | None = None
    help: str = ""
    label: str = ""  # what the page calls it; the name, made readable, if empty
    percent: bool = False  # the page shows the value as a percentage of the maximum
    choice_notes: Mapping[str, str] | None = None  # choice -> a note the page shows beside it

    @property
    def group(self) -> str:
        return self.path.strip("/").split("/")[0]

    @property
    def name(self) -> str:
        return self.path.strip("/").split("/")[-1]

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.type]

    @property
    def title(self) -> str:
        """The label, or the name made readable (tracking_enabled: "Tracking enabled")."""
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def writable(self) -> bool:
        return self.setter is not None

    def describe(self) -> dict[str, Any]:
        """The entry of /api/properties."""
        return {
            "path": self.path,
            "group": self.group,
            "name": self.name,
            "type": self.type_name,
            "min": self.minimum,
            "max": self.maximum,
            "step": self.step,
            "choices": list(self.choices) if self.choices else None,
            "value": self.getter(),
            "help": self.help,
            "label": self.title,
            "writable": self.writable,
        }

    def parse(self, body: bytes) -> Any:
        """The value a PUT body carries, checked against type and range; InvalidValue if not."""
        if not body.strip():
            raise InvalidValue(
                f"{self.path}: the body is empty; send a bare JSON {self._expects()}"
            )
        try:
            value = json.loads(body, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidValue(
                f"{self.path}: the body is not JSON ({error}); send a bare JSON {self._expects()}"
            ) from None
        except RecursionError:  # arrays or objects nested hundreds deep
            raise InvalidValue(
                f"{self.path}: the body is nested too deeply; send a bare JSON {self._expects()}"
            ) from None
        return self._check_range(self._check_type(value))

    def _expects(self) -> str:
        if self.choices:
            return f"string, one of {', '.join(self.choices)}"
        if self.type is bool:
            return "true or false"
        if self.minimum is not None and self.maximum is not None:
            return f"{TYPE_NAMES[self.type]} from {self.minimum:g} to {self.maximum:g}"
        return TYPE_NAMES[self.type]

    def _check_type(self, value: Any) -> Any:
        wrong = InvalidValue(
            f"{self.path}: got {json.dumps(value)[:40]} "
            f"({TYPE_NAMES.get(type(value), type(value).__name__)}), "
            f"expected {self._expects()}"
        )
        if self.type is bool:
            if not isinstance(value, bool):
                raise wrong
            return value
        if self.type is str:
            if not isinstance(value, str):
                raise wrong
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong
        if isinstance(value, float) and not math.isfinite(value):  # 1e400 parses as inf
            raise InvalidValue(f"{self.path}: not a finite number, expected {self._expects()}")
        if self.type is int:
            if isinstance(value, float) and not value.is_integer():
                raise wrong
            return int(value)
        try:
            return float(value)
        except OverflowError:  # an integer literal with hundreds of digits
            raise InvalidValue(
                f"{self.path}: not a finite number, expected {self._expects()}"
            ) from None

    def _check_range(self, value: Any) -> Any:
        if self.choices and value not in self.choices:
            raise InvalidValue(f"{self.path}: {value!r} is not one of {', '.join(self.choices)}")
        too_low = self.minimum is not None and value < self.minimum
        too_high = self.maximum is not None and value > self.maximum
        if too_low or too_high:
            raise InvalidValue(
                f"{self.path}: {json.dumps(value)[:40]} is out of range, expected {self._expects()}"
            )
        return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number this API accepts")


@dataclass
class PropertyRegistry:
    """All live settings, by path. Setters run under `lock`, which is held only to change or
    to copy settings, never across a frame: a PUT does not wait for inference. The pipeline
    copies each network's settings under it at a frame boundary (model.ModelSlot.run)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    _properties: dict[str, Property] = field(default_factory=dict)

    def add(self, prop: Property) -> Property:
        if prop.path in self._properties:
            raise ValueError(f"{prop.path} is declared twice")
        self._properties[prop.path] = prop
        return prop

    def get(self, path: str) -> Property | None:
        return self._properties.get(path)

    def __iter__(self) -> Iterator[Property]:
        return iter(list(self._properties.values()))

    def groups(self) -> dict[str, list[Property]]:
        grouped: dict[str, list[Property]] = {}
        for prop in self:
            grouped.setdefault(prop.group, []).append(prop)
        return grouped

    def put(self, path: str, body: bytes) -> Any:
        """Validate and record a PUT body; the value now in force. The pipeline picks it up
        at its next frame boundary. ReadOnly if the setting has no setter."""
        prop = self._properties[path]
        if prop.setter is None:
            raise ReadOnly(f"{path} is read-only")
        value = prop.parse(body)
        with self.lock:
            prop.setter(value)
        return prop.getter()


def rest_property(
    registry: PropertyRegistry,
    path: str,
    getter: Callable[[], Any],
    setter: Callable[[Any], None] | None = None,
    type: type = float,  # noqa: A002
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    step: float | None = None,
    choices: tuple[str, ...] | None = None,
    help: str = "",  # noqa: A002
    label: str = "",
    percent: bool = False,
    choice_notes: Mapping[str, str] | None = None,
) -> Property:
    """Declare a live setting at `path` (`/<group>/<name>`): GET always, PUT if it has a setter."""
    if type not in TYPE_NAMES:
        raise TypeError(f"{path}: unsupported property type {type!r}")
    return registry.add(
        Property(
            path,
            type,
            getter,
            setter,
            minimum,
            maximum,
            step,
            choices,
            help,
            label,
            percent,
            choice_notes,
        )
    )


def attribute_property(
    registry: PropertyRegistry,
    path: str,
    owner: object,
    attribute: str,
    type: type = float,  # noqa: A002
    **options: Any,
) -> Property:
    """A writable rest_property backed by one attribute of `owner`."""
    return rest_property(
        registry,
        path,
        lambda: getattr(owner, attribute),
        lambda value: setattr(owner, attribute, value),
        type,
        **options,
    )
