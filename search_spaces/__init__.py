"""WHAT is searched: one KerasTuner HyperModel per model family.

Families never know which tuner runs them or where results are logged.
"""

from search_spaces.base import FamilyHyperModel, InputShapeError
from search_spaces.cnn import CNN
from search_spaces.mlp import MLP
from search_spaces.rnn import RNN
from search_spaces.transfer import Transfer
from search_spaces.space import SearchSpace, SearchSpaceError

FAMILIES: dict[str, type[FamilyHyperModel]] = {cls.family: cls for cls in (MLP, CNN, RNN, Transfer)}

__all__ = ["FAMILIES", "CNN", "MLP", "RNN", "Transfer", "FamilyHyperModel", "InputShapeError", "SearchSpace", "SearchSpaceError"]
