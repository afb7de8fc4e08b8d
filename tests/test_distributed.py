"""Training on a Dask cluster (w2vcli/distributed.py): LocalClusters of 2 worker processes on
loopback, small corpora made here. Each cluster is closed by its test, and the tests check
that no process of theirs is left."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import TOPICS, topic_corpus

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.dask

import w2vcli  # noqa: E402
from w2vcli.formats import read_vectors  # noqa: E402


def shards(folder: Path, n: int = 4, sentences: int = 1000) -> list[Path]:
    """n shards of the topic corpus, plus awkward ones: a shard whose last line has no newline,
    an empty shard, and words whose counts tie across shards (their order is first appearance)."""
    folder.mkdir(exist_ok=True)
    for i in range(n):
        topic_corpus(folder / f"shard-{i}.txt", sentences=sentences, seed=i)
    (folder / f"shard-{n}.txt").write_text("zeta alpha omega\nalpha zeta omega beta")  # no final newline
    (folder / f"shard-{n + 1}.txt").write_text("")
    (folder / f"shard-{n + 2}.txt").write_text("beta omega gamma gamma\n")
    return sorted(folder.glob("shard-*.txt"))


def children() -> set[int]:
    """This process's children, less multiprocessing's resource tracker (one per interpreter,
    started by the first pool or cluster, ending with it)."""
    found = set()
    for p in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "resource_tracker" not in " ".join(p.cmdline()):
                found.add(p.pid)
    return found


def no_children_left(before: set[int], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not children() - before:
            return True
        time.sleep(0.2)
    return False


def topics_learned(vectors) -> bool:
    """Each topic word's nearest neighbour is a word of its own topic."""
    ok = 0
    words = [w for ws in TOPICS.values() for w in ws]
    for topic, members in TOPICS.items():
        for w in members:
            nearest = vectors.nearest(w, n=1)[0][0]
            ok += nearest in members
    return ok >= 0.9 * len(words)


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes, 1 thread each, on loopback; closed at the end."""
    import logging

    before = children()
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address=None, silence_logs=logging.CRITICAL)
    client = distributed.Client(local)
    try:
        yield local.scheduler_address, client
    finally:
        client.close()
        local.close()
    assert no_children_left(before), "the cluster's processes outlived it"


def test_local_cluster_trains_counts_as_one_process_and_leaves_nothing(tmp_path, w2v):
    paths = shards(tmp_path / "data")
    glob = str(tmp_path / "data" / "shard-*.txt")
    before = children()
    r = w2v("train", glob, "-o", tmp_path / "v.bin", "--dask", "local:2", "--threads", "1", "--dim", "16",
            "--min-count", "1", "--epochs", "3", "--sync-every", "8000", "--save-vocab", tmp_path / "vocab-dask.txt")
    assert r.exit_code == 0, r.stderr
    assert no_children_left(before), "w2v train --dask local:2 left processes behind"
    assert "2 worker processes" in r.stderr and "synchronisations" in r.stderr
    assert "shares of the" in r.stderr  # each worker's share in the summary
    single = w2v("vocab", glob, "--min-count", "1", "-o", tmp_path / "vocab-one.txt")
    assert single.exit_code == 0, single.stderr
    assert (tmp_path / "vocab-dask.txt").read_bytes() == (tmp_path / "vocab-one.txt").read_bytes()
    assert topics_learned(w2vcli.load(str(tmp_path / "v.bin")))
    assert len(paths) == 7


def test_vocab_on_the_cluster_is_the_same_file(tmp_path, w2v, cluster):
    address, _ = cluster
    shards(tmp_path / "data")
    glob = str(tmp_path / "data" / "shard-*.txt")
    for min_count in ("1", "5"):
        one = w2v("vocab", glob, "--min-count", min_count, "-o", tmp_path / "one.txt")
        many = w2v("vocab", glob, "--min-count", min_count, "-o", tmp_path / "many.txt", "--dask", address)
        assert one.exit_code == 0 and many.exit_code == 0, many.stderr
        assert (tmp_path / "one.txt").read_bytes() == (tmp_path / "many.txt").read_bytes()
        assert one.stderr.splitlines()[-1] == many.stderr.splitlines()[-1]  # the same totals


def test_a_planted_structure_is_learned_through_the_python_api(tmp_path, cluster):
    address, _ = cluster
    paths = shards(tmp_path / "data", sentences=800)
    messages = []
    vecs = w2vcli.train([str(p) for p in paths], dask=address, dim=16, min_count=1, epochs=4,
                        sync_every=5000, seed=3, on_message=messages.append)  # no threads: each worker's own
    assert any("each worker's threads" in m for m in messages)
    assert topics_learned(vecs)
    assert vecs.progress.syncs >= 4 * 4
    assert len(vecs.progress.workers) == 2
    assert sum(s.tokens for s in vecs.progress.workers.values()) == vecs.progress.done
    assert vecs.progress.bytes_up > 0 and vecs.progress.bytes_down > 0


def test_a_killed_worker_is_replaced_and_the_run_completes(tmp_path, cluster):
    address, client = cluster
    paths = shards(tmp_path / "data", sentences=1500)
    pids = client.run(os.getpid)
    killed = []

    def kill_one(p):
        if p.syncs >= 3 and not killed:  # mid-run: later rounds, and the epoch under way
            victim = sorted(pids)[0]
            os.kill(pids[victim], signal.SIGKILL)
            killed.append(victim)

    messages = []
    out = tmp_path / "v.bin"
    vecs = w2vcli.train([str(p) for p in paths], str(out), dask=address, threads=1, dim=16, min_count=1, epochs=3,
                        sync_every=4000, on_progress=kill_one, progress_every=0.05, on_message=messages.append)
    assert killed
    assert any("lost worker" in m and killed[0] in m for m in messages), messages
    assert vecs.progress.done == vecs.progress.total  # every slice trained, the lost ones again
    assert topics_learned(vecs)
    words, matrix, _ = read_vectors(str(out))
    assert np.isfinite(matrix).all() and len(words) == len(vecs.words)
    client.wait_for_workers(2, timeout=30)  # the nanny restarted it: the cluster goes on for the next tests


def test_an_unreachable_scheduler_is_one_line_within_seconds(tmp_path, w2v):
    corpus = topic_corpus(tmp_path / "c.txt", sentences=100)
    started = time.monotonic()
    r = w2v("train", corpus, "-o", tmp_path / "v.bin", "--dask", "tcp://127.0.0.1:1")
    assert time.monotonic() - started < 15
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "Traceback" not in r.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in r.stderr
    assert not (tmp_path / "v.bin").exists()
    for bad in ("local:0", "local:x", "nonsense://host"):
        r = w2v("train", corpus, "-o", tmp_path / "v.bin", "--dask", bad)
        assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1, (bad, r.stderr)
    r = w2v("vocab", corpus, "--dask", "local:0")
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    started = time.monotonic()  # refused before any connection is tried
    r = w2v("train", corpus, "-o", tmp_path / "v.bin", "--dask", "tcp://127.0.0.1:1", "--senses", "5")
    assert r.exit_code == 2 and "--senses cannot go with --dask" in r.stderr and time.monotonic() - started < 3


def test_a_missing_shard_is_named_before_any_work(tmp_path, w2v):
    corpus = topic_corpus(tmp_path / "c.txt", sentences=100)
    started = time.monotonic()
    r = w2v("train", corpus, tmp_path / "gone.txt", "-o", tmp_path / "v.bin", "--dask", "tcp://127.0.0.1:1")
    assert time.monotonic() - started < 5  # checked before connecting
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1
    assert f"corpus {tmp_path / 'gone.txt'} not found" in r.stderr
    r = w2v("train", tmp_path / "nothing-*.txt", "-o", tmp_path / "v.bin", "--dask", "local:2")
    assert r.exit_code == 1 and "no file matches" in r.stderr
    r = w2v("train", "-", "-o", tmp_path / "v.bin", "--dask", "local:2", input="a b c\n")
    assert r.exit_code == 2 and "stdin" in r.stderr


def test_an_unreadable_shard_is_one_line_naming_it(tmp_path, w2v, cluster):
    address, _ = cluster
    paths = shards(tmp_path / "data", n=2, sentences=200)
    bad = tmp_path / "data" / "shard-9.txt.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00 this is not gzip data at all" * 10)
    r = w2v("train", *paths, bad, "-o", tmp_path / "v.bin", "--dask", address, "--min-count", "1")
    assert r.exit_code == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("w2v: error: cannot read corpus") and str(bad) in last
    assert "error" not in r.stderr.replace(last, "") and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "v.bin").exists()


def test_checkpoint_and_resume_on_the_cluster(tmp_path, cluster):
    address, _ = cluster
    paths = [str(p) for p in shards(tmp_path / "data", sentences=600)]
    out, ckpt = tmp_path / "v.bin", tmp_path / "v.ckpt.npz"

    class Stop(Exception):
        pass

    def stop_after(p):
        if p.syncs >= 5:
            raise Stop()

    options = dict(dask=address, threads=1, dim=16, min_count=1, epochs=3, sync_every=3000)
    with pytest.raises(Stop):
        w2vcli.train(paths, str(out), checkpoint=str(ckpt), checkpoint_every=1e-6, on_progress=stop_after, **options)
    assert ckpt.exists() and not out.exists()
    with pytest.raises(w2vcli.W2VError, match="resume it with --dask"):
        w2vcli.train(paths, str(out), resume=str(ckpt), threads=1)
    vecs = w2vcli.train(paths, str(out), resume=str(ckpt), **options)
    p = vecs.progress  # the checkpoint of the 4th synchronisation: the 5th raised before its own
    assert 3 * 3000 < p.resumed_at < 5 * 3000 and p.done == p.total
    rounds = -(-p.total // 3 // 3000)
    assert p.syncs == 3 * rounds - 4
    assert len(vecs.progress.epoch_losses) == 3
    assert out.exists() and not ckpt.exists()
    assert topics_learned(vecs)


def test_without_dask_nothing_of_dask_is_imported(tmp_path):
    corpus = topic_corpus(tmp_path / "c.txt", sentences=200)
    code = ("import sys, w2vcli.cli, w2vcli.pipeline; from w2vcli.cli import main\n"
            f"w2vcli.train({str(corpus)!r}, min_count=1, dim=8, epochs=1, threads=1)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'fsspec'))\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_raw_text_is_tokenized_on_the_workers_as_in_one_process(tmp_path, cluster):
    address, _ = cluster
    folder = tmp_path / "raw"
    folder.mkdir()
    paths = []
    for i, topic in enumerate(TOPICS):
        words = TOPICS[topic]
        text = "".join(f"The {words[k % 8].upper()}, {words[(k * 3) % 8]}! and {words[(k + 1) % 8]}.\n"
                       for k in range(300))
        paths.append(folder / f"raw-{i}.txt")
        paths[-1].write_text(text)
    options = dict(tokenize=True, min_count=1, dim=8, epochs=1, threads=1)
    w2vcli.train([str(p) for p in paths], save_vocab=str(tmp_path / "one.txt"), **options)
    w2vcli.train([str(p) for p in paths], save_vocab=str(tmp_path / "many.txt"), dask=address, **options)
    one = (tmp_path / "one.txt").read_bytes()
    assert b"BANK" not in one and b"bank " in one and b"," not in one  # case folded, punctuation dropped
    assert (tmp_path / "many.txt").read_bytes() == one
