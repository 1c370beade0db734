"""`@frozen` classes behave as `@dataclass(frozen=True)` ones, whether the dataclass is made yet
or not: a plain `__init__` makes their first instances, and whatever only a dataclass has
(equality, hashing, its fields, `dataclasses.replace`, the frozen guard) makes it first."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
import typing
from typing import Any

import pytest

from scanner.model import (
    PLAIN_INSTANCES,
    Commit,
    Finding,
    Location,
    NamedTuple,
    Severity,
    Verdict,
    VerdictStatus,
    frozen,
    made_by,
    replaced,
)


def made(cls: type) -> bool:
    """Whether `@frozen` made `cls` a dataclass yet (before, its fields are a stand-in)."""
    return isinstance(vars(cls).get("__dataclass_fields__"), dict)


#: a fresh interpreter reads a pickled value, then compares it with one it makes itself
UNPICKLE = """\
import dataclasses, pickle, sys
from scanner.model import Location
from tests.test_model import made
assert not made(Location)
value = pickle.loads(sys.stdin.buffer.read())
same = Location("app.py", 3, 7, 3, commit="abc")
assert not made(Location)
assert value == same and hash(value) == hash(same), (value, same)
assert made(Location)
assert dataclasses.replace(value, line=4).line == 4
try:
    value.line = 5
except dataclasses.FrozenInstanceError:
    print("frozen")
"""


def point_class() -> Any:
    @frozen
    class Point:
        """A point."""

        x: int
        y: int = 0
        tags: list[str] = dataclasses.field(default_factory=list, hash=False)

    return Point


def test_a_frozen_class_makes_its_first_instances_without_the_dataclass() -> None:
    Point = point_class()
    point = Point(1, y=2)
    assert not made(Point)
    assert (point.x, point.y, point.tags) == (1, 2, [])
    assert Point(3).tags is not point.tags  # each gets its own from the factory
    assert not made(Point)


@pytest.mark.parametrize(
    "use",
    [
        lambda p: p == type(p)(1, 2),
        lambda p: hash(p),
        lambda p: repr(p),
        lambda p: dataclasses.fields(type(p)),
        lambda p: dataclasses.replace(p, x=5),
        lambda p: dataclasses.is_dataclass(p),
        lambda p: dataclasses.asdict(p),
    ],
)
def test_what_only_a_dataclass_has_makes_it_first(use: Any) -> None:
    Point = point_class()
    point = Point(1, 2)
    use(point)
    assert made(Point)
    # the instances made before behave as the dataclass's own
    assert [field.name for field in dataclasses.fields(Point)] == ["x", "y", "tags"]
    assert point == Point(1, 2) and point != Point(2, 1)
    assert hash(point) == hash(Point(1, 2))
    assert repr(point).endswith(".Point(x=1, y=2, tags=[])")
    assert dataclasses.replace(point, x=5) == Point(5, 2)


def test_a_frozen_class_refuses_changes_before_and_after_it_is_made() -> None:
    Point = point_class()
    point = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 3
    assert made(Point)
    with pytest.raises(dataclasses.FrozenInstanceError):
        del Point(2).x


def test_the_plain_init_refuses_what_the_dataclass_refuses() -> None:
    @dataclasses.dataclass(frozen=True)
    class Real:
        """The same point, a dataclass from the start."""

        x: int
        y: int = 0
        tags: list[str] = dataclasses.field(default_factory=list, hash=False)

    Point = point_class()
    for args, kwargs in [((), {}), ((1, 2, [], 4), {}), ((1,), {"x": 2}), ((1,), {"z": 2})]:
        with pytest.raises(TypeError):
            Real(*args, **kwargs)
        with pytest.raises(TypeError):
            Point(*args, **kwargs)
        assert not made(Point)


def test_a_frozen_class_runs_its_post_init() -> None:
    @frozen
    class Positive:
        """A positive number."""

        n: int

        def __post_init__(self) -> None:
            if self.n <= 0:
                raise ValueError("not positive")

    assert Positive(1).n == 1
    with pytest.raises(ValueError, match="not positive"):
        Positive(0)


def test_a_class_that_makes_many_instances_becomes_the_dataclass() -> None:
    """Past a few hundred instances the dataclass's own `__init__` is the cheaper."""
    Point = point_class()
    points = [Point(n) for n in range(PLAIN_INSTANCES)]
    assert made(Point)
    assert points[-1] == Point(PLAIN_INSTANCES - 1)


def test_the_models_frozen_classes_hold_what_they_are_given() -> None:
    commit = Commit("abc", "A. Author", "a@example.com", "2026-01-01T00:00:00+00:00")
    location = Location("app.py", 3, 7, 3, commit=commit.sha)
    finding = Finding(
        "demo", "Demo", "demo", Severity.HIGH, "Rotate it.", location, "s", "s***", "fp"
    )
    changed = dataclasses.replace(finding, verdict=Verdict(VerdictStatus.LIVE))
    assert changed.verdict == Verdict(VerdictStatus.LIVE, "", ())
    assert changed.location is location and changed != finding
    assert {finding, dataclasses.replace(finding)} == {finding}


def test_a_value_unpickled_first_is_a_whole_dataclass() -> None:
    """A worker process receives findings before it ever makes one."""
    sent = pickle.dumps(Location("app.py", 3, 7, 3, commit="abc"))
    completed = subprocess.run(
        [sys.executable, "-c", UNPICKLE], input=sent, capture_output=True, check=False
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode().split() == ["frozen"]


def test_replaced_leaves_a_plain_class_plain_and_changes_what_it_is_asked() -> None:
    Point = point_class()
    point = Point(1, 2)
    moved = replaced(point, y=3)
    assert (moved.x, moved.y, moved.tags) == (1, 3, [])
    assert not made(Point)
    with pytest.raises(TypeError):
        replaced(point, z=1)
    assert replaced(point, x=4) == dataclasses.replace(point, x=4) == Point(4, 2)
    assert made(Point)
    assert replaced(point, x=5) == Point(5, 2)  # the dataclass's replace, once it is made


def test_made_by_is_a_default_factory_before_and_after_the_dataclass() -> None:
    @frozen
    class Box:
        """A box."""

        items: list[int] = made_by(list)

    first, second = Box(), Box()
    assert first.items == [] and first.items is not second.items
    assert not made(Box)
    [field] = dataclasses.fields(Box)
    assert field.default_factory is list
    assert Box().items == [] and Box().items is not Box().items


class Pair(NamedTuple):
    """Two values; the second may be left out."""

    first: int
    second: tuple[str, ...] = ()

    def both(self) -> tuple[int, tuple[str, ...]]:
        return (self.first, self.second)

    @property
    def size(self) -> int:
        return len(self.second)


class TypingPair(typing.NamedTuple):
    """Two values; the second may be left out."""

    first: int
    second: tuple[str, ...] = ()

    def both(self) -> tuple[int, tuple[str, ...]]:
        return (self.first, self.second)

    @property
    def size(self) -> int:
        return len(self.second)


@pytest.mark.parametrize("cls", [Pair, TypingPair])
def test_the_models_named_tuple_is_typings(cls: Any) -> None:
    """`scanner.model.NamedTuple` makes what `typing.NamedTuple` makes, its annotations aside
    (left as written rather than checked)."""
    value = cls(1, ("a",))
    assert value == (1, ("a",)) and cls(1) == (1, ())
    assert (value.both(), value.size, value._asdict()) == (
        (1, ("a",)),
        1,
        {"first": 1, "second": ("a",)},
    )
    assert value._replace(first=2) == cls(2, ("a",))
    assert (cls._fields, cls._field_defaults) == (("first", "second"), {"second": ()})
    assert (cls.__doc__, cls.__module__, cls.__mro__[1:]) == (
        "Two values; the second may be left out.",
        __name__,
        (tuple, object),
    )
    assert cls.__match_args__ == ("first", "second")
    assert pickle.loads(pickle.dumps(value)) == value
    assert typing.get_type_hints(cls) == {"first": int, "second": tuple[str, ...]}
    with pytest.raises(AttributeError):
        value.first = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        cls()
