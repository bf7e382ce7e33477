"""The benchmark runner's summary of a ratio figure: the bootstrap interval it prints beside the median."""

from __future__ import annotations

import statistics

from benchmarks.run import median_interval, ratio_note  # tests/ is a package: the repository root is on the path


def test_the_interval_holds_the_median_and_is_the_same_every_time() -> None:
    pairs = [1.03, 1.07, 1.27, 1.02, 0.901, 0.86, 1.07]
    lo, hi = median_interval(pairs)
    assert min(pairs) <= lo < statistics.median(pairs) < hi <= max(pairs)
    assert median_interval(pairs) == (lo, hi)  # a fixed seed: a re-run of the runner prints the same words


def test_the_interval_narrows_with_steadier_pairs_and_is_a_point_without_spread() -> None:
    wide = median_interval([0.86, 0.9, 0.95, 1.0, 1.05, 1.1, 1.27])
    narrow = median_interval([0.99, 0.995, 0.998, 1.0, 1.002, 1.005, 1.01])
    assert narrow[1] - narrow[0] < (wide[1] - wide[0]) / 5
    assert median_interval([1.0] * 7) == (1.0, 1.0)


def test_the_note_lists_the_pairs_and_the_interval() -> None:
    note = ratio_note([0.95, 1.0, 1.05], "per interleaved pair")
    assert note.startswith("x (per interleaved pair; median of 3: 0.95, 1, 1.05; 90% bootstrap interval of the median ")
