"""The Professional Head of Intelligence Assessment (PHIA) probability yardstick: the one place a product turns a
probability into words ("likely", "highly unlikely"), always with the numeric range the words stand for.

The yardstick leaves deliberate gaps between its bands (e.g. 35-40%) so that a reader never confuses two
neighbouring terms; a probability that falls in a gap takes the nearer band's words and the text says the
estimate itself. Every product that says "likely", "unlikely" or "almost certain" takes the words from here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    words: str
    low: float   # inclusive, as a probability
    high: float  # inclusive

    @property
    def range_text(self) -> str:
        return f"{self.low * 100:.0f}-{self.high * 100:.0f}%"

    @property
    def phrase(self) -> str:
        """The words with their range, e.g. 'likely (55-75%)'."""
        return f"{self.words} ({self.range_text})"


YARDSTICK: tuple[Band, ...] = (
    Band("remote chance", 0.00, 0.05),
    Band("highly unlikely", 0.10, 0.20),
    Band("unlikely", 0.25, 0.35),
    Band("a realistic possibility", 0.40, 0.50),
    Band("likely", 0.55, 0.75),
    Band("highly likely", 0.80, 0.90),
    Band("almost certain", 0.95, 1.00),
)


def band(probability: float) -> Band:
    """The yardstick band holding `probability`, or, in a gap between bands, the nearer band."""
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability {probability!r} is outside 0..1")
    for b in YARDSTICK:
        if b.low <= probability <= b.high:
            return b
    return min(YARDSTICK, key=lambda b: min(abs(probability - b.low), abs(probability - b.high)))


def phrase(probability: float) -> str:
    """'likely (55-75%)' for 0.6: the words a product prints, always with their range."""
    return band(probability).phrase
