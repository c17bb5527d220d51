"""Errors of the briefing API: a briefing that cannot be built, and a company name that matches no
indexed document (with the closest names as suggestions, or the candidates when it is ambiguous)."""

from __future__ import annotations

from collections.abc import Sequence


class BriefingError(RuntimeError):
    """A briefing that cannot be built (no index, file gone…)."""


class UnknownCompany(LookupError):
    """No indexed document is about the company asked for; `suggestions` holds close names."""

    def __init__(self, name: str, suggestions: Sequence[str] = (), *, ambiguous: bool = False) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        self.ambiguous = ambiguous
        if ambiguous:
            msg = f"company {name!r} is ambiguous: it matches " + ", ".join(self.suggestions)
        elif self.suggestions:
            msg = f"unknown company {name!r}; did you mean: " + ", ".join(self.suggestions) + "?"
        else:
            msg = f"unknown company {name!r}: no indexed document is about it"
        super().__init__(msg)

    def __str__(self) -> str:  # LookupError would repr() the message
        return self.args[0]
