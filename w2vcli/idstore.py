"""The encoded corpus, in memory while small and in a temporary file once large.

A corpus larger than memory is counted and encoded in one streaming pass; its int32 ids go
to a file in the temp directory ($TMPDIR) once they pass ``IN_MEMORY_TOKENS`` (64M), and training
reads them through a read-only memory map whose pages the threads release as they go
(``release``), so resident memory stays about the model's matrices plus a few chunks.
"""

import mmap
import tempfile

import numpy as np

IN_MEMORY_TOKENS = 1 << 26  # 64M ids (256 MiB) in memory; more go to a file
READ_TOKENS = 1 << 24  # ids read back at a time when renumbering a spilled corpus


class IdStore:
    """Appendable int32 ids: a list of arrays, then a temp file past ``limit`` ids."""

    def __init__(self, limit: int = IN_MEMORY_TOKENS):
        self.limit = limit
        self.parts: list[np.ndarray] = []
        self.held = 0
        self.file = None  # the spill file, once there is one

    def append(self, ids: np.ndarray) -> None:
        self.parts.append(ids.astype(np.int32, copy=False))
        self.held += len(ids)
        if self.held > self.limit:
            if self.file is None:
                self.file = tempfile.TemporaryFile(prefix="w2v-ids-")
            for part in self.parts:
                part.tofile(self.file)
            self.parts, self.held = [], 0

    def chunks(self):
        """All ids in order, a chunk at a time."""
        if self.file is not None:
            self.file.flush()
            self.file.seek(0)
            while len(chunk := np.fromfile(self.file, dtype=np.int32, count=READ_TOKENS)):
                yield chunk
        yield from self.parts

    def renumbered(self, table: np.ndarray | None = None) -> np.ndarray:
        """The ids mapped through table (None: as they are), those mapped to -1 dropped: an
        array, or a read-only memory map when the corpus was spilled to disk."""
        def mapped(chunk):
            chunk = chunk if table is None else table[chunk]
            return chunk[chunk >= 0].astype(np.int32, copy=False)

        if self.file is None:
            return np.concatenate([mapped(p) for p in self.parts] or [np.empty(0, np.int32)])
        out = tempfile.TemporaryFile(prefix="w2v-ids-")
        for chunk in self.chunks():
            mapped(chunk).tofile(out)
        out.flush()
        self.file.close()
        if out.tell() == 0:
            return np.empty(0, np.int32)
        mapped = mmap.mmap(out.fileno(), 0, access=mmap.ACCESS_READ)
        out.close()  # the mapping keeps the (already unlinked) file alive
        return np.frombuffer(mapped, dtype=np.int32)


def mapped_file(ids: np.ndarray) -> mmap.mmap | None:
    """The file mapping under ids, if it is a view of one."""
    base = ids
    while base is not None and not isinstance(base, mmap.mmap):
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    return base


def release(ids: np.ndarray, start: int, stop: int) -> None:
    """Let the kernel drop the pages of ids[start:stop] from this process's memory, when ids
    is a file mapping (they stay in the page cache, and come back if touched again)."""
    base = mapped_file(ids)
    if base is None or not hasattr(base, "madvise"):
        return
    offset = ids.__array_interface__["data"][0] - np.frombuffer(base, np.uint8).__array_interface__["data"][0]
    page = mmap.PAGESIZE
    first = (offset + 4 * start) // page * page
    last = (offset + 4 * stop) // page * page  # whole pages only: neighbours' pages stay
    if last > first:
        base.madvise(mmap.MADV_DONTNEED, first, last - first)

