"""The reader's unit scorer: a logistic regression over standardised feature rows, and its weights file.

    model = load_model()                              # rag/answer/reader/weights.json, variant "dense"
    p = model.predict(X)                               # P(unit carries the answer); X from features.features
    model.top_probability(model.logits(X))             # calibrated P(the best unit carries the answer)

`ReaderModel` holds the weights of one variant ("dense" with the e5 cosines, "lexical" without) and
(de)serialises them; `load_model` reads and caches them. The weights are fitted by eval/train_reader.py
(JSQuAD, CC BY-SA 4.0; see rag/answer/reader/weights.json) with rag.answer.reader.logreg.fit_logreg.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.reader.features import FEATURES

WEIGHTS_FILE = Path(__file__).with_name("weights.json")


def sigmoid(z: np.ndarray | float) -> np.ndarray | float:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))


@dataclass
class ReaderModel:
    """Weights of the unit scorer (standardised features → logit) and the top-unit calibration."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    b: float
    calib: tuple[float, float, float] = (1.0, 0.0, 0.0)  # top-unit P: sigmoid(a*logit + c*margin + d)
    meta: dict[str, Any] = field(default_factory=dict)

    def logits(self, X: np.ndarray) -> np.ndarray:
        """X has the columns of FEATURES (all of them); the model uses its own subset."""
        idx = [FEATURES.index(f) for f in self.features]
        Z = (X[:, idx] - self.mean) / self.scale
        return Z @ self.w + self.b

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(sigmoid(self.logits(X)))

    def top_probability(self, logits: np.ndarray) -> float:
        """Calibrated probability that the best-scoring unit carries the answer."""
        if len(logits) == 0:
            return 0.0
        srt = np.sort(logits)[::-1]
        margin = float(srt[0] - srt[1]) if len(srt) > 1 else 5.0
        a, c, d = self.calib
        return float(sigmoid(a * srt[0] + c * margin + d))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "weights": [round(float(x), 6) for x in self.w],
            "bias": round(float(self.b), 6),
            "top_calibration": [round(float(x), 6) for x in self.calib],
            **({"meta": self.meta} if self.meta else {}),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ReaderModel:
        return cls(
            tuple(d["features"]),
            np.asarray(d["mean"], float),
            np.asarray(d["scale"], float),
            np.asarray(d["weights"], float),
            float(d["bias"]),
            tuple(d.get("top_calibration", (1.0, 0.0, 0.0))),
            dict(d.get("meta", {})),
        )


_models: dict[tuple[str, str, float], ReaderModel] = {}


def load_model(variant: str = "dense", path: Path | str | None = None) -> ReaderModel:
    """The fitted unit scorer: variant "dense" (with e5 cosines) or "lexical" (without)."""
    p = Path(path or WEIGHTS_FILE)
    key = (str(p), variant, p.stat().st_mtime)
    m = _models.get(key)
    if m is None:
        data = json.loads(p.read_text(encoding="utf-8"))
        m = _models[key] = ReaderModel.from_json(data["models"][variant])
    return m


def load_weights_file(path: Path | str | None = None) -> dict[str, Any]:
    return json.loads(Path(path or WEIGHTS_FILE).read_text(encoding="utf-8"))
