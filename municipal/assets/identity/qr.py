"""QR codes for asset identity codes.

Pure module: no Flask or database imports, so label rendering, the web views
and command-line tools can all share it.
"""

import io

import qrcode
from PIL import Image

# The QR specification requires a light margin of four modules on every side.
QUIET_ZONE = 4

_EC_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def qr_url(public_url: str, code: str) -> str:
    """Return the URL a label's QR encodes: ``PUBLIC_URL/A/<CODE>``, all uppercase.

    Uppercase keeps every character in QR's alphanumeric set, which gives a
    smaller symbol (bigger modules at the same printed size). Scheme and host
    are case-insensitive and the resolver accepts ``/A/``.
    """
    return f"{public_url.rstrip('/')}/A/{code}".upper()


def qr_matrix(data: str, ec: str = "Q") -> list[list[bool]]:
    """Encode ``data`` and return the module matrix (True = dark), quiet zone excluded."""
    try:
        level = _EC_LEVELS[ec]
    except KeyError:
        raise ValueError(f"unknown QR error correction level {ec!r}; use L, M, Q or H") from None
    code = qrcode.QRCode(error_correction=level, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def dark_runs(matrix: list[list[bool]]) -> list[tuple[int, int, int]]:
    """Return ``(row, column, length)`` for each horizontal run of dark modules.

    Drawing runs instead of single modules keeps SVG and PDF output small and
    fast, and avoids hairline seams between neighbouring modules in viewers.
    """
    runs = []
    for y, row in enumerate(matrix):
        start = None
        for x, dark in enumerate(row):
            if dark and start is None:
                start = x
            elif not dark and start is not None:
                runs.append((y, start, x - start))
                start = None
        if start is not None:
            runs.append((y, start, len(row) - start))
    return runs


def qr_svg(data: str, ec: str = "Q", module_px: int = 4) -> str:
    """Return a standalone SVG of the QR symbol with its quiet zone.

    The ``viewBox`` is in modules, so the SVG scales cleanly; ``module_px`` only
    sets the default displayed width and height.
    """
    matrix = qr_matrix(data, ec)
    size = len(matrix) + 2 * QUIET_ZONE
    path = "".join(
        f"M{x + QUIET_ZONE} {y + QUIET_ZONE}h{n}v1h-{n}z" for y, x, n in dark_runs(matrix)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size * module_px}" '
        f'height="{size * module_px}" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )


def qr_png(data: str, ec: str = "Q", scale: int = 8) -> bytes:
    """Return a 1-bit PNG of the QR symbol with its quiet zone, ``scale`` pixels per module."""
    matrix = qr_matrix(data, ec)
    size = len(matrix) + 2 * QUIET_ZONE
    pixels = bytearray(b"\xff" * (size * size))
    for y, row in enumerate(matrix, start=QUIET_ZONE):
        for x, dark in enumerate(row, start=QUIET_ZONE):
            if dark:
                pixels[y * size + x] = 0
    image = Image.frombytes("L", (size, size), bytes(pixels))
    # Nearest-neighbour keeps module edges sharp; any smoothing would blur them.
    image = image.resize((size * scale, size * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()
