"""A warehouse of several SYNTHETIC forces (named with real slugs, as a config's `forces` must be) for the
fan-out tests, and how to compare the products built from it."""
from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from sources.synthetic import generate
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths

FORCES = ("durham", "cleveland")


def build_warehouse(folder: Path, months: tuple[str, str] = ("2023-08", "2024-08"), rows_per_month: int = 600) -> Path:
    """Ingest SYNTHETIC data of FORCES (without the gate, for speed) and write a tasking.yaml naming them."""
    for seed, force in enumerate(FORCES, start=1):
        data = generate(folder / "data" / force, force=force, months=months, seed=seed, rows_per_month=rows_per_month)
        assert ingest_reference_paths([data.out_dir / "reference"], folder / "warehouse.duckdb", gate=None).ok
    assert ingest_paths([folder / "data"], folder / "warehouse.duckdb", gate=None).ok
    return write_config(folder)


def write_config(folder: Path, store: str = "products", **fan_out) -> Path:
    settings = {"forces": list(FORCES), "warehouse": "warehouse.duckdb", "product_store": store}
    if fan_out:
        settings["fan_out"] = fan_out
    path = folder / f"tasking-{store}.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def data_packs(store: Path) -> dict[tuple[str, str], str]:
    """sha256 of every data-pack file of every product in a store, by (product id, file name)."""
    hashes = {}
    for path in sorted(store.glob("*/v*/data/**/*")):
        if path.is_file():
            product = path.relative_to(store).parts[0]
            hashes[(product, str(path.relative_to(path.parents[len(path.relative_to(store).parts) - 3])))] = \
                hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes
