"""The SYNTHETIC reference files: IoD 2019 Files 1, 2 and 6 (UTF-8 BOM, CRLF, no final newline, gzip with a
fixed mtime) and the LSOA 2011 -> 2021 lookup, written from the fictional area; and the atomic file write
the generator uses for every file.
"""
from __future__ import annotations

import gzip
import io
import math
import os
from pathlib import Path

from sources.synthetic.area import Area
from sources.synthetic.model import (
    csv_field, IOD_FILE_1, IOD_FILE_1_HEADER, IOD_FILE_2, IOD_FILE_2_HEADER, IOD_FILE_6, IOD_FILE_6_HEADER, LOOKUP_FILE,
    LOOKUP_HEADER, N_ENGLAND_LSOAS, SYNTHETIC_PREFIX,
)


def write_file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _gzip(name: str, text: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(text)
    return buffer.getvalue()


def _thousands(value: int) -> str:
    return f'"{value:,}"' if value >= 1000 else str(value)


def _decile(rank: int) -> int:
    return math.ceil(rank / (N_ENGLAND_LSOAS / 10))


def write_reference(area: Area, folder: Path) -> list[Path]:
    order = sorted(range(len(area.l11_code)), key=lambda i: area.l11_code[i])

    def ident(i: int) -> str:
        lad = (area.lad_code, area.lad_name) if area.l11_in_force[i] else (area.neighbour_lad_code, area.neighbour_lad_name)
        return f"{area.l11_code[i]},{csv_field(area.l11_name[i])},{lad[0]},{csv_field(lad[1])}"

    file1 = [IOD_FILE_1_HEADER] + [
        f"{ident(i)},{_thousands(int(area.l11_ranks[i, 0]))},{_decile(int(area.l11_ranks[i, 0]))}" for i in order]
    file2 = [IOD_FILE_2_HEADER] + [
        ident(i) + "".join(f",{int(r)},{_decile(int(r))}" for r in area.l11_ranks[i]) for i in order]
    file6 = [IOD_FILE_6_HEADER] + [
        ident(i) + "".join(f",{_thousands(int(v))}" for v in area.l11_population[i]) for i in order]
    written = []
    for name, lines in ((IOD_FILE_1, file1), (IOD_FILE_2, file2), (IOD_FILE_6, file6)):
        text = "\ufeff" + "\r\n".join(lines)  # BOM, CRLF, no final newline: as published
        full = SYNTHETIC_PREFIX + name
        written.append(write_file(folder / full, _gzip(full[:-3], text.encode("utf-8"))))
    lookup = "\n".join([LOOKUP_HEADER] + area.lookup_lines) + "\n"  # quoted text, LF: as the real lookup
    written.append(write_file(folder / (SYNTHETIC_PREFIX + LOOKUP_FILE), lookup.encode("utf-8")))
    return written
