"""WHAT is searched: one KerasTuner HyperModel per model family.

Families never know which tuner runs them or where results are logged.
The catalogue (`search_spaces.catalogue`) and the space (`search_spaces.space`)
load without Keras; the families, which build Keras models, load on first use.
"""

from __future__ import annotations

import importlib

from search_spaces.space import SearchSpace, SearchSpaceError

_LAZY = {
    "FamilyHyperModel": "base",
    "InputShapeError": "base",
    "CNN": "cnn",
    "MLP": "mlp",
    "RNN": "rnn",
    "Transfer": "transfer",
}


def __getattr__(name: str):
    """Families on first use: importing them loads Keras and TensorFlow, which validating a file does not need."""
    if name == "FAMILIES":
        return {
            cls.family: cls
            for cls in (__getattr__("MLP"), __getattr__("CNN"), __getattr__("RNN"), __getattr__("Transfer"))
        }
    if name in _LAZY:
        return getattr(importlib.import_module(f"search_spaces.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'search_spaces' has no attribute {name!r}")


__all__ = [
    "FAMILIES",
    "CNN",
    "MLP",
    "RNN",
    "Transfer",
    "FamilyHyperModel",
    "InputShapeError",
    "SearchSpace",
    "SearchSpaceError",
]
