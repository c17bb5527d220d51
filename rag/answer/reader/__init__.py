"""The learned reader: picks the units (sentence, bullet, table row, profile field) of the retrieved
sections that answer a question, and the answer span inside each. The unit scorer and the span
scorer are logistic regressions fitted by eval/train_reader.py on JSQuAD (CC BY-SA 4.0) and the dev
set — never on the held-out sets; their weights are `weights.json`."""

from rag.answer.reader.reading import N_SECTIONS, ReadUnit, read

__all__ = ["N_SECTIONS", "ReadUnit", "read"]
