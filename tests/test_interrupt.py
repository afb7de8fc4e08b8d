"""A real training process stopped by a signal exits at once and leaves nothing behind."""

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import topic_corpus, with_default_signals


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_training_without_writing_anything(tmp_path, signum):
    corpus = topic_corpus(tmp_path / "c.txt", sentences=20_000)
    out = tmp_path / "v.bin"
    out.write_bytes(b"the previous vectors")
    exe = os.path.join(os.path.dirname(sys.executable), "w2v")
    proc = subprocess.Popen([exe, "train", str(corpus), "-o", str(out), "--epochs", "1000", "--min-count", "1",
                             "--dim", "16", "--threads", "2", "--save-vocab", str(tmp_path / "vocab.txt"),
                             "--loss-log", str(tmp_path / "loss.tsv")], stderr=subprocess.PIPE, text=True,
                            preexec_fn=with_default_signals)
    seen = ""
    while "%" not in seen:  # wait until training has begun
        line = proc.stderr.readline()
        assert line, "training ended before it could be interrupted"
        seen += line
    proc.send_signal(signum)
    start = time.monotonic()
    rc = proc.wait(timeout=30)
    stopped_in = time.monotonic() - start
    rest = proc.stderr.read()
    assert rc == 128 + signum
    assert stopped_in < 1.5
    assert f"interrupted by {signal.Signals(signum).name}" in rest and "no output written" in rest
    assert "Traceback" not in rest
    assert out.read_bytes() == b"the previous vectors"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "v.bin"]  # no vocabulary, no loss log


@pytest.mark.parametrize("model", [[], ["--model", "cbow", "--position-weights", "--corrected-cbow"],
                                   ["--model", "cbow", "--position-weights", "--joint-skipgram"]])
def test_a_killed_run_resumes_from_its_checkpoint_to_the_same_vectors(tmp_path, model):
    """--threads 1: stopped with SIGKILL after a checkpoint and resumed, the output is byte for
    byte that of a run never stopped (same positions, random states and learning rate; CBOW's
    position vectors too, in the output vectors and in the --output-context file)."""
    corpus = topic_corpus(tmp_path / "c.txt", sentences=20_000)
    exe = os.path.join(os.path.dirname(sys.executable), "w2v")
    common = ["--epochs", "60", "--min-count", "1", "--dim", "16", "--threads", "1", "--seed", "5", "--sample", "0",
              *model]
    subprocess.run([exe, "train", str(corpus), "-o", str(tmp_path / "straight.bin"), "-q", *common,
                    "--output-context", str(tmp_path / "straight-ctx.txt")], check=True)
    ckpt = tmp_path / "run.ckpt.npz"
    proc = subprocess.Popen([exe, "train", str(corpus), "-o", str(tmp_path / "resumed.bin"), *common,
                             "--checkpoint", str(ckpt), "--checkpoint-every", "0.005"],
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=with_default_signals)
    checkpoints = 0
    while checkpoints < 2:  # let it save twice, then kill it with no chance to clean up
        line = proc.stderr.readline()
        assert line, "training ended before it could be killed"
        checkpoints += line.startswith("checkpoint:")
    proc.kill()
    proc.wait()
    assert ckpt.exists() and not (tmp_path / "resumed.bin").exists()
    r = subprocess.run([exe, "train", str(corpus), "-o", str(tmp_path / "resumed.bin"), "--resume", str(ckpt), "-q",
                        "--output-context", str(tmp_path / "resumed-ctx.txt")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "resumed.bin").read_bytes() == (tmp_path / "straight.bin").read_bytes()
    context = (tmp_path / "resumed-ctx.txt").read_bytes()
    assert context == (tmp_path / "straight-ctx.txt").read_bytes()
    assert (b"\n<pos-5> " in context and b"\n<pos+5> " in context) == bool(model)
    assert not ckpt.exists()  # finished: the checkpoint is gone


def test_resume_refuses_another_corpus(tmp_path):
    corpus = topic_corpus(tmp_path / "c.txt", sentences=2000)
    exe = os.path.join(os.path.dirname(sys.executable), "w2v")
    proc = subprocess.Popen([exe, "train", str(corpus), "-o", str(tmp_path / "v.bin"), "--epochs", "10000",
                             "--min-count", "1", "--dim", "8", "--threads", "1", "--checkpoint-every", "0.005"],
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=with_default_signals)
    while not (line := proc.stderr.readline()).startswith("checkpoint:"):
        assert line
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    other = topic_corpus(tmp_path / "other.txt", sentences=1500)
    r = subprocess.run([exe, "train", str(other), "-o", str(tmp_path / "v.bin"), "--resume",
                        str(tmp_path / "v.bin.ckpt.npz")], capture_output=True, text=True)
    assert r.returncode == 1 and "is not the corpus of" in r.stderr and "Traceback" not in r.stderr
