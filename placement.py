"""Label placement: where a frame's overlay text may go without covering other text.

A LabelLayout holds the rectangles taken so far on one frame. A label is offered candidate
positions in order of preference (above its box, inside it, below it, ...); it takes the first
one that lies inside the frame and overlaps nothing taken, or none at all: a label is left out
rather than drawn over another or cut by the frame's edge. Pure geometry, no drawing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

Rect = tuple[int, int, int, int]  # left, top, right, bottom in pixels; right, bottom exclusive
Point = tuple[int, int]  # x, y of a label's top-left corner

FURTHER_ROWS = 3  # rows of labels stacked above (and below) a box when the nearer are taken
INSIDE_MIN_ROWS = 3  # a box this many label heights tall may hold its label inside


def overlaps(a: Rect, b: Rect) -> bool:
    """Whether two rectangles share any pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def shared(a: Rect, b: Rect) -> int:
    """The number of pixels two rectangles share."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(0, width) * max(0, height)


class LabelLayout:
    """The rectangles taken by labels on one frame of `width` x `height` pixels, and areas
    that labels should rather not cover (small objects a label would hide)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.taken: list[Rect] = []
        self.kept_clear: list[Rect] = []

    def inside(self, rect: Rect) -> bool:
        left, top, right, bottom = rect
        return left >= 0 and top >= 0 and right <= self.width and bottom <= self.height

    def is_free(self, rect: Rect) -> bool:
        """Inside the frame, and overlapping nothing taken."""
        return self.inside(rect) and not any(overlaps(rect, taken) for taken in self.taken)

    def keep_clear(self, rect: Rect) -> None:
        """Ask labels to leave an area uncovered if they have anywhere else to go."""
        self.kept_clear.append(rect)

    def place(self, size: tuple[int, int], corners: Iterable[Point]) -> Rect | None:
        """Take the first free rectangle of `size` (width, height) among the candidate top-left
        corners, each shifted sideways into the frame if it sticks out of a side: the first
        of those that cover the least of the areas kept clear; None if none is free (or the
        label is wider than the frame)."""
        width, height = size
        candidates = [
            (x, y, x + width, y + height)
            for x, y in ((min(max(0, x), self.width - width), y) for x, y in corners)
        ]
        free = [rect for rect in candidates if self.is_free(rect)]
        if not free:
            return None
        best = min(free, key=lambda rect: sum(shared(rect, area) for area in self.kept_clear))
        self.taken.append(best)
        return best


def around_box(box: Rect, size: tuple[int, int]) -> Iterator[Point]:
    """Candidate corners of a label of `size` for a box, best first: just above it, just
    below it, then (if the box is at least INSIDE_MIN_ROWS labels tall, so that the label
    hides little of what it names) inside its top and inside its bottom, each row
    left-aligned with the box, then right-aligned; then beside it, left and right, level with
    its top, then its bottom; then rows further above and below."""
    left, top, right, bottom = box
    width, height = size

    def aligned(rows: Iterable[int]) -> Iterator[Point]:
        for y in rows:
            yield left, y
            yield right - width, y

    near = [top - height, bottom]
    if bottom - top >= INSIDE_MIN_ROWS * height:
        near += [top, bottom - height]
    yield from aligned(near)
    for y in (top, bottom - height):
        yield left - width, y
        yield right, y
    for step in range(2, FURTHER_ROWS + 2):
        yield from aligned((top - step * height, bottom + (step - 1) * height))


def along_edge(
    frame: tuple[int, int], size: tuple[int, int], corner: str, margin: int, step: int
) -> Iterator[Point]:
    """Candidate corners in a corner of the frame ("top-left", "top-right", "bottom-left",
    "bottom-right"), then moving away from it along the side edge, `step` pixels at a time."""
    frame_width, frame_height = frame
    width, height = size
    vertical, horizontal = corner.split("-")
    x = margin if horizontal == "left" else frame_width - margin - width
    if vertical == "top":
        ys: Iterable[int] = range(margin, frame_height - height + 1, step)
    else:
        ys = range(frame_height - margin - height, -1, -step)
    for y in ys:
        yield x, y
