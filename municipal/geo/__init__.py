"""Where things are: coordinates and their datums, the map's features query and its clustering, the map page."""


def init_app(app) -> None:
    """Give the facility page its navigation links (municipal/sections.py): the assets domain shows them
    without importing this one."""
    from .. import sections
    from .grid import representative_point
    from .navigation import navigation_links

    def navigate(user, asset, args):
        point = representative_point(asset.geometry)
        return None if point is None else navigation_links(*point, asset.name)

    sections.register(app, "asset", "top", "navigate", "geo/_navigate.html", navigate)
