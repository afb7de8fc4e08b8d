"""Words are raw bytes; this is how they become Python strings and how they are shown.

- In Python a word is a ``str`` decoded from UTF-8 with ``surrogateescape``: any byte that is
  not valid UTF-8 becomes a lone surrogate, so every word, in any encoding, goes back to its
  exact bytes (``encode_word``). Vector files, vocabularies, classes and corpora are always
  written as those raw bytes.
- Shown in TSV or any plain text output (``shown``): UTF-8, whatever the locale, with each byte
  that is not valid UTF-8 written ``\\xHH``, control characters likewise (a tab or newline
  inside a word would break the columns), and a backslash written ``\\\\``. ``unescape`` turns
  that back into the word, so a word copied from the output finds the word again.
- Shown in JSON (``json_word``): the word with each invalid byte replaced by U+FFFD, so the
  output is always valid UTF-8 JSON; where that lost bytes, the object also carries the
  ``shown`` form (key ``escaped``), from which the raw bytes are recovered.
- Queries (stdin lines) split as the corpus does: on space, tab and newline (and NUL),
  carriage returns dropped; other Unicode spaces (NBSP, U+3000) are part of a word, as they
  are in training and in the file formats.
"""

import re

_SHOWN = {0xDC00 + b: f"\\x{b:02x}" for b in range(0x80, 0x100)}  # surrogateescape's stand-ins
_SHOWN.update({c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F]})
_SHOWN[ord("\\")] = "\\\\"
_ESCAPE = re.compile(r"\\(\\|x[0-9a-fA-F]{2})")
_QUERY_SEPARATORS = bytes.maketrans(b"\t\x00\n", b"   ")


def decode_word(word: bytes) -> str:
    # surrogateescape keeps any byte sequence, so words written back are byte-identical
    return word.decode("utf-8", "surrogateescape")


def encode_word(word: str) -> bytes:
    return word.encode("utf-8", "surrogateescape")


def _plain(word: str) -> bool:
    return word.isascii() and word.isprintable() and "\\" not in word


def shown(word: str) -> str:
    """The word for plain text output: UTF-8 with \\xHH for bytes that are not, and \\\\."""
    if _plain(word):
        return word
    return word.translate(_SHOWN)


def unescape(text: str) -> str:
    """The word whose ``shown`` form is text."""
    def one(m):
        code = m.group(1)
        return "\\" if code == "\\" else decode_word(bytes([int(code[1:], 16)]))

    return _ESCAPE.sub(one, text)


def valid_utf8(word: str) -> bool:
    return not any(0xDC80 <= ord(c) <= 0xDCFF for c in word) if not word.isascii() else True


def json_text(word: str) -> str:
    """The word as valid Unicode: each byte that is not UTF-8 becomes U+FFFD."""
    return word if valid_utf8(word) else encode_word(word).decode("utf-8", "replace")


def json_word(word: str, **fields) -> dict:
    """``{"word": ..., **fields}``, plus ``"escaped"`` where the word is not valid UTF-8."""
    entry = {"word": json_text(word), **fields}
    if not valid_utf8(word):
        entry["escaped"] = shown(word)
    return entry


def split_query(line: bytes) -> list[str]:
    """The words of one query line, split as the corpus is split."""
    return [decode_word(w) for w in line.translate(_QUERY_SEPARATORS, b"\r").split(b" ") if w]
