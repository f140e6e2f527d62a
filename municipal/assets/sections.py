"""Sections that other domains add to a facility's staff page, without the assets domain importing them.

A domain registers a section at app start: its name, the template that shows it, and a provider that
takes the signed-in user and the facility and returns what the template shows, or None for no section.
The scan view collects them and templates/assets/detail.html includes each with `section.data`.
"""
from dataclasses import dataclass
from typing import Any, Callable

from flask import current_app

Provider = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    data: Any


def register(app, name: str, template: str, provider: Provider) -> None:
    """Add a section to the facility page of `app`, after those registered before it."""
    sections = app.extensions.setdefault("asset_sections", {})
    if name in sections:
        raise ValueError(f"the facility page has a section {name!r} already")
    sections[name] = (template, provider)


def collect(user, asset) -> list[Section]:
    """The sections `user` sees on `asset`'s page, in the order they were registered."""
    found = []
    for name, (template, provider) in current_app.extensions.get("asset_sections", {}).items():
        data = provider(user, asset)
        if data is not None:
            found.append(Section(name, template, data))
    return found
