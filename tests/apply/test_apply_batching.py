"""make_batches: mode by size, exact byte accounting, documented limits."""

from __future__ import annotations

import orjson

from orgsync.apply.batching import (
    Batch,
    BatchLimits,
    Mode,
    choose_mode,
    join,
    links_max_actions,
    make_batches,
)


def test_small_changes_go_sync_large_ones_async():
    limits = BatchLimits(sync_max_actions=3)
    assert choose_mode(3, limits) == Mode.SYNC
    assert choose_mode(4, limits) == Mode.ASYNC
    assert [b.mode for b in make_batches([10] * 3, limits=limits)] == [Mode.SYNC]
    assert [b.mode for b in make_batches([10] * 4, limits=limits)] == [Mode.ASYNC]


def test_batches_cover_every_action_once_in_order():
    limits = BatchLimits(sync_max_actions=1000, sync_max_bytes=50)
    batches = make_batches([10] * 10, limits=limits)
    # 4 actions = 2 + 40 + 3 = 45 bytes; a fifth would make 56 > 50
    assert batches == [Batch(Mode.SYNC, 0, 4, 45), Batch(Mode.SYNC, 4, 8, 45), Batch(Mode.SYNC, 8, 10, 23)]


def test_byte_count_is_the_exact_body_length():
    bodies = [orjson.dumps({"_action": "delete", "id": "é" * (i % 7 + 1)}).decode() for i in range(50)]
    limits = BatchLimits(sync_max_actions=100, sync_max_bytes=300)
    batches = make_batches([len(b.encode()) for b in bodies], limits=limits)
    assert [a for b in batches for a in range(b.start, b.stop)] == list(range(50))
    for batch in batches:
        body = join(bodies, batch)
        assert len(body) == batch.bytes <= 300
        assert len(orjson.loads(body)) == batch.count


def test_an_action_larger_than_the_sync_limit_goes_alone_by_import():
    assert make_batches([5, 500, 5], limits=BatchLimits(sync_max_bytes=100)) == [
        Batch(Mode.SYNC, 0, 1, 7),
        Batch(Mode.ASYNC, 1, 2, 502),
        Batch(Mode.SYNC, 2, 3, 7),
    ]


def test_no_sync_body_is_over_4_mib_whatever_the_row_width():
    # rows of 0.3 KB to 7 MB: every sync batch stays under the 4 MiB cap (and so under Orgvue's strict 6 MB);
    # only a row that alone is over the cap goes by import
    sizes = [
        300,
        1_500_000,
        2_000_000,
        2_500_000,
        900_000,
        7_000_000,
        4 * 1024 * 1024 - 2,
        4 * 1024 * 1024 - 1,
        12,
    ]
    batches = make_batches(sizes)
    assert [a for b in batches for a in range(b.start, b.stop)] == list(range(len(sizes)))
    assert all(b.bytes <= 4 * 1024 * 1024 for b in batches if b.mode == Mode.SYNC)
    assert [(b.start, b.stop, b.mode) for b in batches if b.mode == Mode.ASYNC] == [
        (5, 6, Mode.ASYNC),
        (7, 8, Mode.ASYNC),
    ]
    assert Batch(Mode.SYNC, 6, 7, 4 * 1024 * 1024) in batches  # exactly at the cap is still sync


def test_async_files_respect_the_action_cap():
    limits = BatchLimits(sync_max_actions=10, async_max_actions=40)
    batches = make_batches([20] * 100, limits=limits)
    assert [(b.mode, b.count) for b in batches] == [(Mode.ASYNC, 40), (Mode.ASYNC, 40), (Mode.ASYNC, 20)]


def test_links_batches_follow_the_documented_size():
    assert links_max_actions(4) == 25_000
    assert links_max_actions(100) == 25_000
    assert links_max_actions(200) == 12_500
    assert links_max_actions(1_000) == 2_500
    limits = BatchLimits(sync_max_actions=10, async_max_actions=100_000)
    batches = make_batches([30] * 60_000, links=True, property_count=4, limits=limits)
    assert [b.count for b in batches] == [25_000, 25_000, 10_000]


def test_no_actions_no_batches():
    assert make_batches([]) == []
