"""Every colour the dashboard draws with, in one place so a test can check their contrast.

All graphic colours reach at least 4.5:1 against the white background, so white
text drawn on a risk band reaches the same ratio (the pair is symmetric).
Direction in the charts is never carried by colour alone: position, sign,
label and a hatch pattern say it too.
"""

from __future__ import annotations

BACKGROUND = "#ffffff"
TEXT = "#1a1a1a"
MUTED_TEXT = "#4d4d4d"
#: Text drawn on top of a coloured band or bar.
TEXT_ON_COLOUR = "#ffffff"

#: The seven risk bands, very low (0) to very high (6): green through amber to maroon.
RISK_BANDS = (
    "#0f5132",
    "#2e7d32",
    "#5c6300",
    "#7a5200",
    "#a33b00",
    "#c62828",
    "#7f0000",
)

#: Direction of a contribution: toward refusal (hatched, lowers the score) and toward acceptance.
REFUSAL = "#b3261e"
ACCEPTANCE = "#1f5fa8"
OTHER_FACTORS = "#5f5f5f"
GLOBAL_BAR = "#37474f"
#: Hatch on the "pushes toward refusal" bars (a second, colour-free signal).
REFUSAL_HATCH = "/"
HATCH_COLOUR = "#ffffff"

NEEDLE = "#1a1a1a"
THRESHOLD_MARK = "#000000"
GRID = "#767676"
FOCUS = "#005fcc"


def graphic_pairs() -> dict[str, tuple[str, str]]:
    """(foreground, background) pairs drawn in the plots, named for test messages."""
    pairs = {f"risk_band_{i}": (c, BACKGROUND) for i, c in enumerate(RISK_BANDS)}
    pairs |= {f"label_on_risk_band_{i}": (TEXT_ON_COLOUR, c) for i, c in enumerate(RISK_BANDS)}
    pairs |= {
        "text": (TEXT, BACKGROUND),
        "muted_text": (MUTED_TEXT, BACKGROUND),
        "refusal_bar": (REFUSAL, BACKGROUND),
        "acceptance_bar": (ACCEPTANCE, BACKGROUND),
        "other_factors_bar": (OTHER_FACTORS, BACKGROUND),
        "global_bar": (GLOBAL_BAR, BACKGROUND),
        "hatch_on_refusal": (HATCH_COLOUR, REFUSAL),
        "needle": (NEEDLE, BACKGROUND),
        "threshold_mark": (THRESHOLD_MARK, BACKGROUND),
        "grid": (GRID, BACKGROUND),
        "focus": (FOCUS, BACKGROUND),
    }
    return pairs


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB hex colour (#rgb or #rrggbb)."""
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if len(h) != 6:
        raise ValueError(f"not a hex colour: {colour!r}")

    def channel(v: int) -> float:
        c = v / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(h[i:i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio (1..21) between two colours."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
