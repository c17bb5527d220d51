"""Evaluation of casebook, above `rag` (it only calls rag's public API).

The question sets (questions/dev.jsonl, questions/heldout.jsonl; questions/check_dev.py validates one
against the documents, standard library only) are loaded by `questionset`, answered by `runner`,
scored by `metrics`, written up by `report` and compared with a stored baseline by `baseline`;
`cli` is the `casebook eval` subcommand. The `bench_*` modules, `jsquad`, `crash_test` and
`load_test` are standalone benchmarks and stress tests (`python -m eval.<name> --help`). Nothing is
imported here.
"""

__all__: list[str] = []
