"""Geometry of the half-donut gauge: pure functions from probabilities to angles.

The gauge reads in score points, higher is safer: the highest risk on the
left, the lowest on the right, as the points grow. It is graduated by risk
band, not linearly: each of the seven bands gets the same angle, so the narrow
low-risk bands stay visible and labelled. Tick labels give the real score at
every inner band edge, so the scale is never hidden.
"""

from __future__ import annotations

import math

import numpy as np

from bokeh_app import palette
from scoring.service.protocol import risk_band_edges

N_BANDS = 7
INNER_RADIUS = 0.55
OUTER_RADIUS = 1.0
LABEL_RADIUS = (INNER_RADIUS + OUTER_RADIUS) / 2
TICK_RADIUS = 1.1
NEEDLE_RADIUS = 0.9
#: Plot ranges that hold the arc, its outer labels and the probability text below.
X_RANGE = (-1.35, 1.35)
Y_RANGE = (-0.42, 1.3)


def probability_to_angle(probability: float, threshold: float) -> float:
    """Angle in radians (0 = 0 % on the right, the most points; pi = 100 % on the left),
    linear inside each risk band."""
    edges = np.asarray(risk_band_edges(threshold))
    # Equal-angle positions of the band edges; duplicate edges (threshold near 1) are harmless.
    fractions = np.linspace(0.0, 1.0, N_BANDS + 1)
    p = min(max(float(probability), 0.0), 1.0)
    position = float(np.interp(p, edges, fractions))
    return math.pi * position


def band_data(threshold: float, labels: list[str]) -> dict[str, list]:
    """Column data of the seven annular wedges (level 0 on the right) and their tangential labels."""
    step = math.pi / N_BANDS
    starts = [i * step for i in range(N_BANDS)]
    ends = [(i + 1) * step for i in range(N_BANDS)]
    mids = [(s + e) / 2 for s, e in zip(starts, ends)]
    return {
        "start": starts,
        "end": ends,
        "colour": list(palette.RISK_BANDS),
        "label": [lab.replace(" ", "\n", 1) for lab in labels],
        "label_x": [LABEL_RADIUS * math.cos(m) for m in mids],
        "label_y": [LABEL_RADIUS * math.sin(m) for m in mids],
        "label_angle": [m - math.pi / 2 for m in mids],
        "level": list(range(N_BANDS)),
    }


def tick_data(threshold: float, tick_labels: list[str]) -> dict[str, list]:
    """Column data of the labels at the eight band edges (edge i at the angle of probability
    edge i), outside the arc."""
    step = math.pi / N_BANDS
    angles = [i * step for i in range(N_BANDS + 1)]
    return {
        "x": [TICK_RADIUS * math.cos(a) for a in angles],
        "y": [TICK_RADIUS * math.sin(a) for a in angles],
        "text": tick_labels,
        "align": ["right" if math.cos(a) < -0.2 else "left" if math.cos(a) > 0.2 else "center"
                  for a in angles],
    }


def threshold_mark(threshold: float) -> dict[str, list]:
    """A radial segment across the arc at the threshold (the start of band 4)."""
    a = probability_to_angle(threshold, threshold)
    r0, r1 = INNER_RADIUS - 0.06, OUTER_RADIUS + 0.06
    return {"x0": [r0 * math.cos(a)], "y0": [r0 * math.sin(a)],
            "x1": [r1 * math.cos(a)], "y1": [r1 * math.sin(a)]}


def needle(probability: float | None, threshold: float) -> dict[str, list]:
    """The needle from the hub to the client's probability; empty when no client is shown."""
    if probability is None:
        return {"x0": [], "y0": [], "x1": [], "y1": []}
    a = probability_to_angle(probability, threshold)
    return {"x0": [0.0], "y0": [0.0],
            "x1": [NEEDLE_RADIUS * math.cos(a)], "y1": [NEEDLE_RADIUS * math.sin(a)]}


__all__ = [
    "N_BANDS", "X_RANGE", "Y_RANGE", "INNER_RADIUS", "OUTER_RADIUS",
    "probability_to_angle", "band_data", "tick_data", "threshold_mark", "needle",
]
