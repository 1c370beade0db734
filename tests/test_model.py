"""`@frozen` classes behave as `@dataclass(frozen=True)` ones, however their first instance is
made: by a call, by `dataclasses.replace`, or by unpickling in a process that never made one."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys

import pytest

from scanner.model import Commit, Finding, Location, Severity, Verdict, VerdictStatus, frozen

#: a fresh interpreter reads a pickled value, then compares it with one it makes itself
UNPICKLE = """\
import dataclasses, pickle, sys
from scanner.model import Location
assert "__dataclass_fields__" not in vars(Location)
value = pickle.loads(sys.stdin.buffer.read())
assert "__dataclass_fields__" in vars(Location)
same = Location("app.py", 3, 7, 3, commit="abc")
assert value == same and hash(value) == hash(same), (value, same)
assert dataclasses.replace(value, line=4).line == 4
try:
    value.line = 5
except dataclasses.FrozenInstanceError:
    print("frozen")
"""


def test_a_frozen_class_becomes_a_dataclass_with_its_first_instance() -> None:
    @frozen
    class Point:
        """A point."""

        x: int
        y: int = 0

    assert "__dataclass_fields__" not in vars(Point)
    point = Point(1, y=2)
    assert "__dataclass_fields__" in vars(Point)
    assert [field.name for field in dataclasses.fields(Point)] == ["x", "y"]
    assert (point.x, point.y) == (1, 2)
    assert point == Point(1, 2) and point != Point(2, 1)
    assert hash(point) == hash(Point(1, 2))
    assert repr(point).endswith(".Point(x=1, y=2)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]


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
