"""Where things are: coordinates and their datums, the map's features query and its clustering, the map page."""
