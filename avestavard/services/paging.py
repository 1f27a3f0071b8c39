"""Page arithmetic shared by the paged lists (people, matches, "Att matcha", the audit log)."""

from __future__ import annotations


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill, ``per_page`` a page (at least one, even when empty)."""
    return max(1, -(-total // per_page))


def clamp_page(requested: int, total: int, per_page: int) -> int:
    """The page to show for a requested number: kept between the first and the last page."""
    return min(max(requested, 1), page_count(total, per_page))


class Paged:
    """The page properties of a result page that knows its ``total``, ``page`` and ``per_page``
    (mixed into the result dataclasses, which declare those fields)."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return page_count(self.total, self.per_page)

    @property
    def has_previous(self) -> bool:
        """Whether a page before this one exists."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a page after this one exists."""
        return self.page < self.pages
