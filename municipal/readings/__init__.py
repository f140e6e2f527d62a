"""Water levels and rainfall: readings from people, gauges and files, their rollups, the events they show,
and their charts on the facility page and in the annual report."""


def init_app(app) -> None:
    """The facility page's water section (municipal/sections.py), and the words of an event's source in the
    audit trail. The annual report reads a reservoir's year in water itself (readings/annual.py)."""
    from .. import sections
    from ..audit.reading import register_labels
    from ..i18n import N_
    from . import pages

    sections.register(app, "asset", "bottom", "readings", "readings/_section.html", pages.section)
    register_labels("calendar_event", "source", {"manual": N_("Recorded by a person"),
                                                 "reading": N_("Found in the readings")})
