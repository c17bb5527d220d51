"""casebook's library: cited bilingual Q&A over business case studies.

Layered along the data path (each layer imports only the ones before it; checked by import-linter):
`ingest` (files, front matter, facets, sections, chunks) ← `index` (embedding engines, Chroma,
BM25, generations) ← `search` (filters, fusion, retrieval) ← `answer` (reader, refusal, LLM
backends, `ask`) ← `brief` (company briefings) ← `cli`. `config` and `schema` sit below them all.
"""
