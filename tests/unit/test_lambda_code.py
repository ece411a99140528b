"""Lambda's pure parts: function names, code storage and unpacking, layer merging, paging."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.code import CodeStore, archive_file
from cloudlet.services.lambda_.names import FunctionRef, parse_function_name
from cloudlet.services.lambda_.paging import paginate


def zip_of(entries: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            # A zip made on Windows has no Unix mode, only DOS attributes (0x20: archive).
            info.external_attr = mode << 16 if mode else 0x20
            archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fn", FunctionRef("fn")),
        ("fn:live", FunctionRef("fn", "live")),
        ("123456789012:function:fn", FunctionRef("fn", None, "123456789012")),
        (
            "arn:aws:lambda:eu-west-1:123456789012:function:fn:7",
            FunctionRef("fn", "7", "123456789012", "eu-west-1"),
        ),
    ],
)
def test_function_names_in_every_form(text, expected):
    assert parse_function_name(text) == expected


def test_a_qualifier_given_twice_must_agree():
    assert parse_function_name("fn:3", "3").qualifier == "3"
    assert parse_function_name("fn", "3").qualifier == "3"
    with pytest.raises(ServiceError):
        parse_function_name("fn:3", "4")


def test_zips_are_stored_by_content_with_their_modes(tmp_path: Path):
    store = CodeStore(tmp_path)
    package = zip_of([("bootstrap", b"#!/bin/sh\n", 0o100755), ("lib/data.txt", b"x", 0o100600)])
    code = store.store_zip(package)
    directory = Path(store.directory(code))
    assert stat.S_IMODE(os.stat(directory / "bootstrap").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(directory / "lib" / "data.txt").st_mode) == 0o600
    assert code.size == len(package) and code.unzipped == len(b"#!/bin/sh\n") + 1
    assert store.store_zip(package) == code  # the same package, stored once
    assert archive_file(tmp_path.parent, "nope.zip") is None
    assert store.archive(code.digest).read_bytes() == package


def test_zips_without_modes_get_readable_files(tmp_path: Path):
    store = CodeStore(tmp_path)
    code = store.store_zip(zip_of([("app.py", b"x = 1\n", 0)]))
    assert stat.S_IMODE(os.stat(Path(store.directory(code)) / "app.py").st_mode) == 0o644


@pytest.mark.parametrize("name", ["../evil.py", "/abs.py", "a/../../evil.py", "C:/evil.py"])
def test_entries_escaping_the_directory_are_refused(tmp_path: Path, name):
    with pytest.raises(ServiceError) as refused:
        CodeStore(tmp_path).store_zip(zip_of([(name, b"x", 0o100644)]))
    assert refused.value.code == "InvalidParameterValueException"
    assert not list((tmp_path / "code").glob("*")) if (tmp_path / "code").exists() else True


def test_links_are_made_after_files_and_never_written_through(tmp_path: Path):
    store = CodeStore(tmp_path)
    code = store.store_zip(
        zip_of([("target.txt", b"t", 0o100644), ("link", b"target.txt", 0o120777)])
    )
    link = Path(store.directory(code)) / "link"
    assert link.is_symlink() and link.read_text() == "t"
    with pytest.raises(ServiceError):
        store.store_zip(zip_of([("out", b"/tmp", 0o120777), ("out/inner", b"/etc", 0o120777)]))


def test_corrupt_zip_is_refused(tmp_path: Path):
    with pytest.raises(ServiceError) as refused:
        CodeStore(tmp_path).store_zip(b"PK\x03\x04broken")
    assert refused.value.message.startswith("Could not unzip uploaded file.")


def test_layers_merge_in_order(tmp_path: Path):
    store = CodeStore(tmp_path)
    first = store.store_zip(zip_of([("python/a.py", b"1", 0o100644), ("same", b"1", 0o100644)]))
    second = store.store_zip(zip_of([("same", b"2", 0o100644)]))
    merged = Path(store.merged_layers([first, second]) or "")
    assert (merged / "python" / "a.py").read_text() == "1"
    assert (merged / "same").read_text() == "2"
    assert store.merged_layers([]) is None
    store.collect({first.digest})
    assert not Path(store.directory(second)).exists() and Path(store.directory(first)).exists()


def test_paging_walks_every_item_once():
    items = list(range(7))
    seen, marker = [], None
    while True:
        page, marker = paginate(items, marker, 3)
        seen += page
        if marker is None:
            break
    assert seen == items
    with pytest.raises(ServiceError):
        paginate(items, "not-a-marker", 3)
