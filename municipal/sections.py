"""Sections that domains add to another domain's page, without the page's domain importing them.

A page is named by what it shows ("asset": a facility's staff page; "work_order": a work order's page) and
has slots, the places its template shows sections in. At app start a domain registers a section for a page's
slot: its name, the template that shows it, and a provider that takes the signed-in user, the page's subject
and the request's arguments and returns what the template shows (from its `section.data`), or None for no
section. The page's view collects them; its template includes each section of a slot in registration order.
Templates never query: whatever a section shows, its provider fetched.
"""
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from flask import current_app

Provider = Callable[[Any, Any, Mapping[str, str]], Any]


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    data: Any


class Sections:
    """A page's sections, by slot."""

    def __init__(self, by_slot: dict[str, list[Section]]):
        self._by_slot = by_slot

    def slot(self, name: str) -> list[Section]:
        return self._by_slot.get(name, [])


def register(app, page: str, slot: str, name: str, template: str, provider: Provider) -> None:
    """Add a section to `slot` of `page` in `app`, after those registered there before it."""
    pages = app.extensions.setdefault("page_sections", {})
    entries = pages.setdefault(page, {})
    if name in entries:
        raise ValueError(f"the page {page!r} has a section {name!r} already")
    entries[name] = (slot, template, provider)


def collect(page: str, user, subject, args: Mapping[str, str]) -> Sections:
    """The sections `user` sees on `page` about `subject`, `args` being the request's query arguments."""
    by_slot: dict[str, list[Section]] = {}
    for name, (slot, template, provider) in current_app.extensions.get("page_sections", {}).get(page, {}).items():
        data = provider(user, subject, args)
        if data is not None:
            by_slot.setdefault(slot, []).append(Section(name, template, data))
    return Sections(by_slot)
