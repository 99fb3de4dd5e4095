"""SYNTHETIC data in the exact data.police.uk format and layout, for a fictional force area.

`generate()` writes, under `out_dir`:

- `YYYY-MM/YYYY-MM-<force>-street.csv`, `-outcomes.csv` and `-stop-and-search.csv`, byte for byte in the
  published format: the published headers and column order, CRLF, no quoting (no value contains a comma or a
  quote), 6-decimal coordinates, 64-hex Crime IDs, empty Crime ID and outcome for anti-social behaviour, rows
  ordered as data.police.uk orders them (by LSOA name, then crime type, `No Location` rows last);
- `reference/` with SYNTHETIC IoD 2019 Files 1, 2 and 6 (UTF-8 BOM, CRLF, no final newline, `"29,199"` style
  numbers where the real files have them, gzip) and a SYNTHETIC LSOA 2011 -> 2021 lookup (quoted text, LF);
- `SYNTHETIC.txt`, which says plainly that none of it is real crime and describes the planted problem.

Everything that can carry a marker says SYNTHETIC: file names of the reference files, the force name
(`Demo-shire Police (SYNTHETIC)`), LSOA and local authority names (`Demo-shire 001A (SYNTHETIC)`).

The area is fictional: ~300 LSOAs with codes E019xxxxx (a range England does not use) around 52.6N 1.2W,
~2,000 named snap points, eight hotspots, deprivation that drives crime, seasonality, a mild trend and
Poisson noise, plus one planted emerging problem (robbery in the station quarter rising sharply in the last
two months). Crime files use LSOA 2021 codes as data.police.uk does; a few 2011 LSOAs are split or merged,
and the lookup maps them, so the IoD (2011 codes) joins through it as it must for the real data.

The generator is deterministic: the same arguments give byte-identical files. Every random draw comes from a
numpy Generator seeded from (seed, force, purpose, month). Rows are generated and written with numpy
vectorisation, so a million street rows a month take seconds.
"""
from sources.synthetic.generate import SyntheticSummary, generate
from sources.synthetic.model import CRIME_TYPES
from sources.synthetic.months import parse_month_range

__all__ = ["CRIME_TYPES", "SyntheticSummary", "generate", "parse_month_range"]
