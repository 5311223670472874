"""Damaged versions of real files: each one reads or is refused with a code, and none
crashes the interpreter or lets another exception escape (checked in a child process)."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

from isolation import read_in_child
from reader_files import csv_bytes, xls_bytes, xlsx_bytes


def mutated(data: bytes, rng: random.Random) -> bytes:
    """``data`` with a few bytes overwritten, deleted, inserted, or the end cut off."""
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        position = rng.randrange(len(damaged))
        choice = rng.random()
        if choice < 0.5:
            damaged[position] = rng.randrange(256)
        elif choice < 0.7:
            del damaged[position:position + rng.randint(1, 40)]
        elif choice < 0.9:
            damaged[position:position] = rng.randbytes(rng.randint(1, 16))
        else:
            del damaged[position:]
        if not damaged:
            damaged = bytearray(b"x")
    return bytes(damaged)


def mutated_inside(archive: bytes, rng: random.Random) -> bytes:
    """A valid zip archive whose parts are damaged, so that the parsers behind it are reached."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            damage = bool(content) and rng.random() < 0.5
            target.writestr(info.filename, mutated(content, rng) if damage else content)
    return buffer.getvalue()


def test_damaged_files_read_or_are_refused_with_a_code(tmp_path: Path, corpus_dir: Path) -> None:
    rng = random.Random(20240301)
    seeds = {
        "xlsx": xlsx_bytes({"S": [["Nom", "Ville", "CP"], ["Acme", "Paris", 75001.0],
                                  ["Globex", None, 69002]]}),
        "xls": xls_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"]], "T": [["x"]]}),
        "csv": csv_bytes([["Nom", "Ville"], ["Acme", 'Pa"ris'], ["G;lobex", "Lyon\nCedex"]]),
        "xlsb": (corpus_dir / "date.xlsb").read_bytes(),
        "ods": (corpus_dir / "date.ods").read_bytes(),
    }
    paths = []
    for index in range(150):
        kind = rng.choice(sorted(seeds))
        data = seeds[kind]
        damaged = mutated_inside(data, rng) if kind in ("xlsx", "xlsb", "ods") and rng.random() < 0.6 \
            else mutated(data, rng)
        path = tmp_path / f"{index:03d}.{kind}"
        path.write_bytes(damaged)
        paths.append(path)

    outcome = read_in_child(paths, per_file_seconds=30)

    assert len(outcome.codes) == len(paths)
    assert set(outcome.codes.values()) - {None} <= {
        "file.corrupt", "file.empty", "file.unsupported_format", "file.too_large", "file.encoding",
        "file.password_protected", "file.sheet_not_found", "header.title_row", "file.numbers_unsupported"}
