"""The report's words in the reader's language: one catalogue of sentences per language, each a module here
that maps the same keys to `str.format` templates, so a third language is one more file.

Numbers and names (trials, hyperparameters, metrics as logged) are formatted by the code and passed in; a
catalogue holds only words. The language is set once per report with `speaking`, so the functions that word
a sentence need no language argument threaded through them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import re
import string
from collections.abc import Iterator

LANGUAGES = ("en", "zh")
_SPOKEN: contextvars.ContextVar[str] = contextvars.ContextVar("language", default="en")


def catalogue(language: str) -> dict[str, str]:
    """The sentences of one language, by key."""
    return importlib.import_module(f"reports.words.{language}").SENTENCES


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Every `say` inside speaks `language`."""
    if language not in LANGUAGES:
        raise ValueError(f"no report language {language!r}: choose one of {', '.join(LANGUAGES)}")
    token = _SPOKEN.set(language)
    try:
        yield
    finally:
        _SPOKEN.reset(token)


def language() -> str:
    """The language `say` speaks now."""
    return _SPOKEN.get()


def say(key: str, /, **values) -> str:
    """The sentence `key` in the current language, its blanks filled with `values`."""
    return catalogue(_SPOKEN.get())[key].format(**values)


@functools.cache
def _logged_patterns() -> list[tuple[str, re.Pattern]]:
    """Each English `logged.` sentence as a pattern that reads its blanks back out of a logged text."""
    patterns = []
    for key, template in catalogue("en").items():
        if key.startswith("logged."):
            pattern = "".join(
                re.escape(text) + (f"(?P<{name}>.+?)" if name else "")
                for text, name, _, _ in string.Formatter().parse(template)
            )
            patterns.append((key, re.compile(pattern)))
    return patterns


def logged(key: str, /, **values) -> str:
    """A `logged.` sentence in English, whatever the current language: what the search writes to MLflow, which
    `relogged` reads back in a report's language."""
    return catalogue("en")[key].format(**values)


def relogged(text: str) -> str:
    """A text the search logged in English (a baseline's name, why there is no ensemble), in the current language:
    MLflow keeps one text for every reader, written from a `logged.` sentence, which is read back and said again.
    A text of no known form is returned as it was written."""
    for key, pattern in _logged_patterns():
        found = pattern.fullmatch(text)
        if found:
            return say(key, **found.groupdict())
    return text


def say_or(key: str, default: str) -> str:
    """The catalogue's `key` when the current language has it, else `default`: the words of a shipped study, which
    the catalogues carry, or a user's own, as the user wrote them."""
    return catalogue(_SPOKEN.get()).get(key, default)


def metric_words(metric: str) -> str:
    """A logged metric's name in a sentence: test/accuracy -> test accuracy; in Chinese 测试集准确率. A metric the
    catalogue does not name keeps its logged name."""
    sentences = catalogue(_SPOKEN.get())
    for prefix in ("test/", "val_", "trial/"):
        if metric.startswith(prefix):
            rest = metric.removeprefix(prefix)
            return sentences[f"metric.{prefix}"] + sentences.get(f"metric.{rest}", rest.replace("_", " "))
    return sentences.get(f"metric.{metric}", metric.replace("/", " ").replace("_", " "))


def say_n(key: str, count: int, /, **values) -> str:
    """`say` for a sentence about `count` things: the catalogue's `key.one` when it is 1 and the catalogue has one
    (a language without plurals has none), else `key`."""
    sentences = catalogue(_SPOKEN.get())
    return sentences.get(f"{key}.one" if count == 1 else key, sentences[key]).format(**values)


def listed(items: list[str]) -> str:
    """Items in a run of text: a, b and c (English); a、b 和 c (Chinese)."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return say("list", head=say("list_separator").join(items[:-1]), last=items[-1])
