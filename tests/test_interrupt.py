"""A real training process stopped by a signal exits at once and leaves nothing behind."""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import topic_corpus


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_training_without_writing_anything(tmp_path, signum):
    corpus = topic_corpus(tmp_path / "c.txt", sentences=20_000)
    out = tmp_path / "v.bin"
    out.write_bytes(b"the previous vectors")
    exe = os.path.join(os.path.dirname(sys.executable), "w2v")
    proc = subprocess.Popen([exe, "train", str(corpus), "-o", str(out), "--epochs", "1000", "--min-count", "1",
                             "--dim", "16", "--threads", "2"], stderr=subprocess.PIPE, text=True)
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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "v.bin"]
