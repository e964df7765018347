"""What the text families need to know of the training texts: a TF-IDF bag of words and word pairs, and how long
the texts are, so `sequence_length` defaults to a length that keeps most of them whole.

Both are read from the training split alone and use Keras' own tokenizer, so
the numbers describe exactly what the model's `TextVectorization` sees.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

BAG_TOKENS = 20000  # words and word pairs in the bag's vocabulary, the most frequent first
KEPT_SHARE = 90  # sequence_length defaults to this percentile of the training texts' lengths in tokens ...
MAX_DEFAULT_LENGTH = 500  # ... at most this many: a recurrent layer's cost grows with every step
CHUNK = 512  # texts tokenized at a time, so a large corpus never becomes one dense matrix


@dataclasses.dataclass(frozen=True)
class TextFacts:
    bag_vocabulary: tuple[str, ...]  # words and word pairs, without Keras' [UNK]
    idf: tuple[float, ...]  # one inverse document frequency per bag token, Keras' formula
    token_counts: tuple[int, ...]  # each training text's length in tokens
    bag_scale: float  # the bag vector's length: the square root of a training text's median count of distinct
    # bag tokens, so that a typical entry is about 1, as in standardized inputs, and training moves at their pace

    def default_length(self) -> int:
        return int(min(MAX_DEFAULT_LENGTH, max(1, np.percentile(self.token_counts, KEPT_SHARE))))

    def cut_note(self, length: int) -> str | None:
        """How many training texts `length` cuts, and how many tokens the cut ones lose on average."""
        counts = np.asarray(self.token_counts)
        cut = counts > length
        if not cut.any():
            return None
        return (
            f"sequence_length {length}: {int(cut.sum()):,} of {len(counts):,} training texts are longer and are "
            f"cut, losing {float((counts[cut] - length).mean()):.0f} tokens on average (the texts' median is "
            f"{float(np.median(counts)):.0f} tokens); the bag encoder reads every token"
        )


def _in_chunks(layer, texts: np.ndarray):
    for start in range(0, len(texts), CHUNK):
        yield np.asarray(layer(texts[start : start + CHUNK].astype(str)))


def text_facts(train_texts: np.ndarray, words: keras.layers.TextVectorization) -> TextFacts:
    """The bag's vocabulary and IDF weights (log(1 + n / (1 + document count)), as Keras computes them), and
    each text's length under `words`, the adapted word tokenizer."""
    pairs = keras.layers.TextVectorization(max_tokens=BAG_TOKENS, ngrams=2, output_mode="multi_hot")
    pairs.adapt(train_texts.astype(str))
    present = [(chunk.sum(axis=0), chunk[:, 1:].sum(axis=1)) for chunk in _in_chunks(pairs, train_texts)]
    documents = sum(per_token for per_token, _ in present)
    idf = np.log1p(len(train_texts) / (1.0 + documents[1:]))  # [UNK] first, left out
    distinct = np.median(np.concatenate([per_text for _, per_text in present]))
    lengths = np.concatenate([np.count_nonzero(chunk, axis=1) for chunk in _in_chunks(words, train_texts)])
    return TextFacts(
        tuple(str(t) for t in pairs.get_vocabulary()[1:]),
        tuple(float(w) for w in idf),
        tuple(int(n) for n in lengths),
        float(np.sqrt(max(distinct, 1.0))),
    )
