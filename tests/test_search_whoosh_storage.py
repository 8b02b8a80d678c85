"""Whoosh's index read from its memory map: no part of a segment is copied into memory."""

import pytest
from whoosh.filedb import compound, structfile
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile

from portal.search.services import reindex
from portal.search.whoosh_storage import MappedPart, MappedStorage
from tests.factories import make_item


@pytest.fixture
def copies(monkeypatch) -> list[int]:
    """The sizes of the parts Whoosh copies into memory (a BufferFile holds a BytesIO copy)."""
    made: list[int] = []

    class Counted(BufferFile):
        def __init__(self, buf, name=None, onclose=None):
            made.append(len(buf))
            super().__init__(buf, name=name, onclose=onclose)

    monkeypatch.setattr(structfile, "BufferFile", Counted)
    monkeypatch.setattr(compound, "BufferFile", Counted)
    return made


def test_a_searcher_copies_no_part_of_the_index(app, client, world, monkeypatch, copies):
    from portal.search import whoosh_engine
    from portal.search.services import engine

    monkeypatch.setitem(app.config, "SEARCH_ENGINE", "whoosh")
    make_item("tender", world.utrecht, title="Asfalt met een lage MKI")
    make_item("lesson", world.heumen, title="Circulair asfalt hergebruiken")
    reindex()
    with app.app_context():
        whoosh_engine._LOCAL.__dict__.pop("searchers", None)  # a searcher opened now
        searcher = engine()._searcher()
        assert searcher.doc_count() == 2
    assert client.get("/api/search?q=asfalt").get_json()["total"] == 2
    assert copies == []
    # The same, read the way Whoosh reads it on its own: every part a copy.
    with app.app_context():
        monkeypatch.setattr(whoosh_engine, "MappedStorage", FileStorage)
        whoosh_engine._LOCAL.__dict__.pop("searchers", None)
        assert client.get("/api/search?q=circulair+asfalt").get_json()["total"] == 2
    assert len(copies) >= 3  # postings, terms, stored fields ...


def test_a_mapped_part_reads_as_whoosh_reads_its_copy(tmp_path):
    """Positions, sequential reads (ints, varints, pickles, arrays) and random access of a part,
    against Whoosh's own BufferFile over the same bytes."""
    from array import array

    path = tmp_path / "test.seg"
    with open(path, "wb") as handle:
        written = StructFile(handle)
        written.write(b"HEAD")
        written.write_int(-7)
        written.write_varint(300)
        written.write_pickle((1, "twee", 3.0))
        written.write_array(array("i", [5, 6, 7]))
        written.write(b"tail")
    data = path.read_bytes()
    storage = MappedStorage(str(tmp_path))
    whole = storage.open_file("test.seg")
    assert isinstance(whole, MappedPart)
    for part, copy in (
        (whole.subset(4, len(data) - 4), BufferFile(memoryview(data)[4:])),
        (whole, BufferFile(memoryview(data))),
    ):
        if part is whole:
            part.seek(4)
            copy.seek(4)
        assert part.read_int() == copy.read_int() == -7
        assert part.read_varint() == copy.read_varint() == 300
        assert part.read_pickle() == copy.read_pickle() == (1, "twee", 3.0)
        assert part.tell() == copy.tell()
        assert part.read_array("i", 3) == copy.read_array("i", 3) == array("i", [5, 6, 7])
        assert part.read() == copy.read() == b"tail"
        assert part.read(10) == copy.read(10) == b""
        assert part.seek(-4, 2) == copy.seek(-4, 2) and part.read(2) == copy.read(2) == b"ta"
        assert part.seek(1, 1) == copy.seek(1, 1) and part.read(5) == copy.read(5) == b"l"
        assert part.get(0, 2) == copy.get(0, 2)
        assert part.get_int(len(data) - 8 - (4 if part is whole else 0)) == copy.get_int(
            len(data) - 8 - (4 if part is whole else 0)
        )
        assert part.get(len(data) - 6, 100) == copy.get(len(data) - 6, 100)
    whole.close()
    with pytest.raises(ValueError):
        whole.close()
