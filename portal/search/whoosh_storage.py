"""Whoosh's file storage, reading a segment's parts from the memory map without copying them.

Whoosh maps a segment's compound file into memory, then opens each part (postings, terms, stored
fields) as a `BytesIO` *copy* of its slice of the map: on 20,000 items some 60 MB per searcher,
and each worker thread keeps a searcher of its own. Here each part reads from the map itself, with
a position of its own, so the index stays in the page cache, shared by every searcher and process,
and only the pages a search reads are touched.
"""

from __future__ import annotations

import mmap
import os
from pickle import load as load_pickle

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile

COMPOUND_SUFFIX = ".seg"  # a segment's compound file (Whoosh's Segment.COMPOUND_EXT)


class MappedStorage(FileStorage):
    """A FileStorage whose compound files are memory maps handing out parts without a copy.
    Whoosh's own mmap path is off: a compound file then asks its file for each part (`subset`)."""

    supports_mmap = False

    def __init__(self, path: str, readonly: bool = False) -> None:
        super().__init__(path, supports_mmap=False, readonly=readonly)

    def open_file(self, name: str, **kwargs) -> StructFile:
        if not name.endswith(COMPOUND_SUFFIX):
            return super().open_file(name, **kwargs)
        with open(self._fpath(name), "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:  # an empty file cannot be mapped
                return super().open_file(name, **kwargs)
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return MappedPart(mapped, 0, len(mapped), name=name, owner=True, **kwargs)


class MappedPart(StructFile):
    """Bytes start .. start + length of a memory map, read as a file of its own: positions are
    the part's (0 is its first byte). Parts of one file share its map; the whole file's part
    (the owner) closes it. Like every Whoosh file, for one thread at a time."""

    def __init__(
        self,
        mapped: mmap.mmap,
        start: int,
        length: int,
        name: str | None = None,
        onclose=None,
        owner: bool = False,
    ) -> None:
        self.file = self._map = mapped
        self._start = start
        self._end = start + length
        self._position = 0
        self._owner = owner
        self._name = name
        self.onclose = onclose
        self.is_real = False  # read_array reads through read(), not from a file descriptor
        self.is_closed = False

    def read(self, size: int | None = -1) -> bytes:
        start = self._start + self._position
        stop = self._end if size is None or size < 0 else min(self._end, start + size)
        if stop <= start:
            return b""
        self._position = stop - self._start
        return self._map[start:stop]

    def read_pickle(self):
        self._map.seek(self._start + self._position)
        found = load_pickle(self._map)  # noqa: S301 (the index's own file, as Whoosh reads it)
        self._position = self._map.tell() - self._start
        return found

    def seek(self, position: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            position += self._position
        elif whence == os.SEEK_END:
            position += self._end - self._start
        self._position = position
        return position

    def tell(self) -> int:
        return self._position

    def get(self, position: int, length: int) -> bytes:
        start = self._start + position
        return self._map[start : min(self._end, start + length)]

    get_array = BufferFile.get_array  # through get(), as Whoosh's own parts

    def subset(self, position: int, length: int, name: str | None = None) -> StructFile:
        return MappedPart(self._map, self._start + position, length, name=name or self._name)

    def close(self) -> None:
        if self.is_closed:
            raise ValueError(f"{self._name} is already closed")
        self.is_closed = True
        if self.onclose:
            self.onclose(self)
        if self._owner:
            self._map.close()
