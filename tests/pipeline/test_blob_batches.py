"""How a history's listed blobs are cut into the batches the scan workers take one at a time."""

from __future__ import annotations

from scanner.pipeline.blob_workers import BATCH_BYTES, BATCH_OBJECTS, TAIL_BATCHES, batches


def listing(count: int, size: int = 1) -> list[tuple[str, int]]:
    return [(f"{number:040x}", size) for number in range(count)]


def test_the_last_batches_are_cut_finer_so_that_the_workers_end_together() -> None:
    listed = listing(10 * BATCH_OBJECTS)

    cut = list(batches(listed))

    head = cut[: 10 - TAIL_BATCHES]
    assert [len(batch) for batch in head] == [BATCH_OBJECTS] * len(head)
    tail = cut[len(head) :]
    assert len(tail) > TAIL_BATCHES
    assert max(len(batch) for batch in tail) < BATCH_OBJECTS
    # every blob once, in the listing's (pack) order
    assert [oid for batch in cut for oid in batch] == [oid for oid, _ in listed]


def test_large_blobs_are_cut_by_bytes_and_their_tail_too() -> None:
    listed = listing(20, BATCH_BYTES // 4)

    cut = list(batches(listed))

    assert [oid for batch in cut for oid in batch] == [oid for oid, _ in listed]
    assert all(len(batch) <= 4 for batch in cut)
    assert len(cut[-1]) < 4


def test_a_history_of_one_batch_stays_one_batch() -> None:
    # one batch is scanned without starting worker processes: the tail is not cut up for it
    listed = listing(BATCH_OBJECTS)

    assert list(batches(listed)) == [[oid for oid, _ in listed]]


def test_a_history_of_a_few_batches_is_not_cut_finer() -> None:
    listed = listing(TAIL_BATCHES * BATCH_OBJECTS)

    assert [len(batch) for batch in batches(listed)] == [BATCH_OBJECTS] * TAIL_BATCHES
