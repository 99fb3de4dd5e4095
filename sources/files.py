"""Safe access to input files: every file is checked and, where needed, normalised before DuckDB reads it.

`prepare(path, where)` returns a `ReadyFile`: a UTF-8 file DuckDB can parse (the original when it already is
one, else a normalised copy in this process's scratch folder), the sha256 of the bytes as given, and notes on
what was changed. It raises one `SourceError` naming the file and the problem for anything it refuses. The
cases, accepted or refused, and the limits are listed in docs/ingest-limits.md:

- accepted as is: UTF-8 with or without a BOM; CRLF, LF or CR-only line endings (DuckDB reads all three);
- accepted after normalising: UTF-16 with a byte-order mark (decoded to UTF-8); stray C0 control characters
  and DEL (NUL included) are stripped and counted when they are under 1% of the file;
- refused: symbolic links and anything that is not a regular file, files over the size or row cap, UTF-16
  without a byte-order mark, binary files (1% or more control bytes), mixed line endings (bare CR beside LF),
  text that does not decode.

`extract_member` copies one archive member out under the caps on decompressed size and compression ratio.
Temporary files live in a scratch folder per process under the temp root; a process killed with SIGKILL
leaves its folder behind, and the next process to open a scratch folder removes every folder whose process
is gone.
"""
from __future__ import annotations

import atexit
import codecs
import csv
import errno
import functools
import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import threading
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from tasking import faults
from tasking.processes import process_alive

BLOCK = 1 << 20
MIB = 1 << 20
# C0 control characters other than tab, LF and CR, plus DEL: never meaningful in a published CSV.
CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
QUOTE = ord('"')


@functools.lru_cache(maxsize=4)
def _structure_deletes(delimiter: int) -> bytes:
    """Every byte that is not a line break, control byte, quote or the delimiter. Deleting them in one fast
    `bytes.translate` leaves a small string (about 5% of a published file) in which the CSV structure can be
    counted: line breaks, controls, and delimiters outside quotes."""
    keep = set(CONTROL_BYTES + b"\r\n") | {QUOTE, delimiter}
    return bytes(b for b in range(256) if b not in keep)
_STRIP_CONTROLS = {b: None for b in CONTROL_BYTES}
_NOT_CONTROL = bytes(b for b in range(256) if b not in CONTROL_BYTES)
# More control bytes than this share of the file means it is not text at all.
BINARY_SHARE = 0.01
# Ratios are only judged once this much is decompressed: tiny members compress badly or absurdly well.
RATIO_GRACE_BYTES = MIB
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class SourceError(Exception):
    """A file that cannot be read as published; the message names the file and the problem."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


# --- limits ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    """Caps on one input file. Defaults fit a national archive month with tenfold headroom or more."""

    max_bytes: int = 512 * MIB
    max_ratio: float = 100.0
    max_rows: int = 2_000_000


ENV_LIMITS = {"TASKING_MAX_FILE_MB": "max_bytes", "TASKING_MAX_RATIO": "max_ratio", "TASKING_MAX_ROWS": "max_rows"}


def current_limits() -> Limits:
    """The limits in force: `ingest.limits` of the config file when there is one, each overridden by its
    environment variable (TASKING_MAX_FILE_MB, TASKING_MAX_RATIO, TASKING_MAX_ROWS)."""
    from tasking.config import config_path

    path = config_path()
    try:
        stamp = path.resolve().stat().st_mtime_ns
    except OSError:
        stamp = None
    return _limits(str(path), stamp, tuple(os.environ.get(variable) for variable in ENV_LIMITS))


@functools.lru_cache(maxsize=8)
def _limits(path: str, stamp: int | None, overrides: tuple[str | None, ...]) -> Limits:
    """Cached per config file version and environment: reading the config costs ~5 ms, a national run has
    thousands of files."""
    values = {}
    from tasking.config import ConfigError, load_config

    if stamp is not None:
        try:
            configured = load_config(path).ingest.limits
            values = {"max_bytes": configured.max_file_mb * MIB, "max_ratio": configured.max_ratio,
                      "max_rows": configured.max_rows}
        except ConfigError:
            pass  # a broken config file is reported by the commands that need it; the defaults still protect
    for (variable, name), raw in zip(ENV_LIMITS.items(), overrides):
        if raw:
            try:
                number = float(raw)
            except ValueError as error:
                raise SourceError(variable, f"not a number: {raw!r}") from error
            if number <= 0:
                raise SourceError(variable, f"must be positive, got {raw!r}")
            values[name] = int(number * MIB) if name == "max_bytes" else (number if name == "max_ratio" else int(number))
    return Limits(**values)


# --- scratch folder ------------------------------------------------------------------------------------------

_scratch_lock = threading.Lock()
_scratch: Path | None = None


def temp_root() -> Path:
    """Where scratch folders live: `$TASKING_TMP`, else `tasking-<uid>` in the system temp folder."""
    explicit = os.environ.get("TASKING_TMP")
    root = Path(explicit) if explicit else Path(tempfile.gettempdir()) / f"tasking-{os.getuid()}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def clean_stale_scratch(root: Path | None = None) -> list[Path]:
    """Remove scratch folders whose process is gone (killed runs); returns what was removed."""
    root = root or temp_root()
    removed = []
    for folder in root.glob("run-*"):
        try:
            pid = int(folder.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not process_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    # Folders of the extractor before scratch folders existed carry no process id: remove them after a day.
    for folder in Path(tempfile.gettempdir()).glob("tasking-zip-*"):
        try:
            if time.time() - folder.stat().st_mtime > 86400:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except OSError:
            continue
    return removed


def scratch_dir() -> Path:
    """This process's scratch folder, made on first use (after removing stale ones) and removed at exit."""
    global _scratch
    with _scratch_lock:
        if _scratch is None or not _scratch.is_dir():
            root = temp_root()
            clean_stale_scratch(root)
            _scratch = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=root))
            atexit.register(shutil.rmtree, _scratch, True)
        return _scratch


@contextmanager
def scratch_file(suffix: str = "") -> Iterator[Path]:
    """A new empty file in the scratch folder, deleted when the block ends."""
    handle, name = tempfile.mkstemp(suffix=suffix, dir=scratch_dir())
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


# --- opening ---------------------------------------------------------------------------------------------------

def open_regular(path: Path, where: str):
    """Open for reading in binary, refusing symbolic links and anything that is not a regular file.

    The checks are made on the opened descriptor (O_NOFOLLOW, then fstat), so a file swapped for a link or a
    FIFO between looking and opening is refused too; O_NONBLOCK keeps a FIFO from blocking the open."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError as error:
        raise SourceError(where, "no such file") from error
    except OSError as error:
        if error.errno == errno.ELOOP or os.path.islink(path):
            raise SourceError(where, "is a symbolic link; refused (give the file itself)") from error
        raise SourceError(where, f"cannot be opened ({error.strerror})") from error
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise SourceError(where, "is not a regular file; refused")
    os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


@dataclass
class Scan:
    sha256: str
    size: int
    lf: int
    cr: int
    controls: int
    nuls: int
    head: bytes
    last: bytes
    delimiters: int = 0
    quotes: int = 0


def scan(path: Path, where: str, limits: Limits, delimiter: str = ",") -> Scan:
    """One pass over the bytes: hash, size, line-ending, control-byte and delimiter counts (stops at the size cap)."""
    digest = hashlib.sha256()
    size = lf = cr = controls = nuls = 0
    head = last = b""
    deletes = _structure_deletes(ord(delimiter))
    delimiter_byte = delimiter.encode()
    delimiters = quotes = 0
    with open_regular(path, where) as handle:
        if os.fstat(handle.fileno()).st_size > limits.max_bytes:
            raise SourceError(where, f"is larger than the cap of {limits.max_bytes // MIB} MiB (TASKING_MAX_FILE_MB)")
        for block in iter(lambda: handle.read(BLOCK), b""):
            if not head:
                head = block[:4096]
            size += len(block)
            if size > limits.max_bytes:
                raise SourceError(where, f"is larger than the cap of {limits.max_bytes // MIB} MiB (TASKING_MAX_FILE_MB)")
            digest.update(block)
            found = block.translate(None, deletes)
            block_lf, block_cr = found.count(b"\n"), found.count(b"\r")
            lf += block_lf
            cr += block_cr
            block_controls = len(found.translate(None, _NOT_CONTROL))
            if block_controls:
                controls += block_controls
                nuls += found.count(0)
            delimiters += found.count(delimiter_byte)
            quotes += found.count(b'"')
            last = block[-1:]
    return Scan(digest.hexdigest(), size, lf, cr, controls, nuls, head, last, delimiters, quotes)


@dataclass
class ReadyFile:
    """A file DuckDB can read as UTF-8, with what was found and changed on the way."""

    path: Path
    sha256: str                     # of the bytes as given
    size: int
    lines: int
    encoding: str                   # as given: utf-8, utf-8-sig, utf-16, or the declared one
    line_endings: str               # CRLF, LF, CR or none
    stripped: int = 0               # control characters removed
    notes: list[str] = field(default_factory=list)


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 text of mostly ASCII has a NUL in every other byte."""
    sample = head[:2048]
    if len(sample) < 4:
        return False
    return max(sample[0::2].count(0), sample[1::2].count(0)) >= len(sample) // 2 * 0.6


def _line_endings(found: Scan, where: str) -> str:
    if found.lf == 0 and found.cr == 0:
        return "none"
    if found.lf == 0:
        return "CR"
    if found.cr == 0:
        return "LF"
    if found.cr == found.lf:
        return "CRLF"
    raise SourceError(where, f"mixed line endings ({found.cr} CR and {found.lf} LF): save it with one kind of line ending")


def _normalise(path: Path, where: str, encoding: str, target: Path) -> int:
    """Decode `path` strictly, drop control characters, write UTF-8 to `target`; returns how many were dropped."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    shown = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16"}.get(encoding, encoding)
    stripped = 0
    offset = 0
    with open_regular(path, where) as source, open(target, "w", encoding="utf-8", newline="") as out:
        for block in iter(lambda: source.read(BLOCK), b""):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as error:
                raise SourceError(where, f"is not valid {shown} ({error.reason} at byte {offset + error.start})") from error
            offset += len(block)
            clean = text.translate(_STRIP_CONTROLS)
            stripped += len(text) - len(clean)
            out.write(clean)
        try:
            out.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as error:
            raise SourceError(where, f"is not valid {shown}: it ends inside a character") from error
    return stripped


def _encoding_of(found: Scan, declared: str, where: str) -> str:
    if found.head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if found.head.startswith(UTF16_BOMS):
        return "utf-16"
    if declared.lower().replace("_", "-") in ("utf-16", "utf16"):
        raise SourceError(where, "is UTF-16 without a byte-order mark; save it as UTF-8 or as UTF-16 with a BOM")
    if found.nuls and _looks_utf16(found.head):
        raise SourceError(where, "looks like UTF-16 without a byte-order mark (a NUL in every other byte); "
                                 "save it as UTF-8 or as UTF-16 with a BOM")
    return declared


@contextmanager
def prepare(path: Path, where: str, limits: Limits | None = None, *, encoding: str = "utf-8",
            delimiter: str = ",") -> Iterator[ReadyFile]:
    """Check one text CSV and yield it ready for DuckDB as UTF-8; raises SourceError naming `where`."""
    limits = limits or current_limits()
    found = scan(path, where, limits, delimiter)
    if not found.head.strip() or found.head.strip() in (codecs.BOM_UTF8, *UTF16_BOMS):
        raise SourceError(where, "file is empty")
    given = _encoding_of(found, encoding, where)
    plain_utf8 = given in ("utf-8", "utf-8-sig")
    if plain_utf8 and found.controls > BINARY_SHARE * found.size:
        raise SourceError(where, f"is binary, not CSV text ({found.controls} control bytes in {found.size})")
    sha = found.sha256
    if plain_utf8 and not found.controls:
        endings = _line_endings(found, where)
        _refuse_extra_fields(path, found, delimiter, where)
        yield _ready(path, found, sha, given, endings, 0, where, limits)
        return
    with scratch_file(".csv") as normalised:
        stripped = _normalise(path, where, "utf-8-sig" if plain_utf8 else given, normalised)
        faults.point("prepare:normalised")
        clean = scan(normalised, where, limits, delimiter)
        endings = _line_endings(clean, where)
        _refuse_extra_fields(normalised, clean, delimiter, where)
        yield _ready(normalised, clean, sha, given, endings, stripped, where, limits)


def _refuse_extra_fields(path: Path, found: Scan, delimiter: str, where: str) -> None:
    """DuckDB silently drops empty fields past the last column, even in strict mode: a row with an unquoted
    delimiter inside a field and an empty last field (Context, nearly always empty) would load shifted.

    Without quotes (every published file) each line is a record, so counting delimiters is exact: no more than
    the header's fields allow on every line. With quotes, the csv module reads the file once to find the row."""
    first_line = re.split(rb"\r|\n", found.head, maxsplit=1)[0].decode("utf-8-sig", errors="replace")
    fields = len(next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [""]))
    if found.quotes == 0:
        records = (found.lf or found.cr) + (0 if found.last in (b"\n", b"\r") else 1)
        allowed = (fields - 1) * records
        if found.delimiters > allowed:
            raise SourceError(where, f"some rows have more fields than the header's {fields} ({found.delimiters:,} "
                                     f"delimiters where {allowed:,} fit): an unquoted {delimiter!r} inside a field?")
        return
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            for row in reader:
                if len(row) > fields:
                    raise SourceError(where, f"line {reader.line_num} has {len(row)} fields, more than the header's {fields}")
        except csv.Error as error:
            raise SourceError(where, f"cannot be read as CSV at line {reader.line_num} ({error})") from error


def _ready(path: Path, found: Scan, sha: str, encoding: str, endings: str, stripped: int, where: str,
           limits: Limits) -> ReadyFile:
    lines = (found.lf or found.cr) + (0 if found.last in (b"\n", b"\r") else 1)
    if lines - 1 > limits.max_rows:
        raise SourceError(where, f"has {lines - 1:,} lines after the header, over the cap of {limits.max_rows:,} (TASKING_MAX_ROWS)")
    notes = []
    if encoding == "utf-16":
        notes.append("decoded from UTF-16")
    if stripped:
        notes.append(f"{stripped} control character{'s' if stripped != 1 else ''} stripped")
    return ReadyFile(path=path, sha256=sha, size=found.size, lines=lines, encoding=encoding, line_endings=endings,
                     stripped=stripped, notes=notes)


# --- archives --------------------------------------------------------------------------------------------------

def is_symlink_member(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


@contextmanager
def extract_member(archive: Path, member: str, where: str, limits: Limits | None = None) -> Iterator[Path]:
    """Copy one archive member to a scratch file under the caps; the file is deleted when the block ends."""
    limits = limits or current_limits()
    with scratch_file(".csv") as target:
        try:
            with open_regular(archive, str(archive)) as raw, zipfile.ZipFile(raw) as opened:
                info = opened.getinfo(member)
                if is_symlink_member(info):
                    raise SourceError(where, "is a symbolic link inside the archive; refused")
                if info.file_size > limits.max_bytes:
                    raise SourceError(where, f"expands to {info.file_size:,} bytes, over the cap of "
                                             f"{limits.max_bytes // MIB} MiB (TASKING_MAX_FILE_MB)")
                compressed = max(info.compress_size, 1)
                written = 0
                with opened.open(info) as source, open(target, "wb") as out:
                    for block in iter(lambda: source.read(BLOCK), b""):
                        written += len(block)
                        if written > limits.max_bytes:
                            raise SourceError(where, f"expands past the cap of {limits.max_bytes // MIB} MiB (TASKING_MAX_FILE_MB)")
                        if written > RATIO_GRACE_BYTES and written / compressed > limits.max_ratio:
                            raise SourceError(where, f"expands more than {limits.max_ratio:g} times its compressed size "
                                                     f"({compressed:,} bytes); refused as a possible zip bomb (TASKING_MAX_RATIO)")
                        out.write(block)
                        faults.point("extract:block")
        except SourceError:
            raise
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, RuntimeError, NotImplementedError) as error:
            raise SourceError(where, f"cannot extract from the archive ({error})") from error
        yield target


def short_error(error: BaseException) -> str:
    """DuckDB's CSV errors run to twenty lines of advice; keep the lines that say what and where."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    keep = [lines[0]]
    keep += [line for line in lines[1:] if line.startswith(("Original Line", "Error when", "Expected Number", "Invalid unicode"))][:2]
    return " | ".join(line if len(line) <= 240 else line[:240] + "..." for line in keep)
