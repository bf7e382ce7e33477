"""Colours of overlaid runs, shared by the plots and the Runs table (no pyqtgraph here: the table is built at start-up)."""

from __future__ import annotations

# Distinct from the live curves' blue/orange, readable on light and dark backgrounds.
RUN_COLORS = [(46, 160, 67), (200, 60, 160), (20, 170, 190), (170, 120, 40), (130, 90, 220), (220, 60, 60),
              (110, 140, 60), (90, 110, 140)]


def run_color(i: int) -> tuple[int, int, int]:
    return RUN_COLORS[i % len(RUN_COLORS)]
