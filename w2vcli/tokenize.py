"""Raw text -> tokens: words as people write them ("Bank," "bank." "BANK" -> bank).

The rules, in the order they apply to each block of whole lines:

- Input is UTF-8. A byte-order mark at the start of a file is dropped; a file that starts
  with a UTF-16 one is refused. Bytes that are not UTF-8 become U+FFFD and count in
  ``TokenizeStats.replaced_bytes``; U+FFFD is never a token (it splits a word, as
  punctuation would).
- Text is NFKC-normalised (full-width letters, ligatures, superscripts become plain ones),
  curly apostrophes become ``'``, invisible characters that join rather than separate (soft
  hyphen, zero-width joiners, variation selectors) are removed, then case-folded with
  ``str.casefold`` (straße -> strasse; ``keep_case`` keeps the case).
- URLs (``scheme://...``, ``www....``) become the token ``<url>``, e-mail addresses
  ``<email>`` (``<`` and ``>`` are punctuation, so no word can be either).
- Words are runs of letters, marks and digits (Unicode categories L, M, N). An apostrophe,
  hyphen or underscore between two word characters stays inside the word ("don't",
  "state-of-the-art", "new_york"), and so does a ``.`` or ``,`` between two digits ("3.14",
  "1,000"); anywhere else they are punctuation.
- Punctuation and symbols (categories P and S, emoji included) are dropped, or with
  ``punct="keep"`` each mark is a token of its own. Spaces, control and invisible characters
  are never tokens.
- ``numbers="zero"`` turns every digit into 0 (1984 -> 0000, mp3 -> mp0: one token per
  digit pattern); ``numbers="drop"`` drops the tokens that are all digits and separators
  (1984, 3.14, 2002-08-21) and keeps the ones with letters (mp3, 2nd).
- Only ``\\n`` ends a line (``\\r`` of CRLF files is dropped with the other spaces): one output
  line per input line, blank lines kept (blank), so line numbers still match; a last line
  without ``\\n`` gets one. In token lists each line end is ``</s>`` (corpus.EOS), as in
  ``corpus.iter_tokens``.
- Chinese and Japanese are written without spaces: ``segment="chars"`` makes every Han,
  Hiragana and Katakana character a token of its own; ``segment="jieba"`` splits runs of Han
  characters into words with jieba (``pip install 'w2vcli[zh]'``); ``segment="none"`` leaves
  such a run one token, up to the next punctuation or space.

Streams are read in blocks of ``BLOCK_BYTES`` that end at a line end; a line longer than a
block is cut at its last space or tab (a token boundary, so nothing changes), and only a
block-long run with no ASCII space at all is cut between two characters.

The API, for the CLI and for training:

    options = TokenizeOptions(keep_case=False, punct="drop", numbers="keep", segment="none")
    iter_tokens(stream, options, stats=None) -> Iterator[list[bytes]]
        # the shape of corpus.iter_tokens: a token list per block, b"</s>" for each line end,
        # so vocab.encode(iter_tokens(stream, options)) counts and encodes raw text directly
    tokenize_stream(stream, out, options, stats=None, on_block=None) -> TokenizeStats
        # the stream filter: UTF-8 bytes in, one line of space-separated tokens per line out
    tokenize_text("Don't panic!", options) -> ["don't", "panic"]
"""

import functools
import itertools
import logging
import lzma
import re
import unicodedata
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

import numpy as np

from . import corpus
from .errors import UsageError, W2VError

BLOCK_BYTES = corpus.BLOCK_BYTES
URL_TOKEN, EMAIL_TOKEN = "<url>", "<email>"
_URL_MARK, _EMAIL_MARK = "\x01", "\x02"  # stand-ins for the placeholders between the passes (ASCII: text
_MARKS = _URL_MARK + _EMAIL_MARK           # that was ASCII stays ASCII); the input's own are blanks

_BOM = b"\xef\xbb\xbf"
_ASTRAL_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")  # UTF-8 of U+10000 and above starts so
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_HAN = "\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_KANA = "\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff"
_JOINERS = "-'_.,"  # kept inside a word (- ' _) or a number (. ,), punctuation elsewhere

# after NFKC: invisible characters that join or decorate rather than separate are removed (soft
# hyphen, zero-width (non-)joiner, word joiner, BOM, the text/emoji variation selectors), so words
# stay whole and emoji sequences fall apart into their emoji; curly apostrophes become ' and the
# hyphen U+2010 (NFKC's U+2011 too) -. (The other variation selectors, for CJK and maths, are
# marks and stay with their character.)
_INVISIBLE = "\u00ad\u200c\u200d\u2060\ufeff\ufe0e\ufe0f"
_REPLACE = (("\u2019", "'"), ("\u2018", "'"), ("\u2010", "-"))


@dataclass(frozen=True)
class TokenizeOptions:
    """How to tokenise (the module docstring says what each option does); bad values raise UsageError."""

    keep_case: bool = False
    punct: str = "drop"  # drop | keep: each punctuation mark a token
    numbers: str = "keep"  # keep | zero: every digit 0 | drop: tokens without letters
    segment: str = "none"  # none | chars: one token per Han/kana character | jieba: Chinese words

    def __post_init__(self):
        for name, choices in (("punct", ("drop", "keep")), ("numbers", ("keep", "zero", "drop")),
                              ("segment", ("none", "chars", "jieba"))):
            if getattr(self, name) not in choices:
                raise UsageError(f"{name} must be one of {', '.join(choices)}, not {getattr(self, name)!r}")
        if self.segment == "jieba":
            _jieba()  # fail now, before any input is read


@dataclass
class TokenizeStats:
    """What a run read and wrote; the functions that take one add to it as they go."""

    bytes_read: int = 0  # input bytes, before decoding
    lines: int = 0
    tokens: int = 0  # not counting line ends
    replaced_bytes: int = 0  # bytes that were not UTF-8


def _jieba():
    try:
        import jieba
    except ImportError:
        raise W2VError("segment 'jieba' needs the jieba package: pip install 'w2vcli[zh]'") from None
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on stderr
    return jieba


_GROUPS = {"L": "word", "M": "word", "N": "word", "Z": "blank", "Cc": "blank", "Cf": "blank", "Cs": "blank",
           "Co": "blank"}  # by category, else by its first letter; the rest (P, S, Cn) is punctuation
_SPECIAL_GROUPS = {"\ufffd": "blank", " ": "", "\n": "", _URL_MARK: "", _EMAIL_MARK: ""}  # "": the patterns say


@functools.cache
def _unicode_classes() -> dict[str, str]:
    """Regex class bodies from this Python's Unicode database, one pass over the code points (~0.3 s,
    the first time only). Word characters are L, M and N; blanks, never tokens, are separators,
    controls, format, surrogate and private-use characters and U+FFFD (not space and newline: the
    patterns name those); the rest (P, S, unassigned) is punctuation. Characters beyond U+FFFF
    get their own classes and pass: in a class, re finds a BMP character in a bitmap but tries
    the astral ranges one by one."""
    categories = list(map(unicodedata.category, map(chr, range(0x110000))))
    groups = [_GROUPS.get(cat, _GROUPS.get(cat[0], "punct")) for cat in categories]
    for c, group in _SPECIAL_GROUPS.items():
        groups[ord(c)] = group

    def runs(of: list[str]) -> list[tuple[str, int, int]]:
        """(entry, first, last code point) of each run of equal entries."""
        out, start = [], 0
        for key, run in itertools.groupby(of):
            end = start + sum(1 for _ in run)
            out.append((key, start, end - 1))
            start = end
        return out

    group_runs, category_runs = runs(groups), runs(categories)

    def body(of: list[tuple[str, int, int]], wanted: set[str], lo: int, hi: int) -> str:
        """The class body of the code points lo..hi whose entry is wanted."""
        ranges = ((max(a, lo), min(b, hi)) for key, a, b in of if key in wanted)
        return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges if a <= b)

    return {"word": body(group_runs, {"word"}, 0, 0xFFFF) + "\U00010000-\U0010ffff",  # astral: sorted out before
            "blank": body(group_runs, {"blank"}, 0, 0xFFFF),
            "nonascii_drop": body(group_runs, {"punct", "blank"}, 0x80, 0xFFFF),
            "nonascii_digit": body(category_runs, {"Nd"}, 0x80, 0xFFFF),
            "astral_punct": body(group_runs, {"punct"}, 0x10000, 0x10FFFF),
            "astral_blank": body(group_runs, {"blank"}, 0x10000, 0x10FFFF),
            "astral_digit": body(category_runs, {"Nd"}, 0x10000, 0x10FFFF)}


_URL_END = r"[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}]"  # not a space, quote or bracket; not a sentence's last stop


@functools.cache
def _patterns() -> dict[str, re.Pattern]:
    c = _unicode_classes()
    word, blank = c["word"], c["blank"]
    joiner = re.escape(_JOINERS)
    stray = rf"(?<![{word}].)|(?![{word}])|(?<=[.,])(?:(?<!\d.)|(?!\d))"
    p = {
        # a joiner not between two word characters, or a . , not between two digits; or a run of
        # joiners (---- and ____ lines are common in mail)
        "stray": rf"[{joiner}](?:[{joiner}]+|{stray})",
        # one character at a time: re scans for a one-character class 2-4x faster than for a run;
        # but punctuation to keep comes in runs, each spaced out by one call
        "nonascii_drop": rf"[{c['nonascii_drop']}]",  # ASCII punctuation goes in _finish
        "punct": rf"[^{word}{blank}{joiner}{re.escape(_MARKS)}\n ]+",
        "blank": rf"[{blank}]",
        # beyond U+FFFF: found by one range (fast), then told apart
        "astral_punct": rf"[\U00010000-\U0010ffff](?<=[{c['astral_punct']}])",
        "astral_blank": rf"[\U00010000-\U0010ffff](?<=[{c['astral_blank']}])",
        "url_rest": rf"://{_URL_END}",
        "www.": rf"www\.{_URL_END}",  # starts with a literal: found fast (a (?:www|WWW) would not be)
        "WWW.": rf"WWW\.{_URL_END}",
        "email_domain": r"@[\w-]+(?:\.[\w-]+)+",
        # a whole token of digits and separators: no word character or joiner on either side
        "number": rf"\d(?<![{word}{joiner}]\d)[\d{joiner}]*(?![{word}{joiner}])",
        "nonascii_digit": rf"[{c['nonascii_digit']}]",  # ASCII digits are zeroed in _finish
        "astral_digit": rf"[\U00010000-\U0010ffff](?<=[{c['astral_digit']}])",
        "cjk_run": f"[{_HAN}{_KANA}]+",
        "han_run": f"[{_HAN}]+",
    }
    return {k: re.compile(v) for k, v in p.items()}


def _mark_addresses(text: str, pattern: re.Pattern, head: str, mark: str) -> str:
    """Each match of ``pattern`` with the run of letters, digits and ``head`` characters just before it
    (a URL's scheme, an address's name) becomes `` mark ``; a match with no such run stays. The
    pattern starts at ``://`` or ``@``, a literal that re finds fast: one starting at the scheme or
    the name would be tried at every letter."""
    pieces, last = [], 0
    for m in pattern.finditer(text):
        start = m.start()
        while start > last and (text[start - 1].isalnum() or text[start - 1] in head):
            start -= 1
        if start < m.start():
            pieces += (text[last:start], f" {mark} ")
            last = m.end()
    return "".join(pieces) + text[last:] if pieces else text


@functools.cache
def _byte_table(options: TokenizeOptions) -> bytes:
    """ASCII punctuation and blanks to spaces (unless kept) and ASCII digits to 0 (if zeroed), for one
    bytes.translate (~2 GB/s); other bytes stay."""
    table = bytearray(range(256))
    if options.punct == "drop":
        for c in range(128):
            if not (chr(c).isalnum() or chr(c) in _JOINERS + _MARKS + " \n"):
                table[c] = ord(" ")
    if options.numbers == "zero":
        table[ord("1"):ord("9") + 1] = b"0" * 9
    return bytes(table)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    for old, new in itertools.chain(((c, "") for c in _INVISIBLE), _REPLACE):
        if old in text:  # a scan at several GB/s: most texts have few of these, if any
            text = text.replace(old, new)
    return text


def _spaced(text: str, options: TokenizeOptions, astral: bool = True) -> str:
    """The text with its tokens separated by whitespace and its line ends kept, but for what
    ``_finish`` does to its bytes. ``astral=False`` says no character is beyond U+FFFF."""
    p = _patterns()
    is_ascii = text.isascii()  # O(1); ASCII text is NFKC already
    if not is_ascii:
        text = _normalise(text)
    for mark in _MARKS:
        if mark in text:
            text = text.replace(mark, " ")
    if not options.keep_case:
        text = text.casefold()
    if "://" in text:
        text = _mark_addresses(text, p["url_rest"], "+.-", _URL_MARK)
    for www in ("www.", "WWW."):
        if www in text:
            text = p[www].sub(f" {_URL_MARK} ", text)
    if "@" in text:
        text = _mark_addresses(text, p["email_domain"], "._+-", _EMAIL_MARK)
    keep = options.punct == "keep"
    if astral and not is_ascii:
        text = p["astral_blank"].sub(" ", p["astral_punct"].sub(r" \g<0> " if keep else " ", text))
    text = p["stray"].sub(_one_token_each if keep else " ", text)
    if keep:
        text = p["blank"].sub(" ", p["punct"].sub(_one_token_each, text))
    elif not is_ascii:
        text = p["nonascii_drop"].sub(" ", text)
    if options.numbers == "zero" and not is_ascii:
        text = p["nonascii_digit"].sub("0", text)
        text = p["astral_digit"].sub("0", text) if astral else text
    elif options.numbers == "drop":
        text = p["number"].sub(" ", text)
    if options.segment == "chars":
        text = p["cjk_run"].sub(_one_token_each, text)
    elif options.segment == "jieba":
        jieba = _jieba()
        text = p["han_run"].sub(lambda m: " " + " ".join(jieba.cut(m.group())) + " ", text)
    return text


def _one_token_each(run: re.Match) -> str:
    """Each character of a run a token of its own: one call a run (a template would be one a character)."""
    return " " + " ".join(run.group()) + " "


def _finish(spaced: bytes, options: TokenizeOptions) -> bytes:
    """What is quicker done to bytes: ASCII punctuation dropped and digits zeroed, placeholders written."""
    spaced = spaced.translate(_byte_table(options))
    for mark, token in ((_URL_MARK, URL_TOKEN), (_EMAIL_MARK, EMAIL_TOKEN)):
        if mark.encode() in spaced:
            spaced = spaced.replace(mark.encode(), token.encode())
    return spaced


def _decode(block: bytes, stats: TokenizeStats) -> str:
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        text = block.decode("utf-8", "surrogateescape")  # each bad byte -> one lone surrogate
        text, bad = re.subn("[\udc80-\udcff]", "\ufffd", text)
        stats.replaced_bytes += bad
        return text


def _tokenize_block(block: bytes, options: TokenizeOptions, stats: TokenizeStats) -> bytes:
    """Whole lines of raw UTF-8 -> the same lines as UTF-8 tokens separated by runs of whitespace."""
    astral = any(lead in block for lead in _ASTRAL_LEADS)
    return _finish(_spaced(_decode(block, stats), options, astral).encode(), options)


def tokenize_text(text: str, options: TokenizeOptions = TokenizeOptions()) -> list[str]:
    """The tokens of a string (line ends are spaces here): tokenize_text("Don't panic!") -> ["don't", "panic"]."""
    return _finish(_spaced(text, options).encode(), options).decode().split()


def read_line_blocks(stream: BinaryIO, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """Blocks of whole lines, the stream's first byte-order mark dropped and a missing last line end added.

    A line longer than a block is cut after its last space or tab, or failing that between two
    UTF-8 characters, so memory stays bounded on one-line corpora such as text8.
    """
    carry, first, at_line_start = b"", True, True
    for chunk in _chunks(stream, block_bytes):
        if first:
            if chunk.startswith(_UTF16_BOMS):
                raise W2VError("the input starts with a UTF-16 byte-order mark: convert it to UTF-8 first "
                               "(iconv -f UTF-16 -t UTF-8)")
            chunk, first = chunk.removeprefix(_BOM), False
        block = carry + chunk
        cut = block.rfind(b"\n") + 1 or max(block.rfind(b" "), block.rfind(b"\t")) + 1 or _char_start(block)
        carry = block[cut:]
        if cut:
            at_line_start = block[cut - 1] == ord("\n")
            yield block[:cut]
    if carry or not at_line_start:
        yield carry if carry.endswith(b"\n") else carry + b"\n"


def _chunks(stream: BinaryIO, size: int) -> Iterator[bytes]:
    try:
        while chunk := stream.read(size):
            yield chunk
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
        raise W2VError(f"cannot read input: {e}") from None


def _char_start(block: bytes) -> int:
    """Where the last UTF-8 character of the block starts (0 if only continuation bytes)."""
    for i in range(len(block) - 1, max(len(block) - 5, 0), -1):
        if block[i] & 0xC0 != 0x80:
            return i
    return len(block) if len(block) > 4 else 0


def iter_tokens(stream: BinaryIO, options: TokenizeOptions = TokenizeOptions(), stats: TokenizeStats | None = None,
                block_bytes: int = BLOCK_BYTES) -> Iterator[list[bytes]]:
    """Token lists, one per block, ``</s>`` for each line end: what ``corpus.iter_tokens`` yields for
    whitespace-split text, so ``vocab.encode`` takes raw text through it. The tokens are exactly those
    ``w2v train -`` reads from ``tokenize_stream``'s output (words of 99 bytes or more cut to 98, as word2vec.c)."""
    stats = stats if stats is not None else TokenizeStats()
    for block in read_line_blocks(stream, block_bytes):
        stats.bytes_read += len(block)
        tokens = corpus.tokenize(_tokenize_block(block, options, stats))
        lines = block.count(b"\n")
        stats.lines += lines
        stats.tokens += len(tokens) - lines
        if tokens:
            yield tokens


def tokenize_stream(stream: BinaryIO, out: BinaryIO, options: TokenizeOptions = TokenizeOptions(),
                    stats: TokenizeStats | None = None,
                    on_block: Callable[[TokenizeStats], None] | None = None,
                    block_bytes: int = BLOCK_BYTES) -> TokenizeStats:
    """Write each line's tokens to ``out``, separated by single spaces, one line per input line."""
    stats = stats if stats is not None else TokenizeStats()
    mid_line = False  # the last block ended inside a line, after a token
    for block in read_line_blocks(stream, block_bytes):
        stats.bytes_read += len(block)
        text = _single_spaced(_tokenize_block(block, options, stats))
        stats.lines += block.count(b"\n")
        stats.tokens += _count_tokens(text)
        if text:
            _write_all(out, b" " + text if mid_line and not text.startswith(b"\n") else text)
            mid_line = not text.endswith(b"\n")
        if on_block is not None:
            on_block(stats)
    return stats


def _single_spaced(spaced: bytes) -> bytes:
    """Tokens separated by one space, and no space at either end of a line (or of the block)."""
    return _SPACES.sub(b" ", spaced).replace(b" \n", b"\n").replace(b"\n ", b"\n").strip(b" ")


_SPACES = re.compile(b"  +")  # starts with a literal: re finds it fast


def _count_tokens(text: bytes) -> int:
    """Runs of bytes other than space and newline, counted by NumPy (a split would make every token)."""
    gap = np.frombuffer(text, np.uint8) <= ord(" ")  # the only bytes <= 32 left are space and newline
    return int(np.count_nonzero(gap[:-1] & ~gap[1:])) + int(len(text) > 0 and not gap[0])


def _write_all(out: BinaryIO, data: bytes) -> None:
    """A pipe's write can return early, interrupted by a signal (SIGPIPE when the reader leaves): go on
    with the rest, so the bytes are all written or the error (BrokenPipeError) is raised."""
    view = memoryview(data)
    while view:
        view = view[out.write(view):]
