"""Chinese text classification and safety screening for 12345 hotline tickets.

Pure library: plain values in, plain values out, models on disk. It imports nothing from
the `hotline` application so that it can be trained, tested and benchmarked on its own.
"""

from classifier.model import Prediction, TextClassifier, TrainConfig, train_model
from classifier.registry import RegistryError, load_model, save_model
from classifier.safety import SafetyDetector, SafetyFinding

__all__ = [
    "Prediction",
    "RegistryError",
    "SafetyDetector",
    "SafetyFinding",
    "TextClassifier",
    "TrainConfig",
    "load_model",
    "save_model",
    "train_model",
]
