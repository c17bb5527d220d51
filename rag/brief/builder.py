"""The per-document item builder: the profile, people, key-figure and topic parts put together, one per
document a briefing or comparison is made from."""

from __future__ import annotations

from rag.brief.figures import _FiguresMixin
from rag.brief.people import _PeopleMixin
from rag.brief.profile import _ProfileMixin
from rag.brief.topics import _TopicsMixin


class _Builder(_ProfileMixin, _PeopleMixin, _FiguresMixin, _TopicsMixin):
    """Items of one document (profile, figures, topics) with their source references."""
