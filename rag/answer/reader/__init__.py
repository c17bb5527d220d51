"""The learned reader: picks the units (sentence, bullet, table row, profile field) of the retrieved
sections that answer a question, and the answer span inside each. The unit scorer and the span
scorer are logistic regressions fitted by eval/train_reader.py on JSQuAD (CC BY-SA 4.0) and the dev
set — never on the held-out sets; their weights are `weights.json`. `read` and `ReadUnit` are the
answer path's API; the other names serve the training, dev and benchmark scripts in eval/."""

from rag.answer.reader.answer_types import typed_spans
from rag.answer.reader.features import (
    DENSE_FEATURES,
    EN_FEATURES,
    FEATURES,
    KIND_FEATURES,
    Candidate,
    features,
    question_info,
    squash,
)
from rag.answer.reader.logreg import fit_logreg
from rag.answer.reader.model import ReaderModel, load_model, load_weights_file
from rag.answer.reader.question_kind import question_type
from rag.answer.reader.reading import (
    N_SECTIONS,
    ReadUnit,
    candidates_of,
    library_units,
    read,
    unit_vector_cache,
    warm_units,
)
from rag.answer.reader.span import SPAN_FEATURES, candidates, extract_span, filter_candidates, span_features
from rag.answer.reader.vectors import VectorCache
from rag.answer.units import Unit, section_units

__all__ = [
    "DENSE_FEATURES",
    "EN_FEATURES",
    "FEATURES",
    "KIND_FEATURES",
    "N_SECTIONS",
    "SPAN_FEATURES",
    "Candidate",
    "ReadUnit",
    "ReaderModel",
    "Unit",
    "VectorCache",
    "candidates",
    "candidates_of",
    "extract_span",
    "features",
    "filter_candidates",
    "fit_logreg",
    "library_units",
    "load_model",
    "load_weights_file",
    "question_info",
    "question_type",
    "read",
    "section_units",
    "span_features",
    "squash",
    "typed_spans",
    "unit_vector_cache",
    "warm_units",
]
