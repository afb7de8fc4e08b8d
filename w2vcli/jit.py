"""Numba's ``njit``, set up once for every compiled module of w2v.

Numba keeps compiled machine code on disk (``cache=True``) beside the package, or else in
the user's cache directory; where neither can be written (a read-only install and a
read-only ``$HOME``), it raises "cannot cache function ... no locator available" at import.
Here the cache then moves to a private folder in the temp directory, with a note on stderr,
and where even that cannot be written the code is compiled on every run instead.
"""

import os
import sys
import tempfile

import numba

_cache_usable: bool | None = None


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def _numba_can_cache() -> bool:
    """Whether one of Numba's own cache locations is writable for this package."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return _writable(os.environ["NUMBA_CACHE_DIR"])
    try:
        from numba.core.caching import InTreeCacheLocator, UserWideCacheLocator
    except ImportError:  # another Numba layout: trust it
        return True
    return any(locator.from_function(_writable, __file__) is not None
               for locator in (InTreeCacheLocator, UserWideCacheLocator))


def cache_usable() -> bool:
    """Decide once per process where Numba caches; False: compile without a cache."""
    global _cache_usable
    if _cache_usable is None:
        _cache_usable = _numba_can_cache()
        if not _cache_usable:
            fallback = os.path.join(tempfile.gettempdir(), f"w2v-numba-cache-{os.getuid()}")
            _cache_usable = _writable(fallback)
            if _cache_usable:
                os.environ["NUMBA_CACHE_DIR"] = fallback
                numba.config.reload_config()
                _note(f"Numba's cache beside the package and in $HOME is not writable: using {fallback}")
            else:
                _note("no writable folder for Numba's cache: the kernels compile on every run (~10 s)")
    return _cache_usable


def _note(message: str) -> None:
    try:
        if sys.stderr is not None:
            sys.stderr.write(f"w2v: note: {message}\n")
    except (OSError, ValueError):
        pass


def njit(*args, **options):
    """numba.njit, with ``cache=True`` only where a cache can be written."""
    if options.get("cache"):
        options["cache"] = cache_usable()
    return numba.njit(*args, **options)
