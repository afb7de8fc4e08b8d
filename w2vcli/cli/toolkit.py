"""The rest of the toolkit: convert, phrases, classes, export, plot, senses, tokenize."""

import os
import sys
import time
from stat import S_ISREG

import click
import numpy as np

from ..atomic import atomic_open, check_writable, refuse_same_files, uncompressed_name
from ..errors import UsageError, W2VError
from ..formats import VectorReader, VectorWriter
from ..words import encode_word, json_text, json_word, shown
from .common import (
    Command,
    _binary_output,
    _load,
    _model_path,
    _say,
    _stdout,
    _write_errors,
    out,
    out_bytes,
    out_json,
    query_options,
    stderr_is_terminal,
    write_stderr,
)


@click.command(cls=Command)
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["auto", "binary", "text"]), default="auto", show_default=True,
              help="Output format; auto: binary for *.bin, text otherwise.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Keep only the first N words.")
@click.option("--normalize", is_flag=True, help="Scale every vector to length 1.")
def convert(source, target, fmt, limit, normalize):
    """Rewrite a vector file as word2vec text or binary (reads text, binary and GloVe files,
    also .gz/.bz2/.xz), a block at a time: any size, in little memory.

    \b
      w2v convert vecs.bin vecs.txt
      w2v convert glove.6B.100d.txt glove.bin --limit 100000 --normalize
    """
    refuse_same_files({"TARGET": target}, {"SOURCE": source})
    check_writable(target)
    with VectorReader(source) as reader:
        rows = reader.rows_to_write(limit)
        if rows is None:  # a pipe without a header: the rows must be counted before the header is written
            parts = [reader.read_all(limit=limit)]
            rows = len(parts[0][0])
        else:
            parts = reader.blocks(limit=limit)
        with VectorWriter(target, rows, reader.dim, _binary_output(target, fmt)) as writer:
            for words, block in parts:
                if normalize:
                    norms = np.sqrt(np.einsum("ij,ij->i", block, block))[:, None]
                    block = block / np.where(norms > 0, norms, 1)
                writer.write(words, block)


@click.command(cls=Command)
@click.argument("corpus", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The corpus with phrases joined.")
@click.option("--threshold", type=click.FloatRange(min=0, min_open=True), default=100.0, show_default=True,
              help="Higher means fewer phrases (word2phrase.c -threshold).")
@click.option("--min-count", type=click.IntRange(1), default=5, show_default=True,
              help="Words and pairs rarer than this never join.")
@click.option("--passes", type=click.IntRange(1, 10), default=1, show_default=True,
              help="Each pass can join phrases again: 2 passes give up to 4-word phrases.")
@click.option("--joiner", default="_", show_default=True, help="What joins the words of a phrase.")
@click.option("-q", "--quiet", is_flag=True, help="No counts on stderr.")
def phrases(corpus, output, threshold, min_count, passes, joiner, quiet):
    """Join frequent word pairs into phrases (new york -> new_york), like word2phrase.c,
    whose output it reproduces byte for byte (the exceptions: README); the result trains
    with `w2v train`.

    \b
      w2v phrases corpus.txt -o phrased.txt --passes 2
      w2v phrases corpus.txt -o p.txt && w2v train p.txt -o vecs.bin && w2v nearest new_york -m vecs.bin
    """
    from ..phrases import phrases as run_phrases

    def report(p, counts, joined):
        distinct = len(counts.index) - 1  # </s> aside
        _say(quiet, f"pass {p}: {counts.total:,} words, {distinct:,} distinct, {joined:,} pairs joined")

    refuse_same_files({"-o": output}, {"CORPUS": corpus})
    check_writable(output)
    if not joiner or any(c.isspace() for c in joiner):
        raise UsageError("--joiner must be non-empty and hold no whitespace")
    run_phrases(corpus, output, threshold, min_count, passes, encode_word(joiner), report)


@click.command(cls=Command)
@query_options
@click.option("-k", "--classes", "k", type=click.IntRange(1), required=True, help="Number of classes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="Where to write 'word class' lines.")
def classes(model, as_json, no_cache, k, output):
    """Word classes by k-means on the vectors, as word2vec.c's -classes (10 iterations).

    \b
      w2v classes -m vecs.bin -k 500 -o classes.txt
      w2v classes -m vecs.bin -k 50 | awk '$2 == 7'
    """
    from ..classes import kmeans_classes, write_classes

    if output != "-":
        refuse_same_files({"-o": output}, {"-m": _model_path(model)})
        check_writable(output)
    vectors = _load(model, no_cache)
    result = kmeans_classes(vectors.vectors, k)
    if as_json:
        groups = {}
        for w, c in zip(vectors.words, result.tolist()):
            groups.setdefault(c, []).append(json_text(w))
        lines = [{"class": c, "words": ws} for c, ws in sorted(groups.items())]
        if output == "-":
            for line in lines:
                out_json(line)
        else:
            import json

            with atomic_open(output) as f:
                f.write("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode())
    elif output == "-":  # word2vec.c's 'word class' lines: the words' raw bytes, as in a file
        out_bytes(b"".join(b"%s %d\n" % (encode_word(w), c) for w, c in zip(vectors.words, result.tolist())))
    else:
        write_classes(output, [encode_word(w) for w in vectors.words], result)


@click.command(cls=Command)
@query_options
@click.option("--vocab", "vocab_path", required=True, type=click.Path(dir_okay=False),
              help="The model's vocabulary: one token per line, in the model's order.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Where to write the matrix.")
@click.option("--oov", type=click.Choice(["random", "zeros", "mean"]), default="random", show_default=True,
              help="Rows for tokens without a vector.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True, help="Seed for --oov random.")
@click.option("--format", "fmt", type=click.Choice(["auto", "npy", "npz", "txt"]), default="auto", show_default=True,
              help="auto: by the output's extension (.npy, .npz, else txt).")
def export(model, as_json, no_cache, vocab_path, output, oov, seed, fmt):
    """The embedding matrix for a downstream model's own vocabulary: row i is the vector of
    the model's token i (exact match, else lower-cased, else --oov), ready to initialise its
    embedding layer, frozen or fine-tuned.

    \b
      w2v export -m vecs.bin --vocab model_vocab.txt -o emb.npy
      w2v export -m vecs.bin --vocab tokens.txt -o emb.npz --oov zeros
    """
    from ..export import align, read_tokens, save_matrix

    if fmt == "auto":
        fmt = {".npy": "npy", ".npz": "npz"}.get(os.path.splitext(uncompressed_name(output))[1], "txt")
    refuse_same_files({"-o": output}, {"-m": _model_path(model), "--vocab": vocab_path})
    check_writable(output)
    tokens = read_tokens(vocab_path)
    result = align(_load(model, no_cache), tokens, oov, seed)
    save_matrix(output, result.matrix, tokens, fmt)
    summary = {"tokens": len(tokens), "found": result.found, "case_folded": result.folded,
               "missing": len(result.missing), "oov_rows": oov, "shape": list(result.matrix.shape)}
    if as_json:
        out_json({**summary, "missing_examples": [json_text(w) for w in result.missing[:20]]})
    else:
        examples = f" (e.g. {', '.join(map(shown, result.missing[:5]))})" if result.missing else ""
        _say(False, f"{len(tokens):,} tokens: {result.found:,} found, {result.folded:,} found lower-cased, "
                    f"{len(result.missing):,} missing{examples}, filled with {oov}; wrote {output} "
                    f"{result.matrix.shape[0]} x {result.matrix.shape[1]}")


@click.command(cls=Command)
@click.argument("words", nargs=-1, required=True)
@query_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="map.svg, or map.png / map.pdf (these need matplotlib).")
@click.option("--neighbours", type=click.IntRange(0, 50), default=0, show_default=True,
              help="Also draw each word's N nearest neighbours.")
@click.option("--method", type=click.Choice(["pca"]), default="pca", show_default=True, help="Projection to 2-D.")
def plot(words, model, as_json, no_cache, output, neighbours, method):
    """Draw WORDS (and their neighbours) in 2-D by PCA of their vectors: a standalone SVG, or a
    PNG or PDF with matplotlib (the format by the suffix of -o).

    \b
      w2v plot king queen man woman paris france -m vecs.bin -o map.svg
      w2v plot bank river money -m vecs.bin -o bank.svg --neighbours 5
    """
    from ..plot import FORMATS, pca_2d, to_svg, write_figure

    kind = os.path.splitext(output)[1].lower().lstrip(".")
    if kind not in FORMATS:
        raise UsageError(f"-o {output}: the map is written as {', '.join('.' + f for f in FORMATS)} "
                         f"(by the suffix), not .{kind or '(none)'}")
    refuse_same_files({"-o": output}, {"-m": _model_path(model)})
    check_writable(output)
    vectors = _load(model, no_cache)
    labels, is_query = [], []
    for w in words:
        vectors.id(w)
        if w not in labels:
            labels.append(w)
            is_query.append(True)
    for w in words:
        for n, _ in vectors.nearest(w, neighbours) if neighbours else []:
            if n not in labels:
                labels.append(n)
                is_query.append(False)
    coords = pca_2d(vectors.vectors[[vectors.id(w) for w in labels]])
    if kind == "svg":
        with atomic_open(output) as f:
            f.write(to_svg(coords, labels, is_query, title=f"PCA of {len(labels)} words").encode())
    else:
        write_figure(output, kind, coords, labels, is_query)
    if as_json:
        out_json([json_word(w, x=round(float(x), 6), y=round(float(y), 6), query=q)
                  for w, (x, y), q in zip(labels, coords, is_query)])


@click.command(cls=Command)
@click.argument("word", required=False)
@query_options
@click.option("--corpus", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="The text to find the word's occurrences in (usually the training corpus).")
@click.option("--max-senses", type=click.IntRange(2, 20), default=5, show_default=True, help="Most senses to try.")
@click.option("--senses", "force", type=click.IntRange(1, 20), default=None, help="Use exactly this many senses.")
@click.option("--contexts", type=click.IntRange(10), default=2000, show_default=True,
              help="Occurrences to sample (uniformly, streaming) and cluster.")
@click.option("--window", type=click.IntRange(1, 50), default=5, show_default=True, help="Context words each side.")
@click.option("-n", "count", type=click.IntRange(1), default=8, show_default=True, help="Neighbours per sense.")
@click.option("--examples", type=click.IntRange(0), default=3, show_default=True, help="Example snippets per sense.")
@click.option("--context-model", type=click.Path(dir_okay=False),
              help="Vectors for the context words, e.g. the file written by train --output-context.")
@click.option("--tag", "tag_file", type=click.Path(dir_okay=False),
              help="Instead: a file of words (one per line) to tag as word#k throughout the corpus.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="With --tag: the tagged corpus.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True,
              help="Sampling and k-means seed.")
def senses(word, model, as_json, no_cache, corpus, max_senses, force, contexts, window, count, examples,
           context_model, tag_file, output, seed):
    """The senses of WORD: its occurrences in the corpus, clustered by their contexts, with each
    sense's share, nearest words and examples. The count is the most senses whose mean contexts
    all differ (cosine below 0.3 from the corpus's average context); the scores behind it go to
    stderr (and --json), so a near call shows.

    \b
      w2v senses bank -m vecs.bin --corpus text8
      w2v senses apple -m vecs.bin --corpus text8 --senses 2 --json
      w2v senses --tag words.txt -m vecs.bin --corpus text8 -o tagged.txt && w2v train tagged.txt -o senses.bin
    """
    from ..senses import find_senses, tag_corpus

    if tag_file:
        if not output:
            raise UsageError("--tag needs -o/--output for the tagged corpus")
        refuse_same_files({"-o": output}, {"--corpus": corpus, "--tag": tag_file, "-m": _model_path(model)})
        check_writable(output)
    vectors = _load(model, no_cache)
    if tag_file:
        from ..export import read_tokens

        words = read_tokens(tag_file)
        for w in words:
            vectors.id(w)

        def report(r):
            _say(False, f"{shown(r.word)}: {len(r.senses)} sense(s) from {r.sampled:,} of {r.occurrences:,} "
                        f"occurrences; {r.confidence()}")

        with atomic_open(output) as f:
            tagged = tag_corpus(vectors, corpus, words, f, window, max_senses, contexts, seed, report, force)
        for w, n in tagged.items():
            _say(False, f"{shown(w)}: {n:,} occurrences tagged")
        return
    if not word:
        raise UsageError("give a WORD, or --tag FILE")
    ctx_vectors = _load(context_model, no_cache) if context_model else None
    r = find_senses(vectors, corpus, word, max_senses, contexts, window, force, count, examples, seed, ctx_vectors)
    if as_json:
        out_json({
            **json_word(r.word), "occurrences": r.occurrences, "sampled": r.sampled,
            "scores": {str(k): round(v, 4) for k, v in r.scores.items()}, "threshold": r.threshold,
            "smallest_share": {str(k): round(v, 4) for k, v in r.shares.items()},
            "senses": [{"sense": i + 1, "share": round(s.share, 4), "size": s.size,
                        "neighbours": [json_word(w, score=round(x, 6)) for w, x in s.neighbours],
                        "examples": [json_text(e) for e in s.examples]} for i, s in enumerate(r.senses)]})
        return
    lines = []
    for i, s in enumerate(r.senses, 1):
        lines.append(f"{shown(r.word)}\t{i}\t{s.share:.3f}\tneighbours\t"
                     + " ".join(f"{shown(w)}:{x:.3f}" for w, x in s.neighbours))
        lines += [f"{shown(r.word)}\t{i}\t{s.share:.3f}\texample\t{shown(e)}" for e in s.examples]
    out("".join(line + "\n" for line in lines))
    _say(False, f"{shown(r.word)}: {len(r.senses)} sense(s) from {r.sampled:,} sampled of {r.occurrences:,} "
                f"occurrences{' (forced)' if force else ''}; {r.confidence()}")


def _refuse_stdout_onto_an_input(inputs: tuple[str, ...]) -> None:
    """``w2v tokenize raw.txt >> raw.txt`` would read what it writes and never end."""
    try:
        target = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no stdout, or a test's stream without a descriptor
        return
    for path in inputs:
        try:
            source = os.stat(path) if path != "-" else os.fstat(sys.stdin.fileno())
        except (OSError, ValueError, AttributeError):  # missing: reported when it is opened
            continue
        if S_ISREG(target.st_mode) and os.path.samestat(source, target):
            raise UsageError(f"standard output is the same file as input {path}: write to another file")


@click.command("tokenize", cls=Command)
@click.argument("inputs", nargs=-1, metavar="[INPUT]...", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="Where to write the tokens (written whole or not at all).")
@click.option("--keep-case", is_flag=True, help="Do not case-fold (Bank stays Bank).")
@click.option("--punct", type=click.Choice(["drop", "keep"]), default="drop", show_default=True,
              help="keep: each punctuation mark is a token of its own.")
@click.option("--numbers", type=click.Choice(["keep", "zero", "drop"]), default="keep", show_default=True,
              help="zero: every digit becomes 0 (1984 -> 0000); drop: tokens without letters go.")
@click.option("--segment", type=click.Choice(["none", "chars", "jieba"]), default="none", show_default=True,
              help="Chinese/Japanese: chars: one token per Han or kana character; jieba: Chinese words "
                   "(pip install 'w2vcli[zh]').")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
def tokenize_cmd(inputs, output, keep_case, punct, numbers, segment, quiet):
    """Raw text (UTF-8) to one line of lower-cased words per input line, ready for `w2v train`:
    Unicode-normalised, punctuation split off and dropped, URLs and e-mail addresses as <url> and
    <email>. INPUT files (.gz/.bz2/.xz too) are read in turn; none or - reads stdin.

    \b
      w2v tokenize raw.txt -o tokens.txt
      w2v tokenize raw.txt | w2v train - -o vecs.bin
      w2v tokenize zh.txt --segment jieba | w2v train - -o zh.bin --min-count 2
    """
    from ..corpus import STDIN_CLOSED, is_stdin, open_corpus
    from ..tokenize import TokenizeOptions, TokenizeStats, tokenize_stream

    options = TokenizeOptions(keep_case=keep_case, punct=punct, numbers=numbers, segment=segment)
    if not inputs and sys.stdin is None:
        raise W2VError(STDIN_CLOSED)
    if not inputs and sys.stdin.isatty():
        raise UsageError("give INPUT files, or pipe text on stdin (w2v tokenize - reads the terminal)")
    inputs = inputs or ("-",)
    if output == "-":
        _refuse_stdout_onto_an_input(inputs)
    else:
        for path in inputs:
            refuse_same_files({"-o": output}, {"input": path})
        check_writable(output)
    stats, started, tty = TokenizeStats(), time.perf_counter(), stderr_is_terminal() and not quiet

    def progress(s):
        if tty:
            write_stderr(f"\r{s.bytes_read / 1e6:,.1f} MB read, {s.lines:,} lines, {s.tokens:,} tokens")

    def run(out):
        for path in inputs:
            stream = open_corpus(path)
            try:
                tokenize_stream(stream, out, options, stats, progress)
            finally:
                if not is_stdin(stream):
                    stream.close()

    if output == "-":
        _write_errors(run, _stdout())  # a reader that leaves, a full disk: as every command
    else:
        with atomic_open(output) as f:
            run(f)
    if tty:
        write_stderr("\n")
    _say(quiet, f"{stats.lines:,} lines, {stats.tokens:,} tokens, {stats.replaced_bytes:,} bytes that were not UTF-8 "
                f"replaced; {stats.bytes_read / 1e6:,.1f} MB in {time.perf_counter() - started:.1f} s")
