"""Seeded randomness for the SYNTHETIC generator: one numpy Generator per (seed, force, purpose, month), the
sampling helpers built on it (probability tables, 64-hex identifiers, points a minimum distance apart,
England-wide deprivation ranks) and the cap on any one snap point's share.
"""
from __future__ import annotations

import hashlib

import numpy as np

from sources.synthetic.model import N_ENGLAND_LSOAS


def seeded_rng(seed: int, force: str, *labels: object) -> np.random.Generator:
    """A Generator for one purpose: independent of every other purpose, identical on every run and platform."""
    digest = hashlib.sha256("\x1f".join([str(int(seed)), force, *map(str, labels)]).encode()).digest()
    words = [int(w) for w in np.frombuffer(digest, dtype="<u4")]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))



def probabilities(table: dict[str, float]) -> tuple[list[str], np.ndarray]:
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return keys, p / p.sum()


_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random 64-lowercase-hex identifiers (as S64), shaped like the published SHA-256 Crime IDs."""
    raw = np.frombuffer(rng.bytes(32 * n), dtype=np.uint8)
    return np.ascontiguousarray(_HEX[raw]).view("S64").reshape(n)




def place(rng: np.random.Generator, n: int, sample, min_gap: float, existing: np.ndarray | None = None) -> np.ndarray:
    """n points from `sample(rng)` at least `min_gap` km apart (and from `existing`)."""
    placed = np.empty((0, 2)) if existing is None else existing.copy()
    new: list[tuple[float, float]] = []
    tries = 0
    while len(new) < n:
        tries += 1
        x, y = sample(rng)
        if placed.size and np.min(np.hypot(placed[:, 0] - x, placed[:, 1] - y)) < min_gap and tries < 200 * n:
            continue
        new.append((x, y))
        placed = np.vstack([placed, [[x, y]]])
    return np.array(new)


def ranks_for(latent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Distinct England-wide ranks (1 = most deprived), assigned so the highest latent gets the lowest rank."""
    chosen = np.sort(rng.choice(N_ENGLAND_LSOAS, size=len(latent), replace=False) + 1)
    ranks = np.empty(len(latent), dtype=np.int64)
    ranks[np.argsort(-latent, kind="stable")] = chosen
    return ranks



def cap_shares(p: np.ndarray, cap: float) -> np.ndarray:
    """Shares with none above `cap`, the excess spread over the others in proportion (no single snap point
    takes an implausible share of a force's crime)."""
    p = p.copy()
    for _ in range(50):
        over = p > cap
        if not over.any():
            break
        excess = float((p[over] - cap).sum())
        p[over] = cap
        free = ~over & (p < cap)
        p[free] += excess * p[free] / p[free].sum()
    return p / p.sum()
