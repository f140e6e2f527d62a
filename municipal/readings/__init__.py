"""Water levels and rainfall: readings from people, gauges and files, their rollups, the events they show,
and their charts on the facility page and in the annual report."""


def init_app(app) -> None:
    """The facility page's water section (assets/sections.py), the annual report's year in water (a template
    global its include calls), and the words of an event's source in the audit trail."""
    from ..assets import sections
    from ..audit.reading import register_labels
    from ..i18n import N_
    from . import annual, pages

    sections.register(app, "readings", "readings/_section.html", pages.section)
    app.add_template_global(annual.year_in_water, "readings_year_in_water")
    register_labels("calendar_event", "source", {"manual": N_("Recorded by a person"),
                                                 "reading": N_("Found in the readings")})
