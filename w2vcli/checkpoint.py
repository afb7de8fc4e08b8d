"""Checkpoints: the whole training state in one .npz, so a stopped run goes on where it was.

Holds the configuration, the vocabulary (so the corpus encodes to the same ids), the three
matrices, the chunks each part of the corpus has left, each thread's random state, the tokens
trained, which the learning-rate schedule is computed from, the loss of each epoch so far, and
how often to save (a resumed run goes on saving). With --threads 1, a run stopped and resumed
writes the same file as a run never stopped; a run may resume with another number of threads.
"""

import dataclasses
import json
from dataclasses import dataclass

import numpy as np

from .atomic import atomic_open
from .errors import W2VError
from .hogwild import EPOCH_FIELDS, State, TrainConfig
from .vocab import Vocab

VERSION = 3  # 3: the loss and end of each epoch, the saving interval, the position vectors; 2: chunks not yet taken


@dataclass
class Checkpoint:
    config: TrainConfig
    vocab: Vocab
    corpus_tokens: int  # known tokens of the corpus it was made on
    state: State
    every: float | None  # minutes between saves, as the run was asked


def save(path: str, config: TrainConfig, vocab: Vocab, corpus_tokens: int, state: State,
         every: float | None = None) -> None:
    meta = {"version": VERSION, "config": dataclasses.asdict(config), "corpus_tokens": corpus_tokens,
            "every": every}
    with atomic_open(path, compressed=False) as f:  # np.load reads it back as it is
        np.savez(f, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
                 words=np.frombuffer(b"\n".join(vocab.words), np.uint8), counts=vocab.counts,
                 syn0=state.syn0, syn1neg=state.syn1neg, syn1=state.syn1, pos=state.pos, positions=state.positions,
                 rngs=state.rngs, done=np.array([state.done], np.int64), epochs=state.epochs,
                 seconds=np.array([state.seconds]))


def load(path: str) -> Checkpoint:
    try:
        with open(path, "rb") as f:  # anything else np.load would take for a pickle, and say so
            if f.read(4) != b"PK\x03\x04":
                raise W2VError(f"{path} is not a w2v checkpoint (not an .npz archive)")
        with np.load(path, allow_pickle=False) as z:  # an .npy gives an array, not an archive: TypeError
            meta = json.loads(z["meta"].tobytes())
            if not isinstance(meta, dict):
                raise ValueError("its metadata is not a record")
            if meta.get("version") != VERSION:
                raise W2VError(f"{path}: a checkpoint of another version ({meta.get('version')})")
            vocab = Vocab(z["words"].tobytes().split(b"\n"), z["counts"].astype(np.int64))
            state = State(z["syn0"], z["syn1neg"], z["syn1"], z["pos"], z["positions"], z["rngs"], int(z["done"][0]),
                          z["epochs"], float(z["seconds"][0]))
        config = TrainConfig(**meta["config"])
        corpus_tokens = int(meta["corpus_tokens"])
    except W2VError:
        raise
    except FileNotFoundError:
        raise W2VError(f"checkpoint {path} not found") from None
    except Exception as e:  # whatever a damaged or foreign file raises (empty, .npy, edited): one line
        raise W2VError(f"{path} is not a readable w2v checkpoint ({type(e).__name__}: {e})") from None
    if len(vocab.words) != len(state.syn0) or state.syn0.shape[1] != config.dim \
            or state.epochs.shape != (config.epochs, EPOCH_FIELDS):
        raise W2VError(f"{path}: the checkpoint's vocabulary and matrices disagree")
    return Checkpoint(config, vocab, corpus_tokens, state, meta.get("every"))
