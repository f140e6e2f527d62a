"""REST API v1 for assets, codes, areas and types."""


def blueprints():
    return []
