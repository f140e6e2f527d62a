"""The headers every response carries, whoever answers it: Flask's views, its error pages, its static files.
They make the browser refuse what our pages never do: run a script that is not
one of our files, be framed by another site, guess a content type, or tell other sites our paths."""

# Scripts only from our own files, never inline: an injected <script> or onclick= does not run. Inline
# style= attributes are harmless enough to allow, and the pages use them.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def allowing_images_from(hosts) -> str:
    """The policy with images also from `hosts`: what a page over map tiles from another site sends."""
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data: blob:", " ".join(["img-src 'self' data: blob:",
                                                                                  *hosts]))


HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
)
# Chrome shows a PDF in a viewer page of its own that takes the PDF's policy: object-src 'none' leaves it blank.
# Our PDFs (reports, label sheets) run no script of ours, so they go without one.
WITHOUT_POLICY = ("application/pdf",)


class SecurityHeaders:
    """WSGI middleware, outermost, so that no answer leaves without the headers."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def start_with_headers(status, headers, exc_info=None):
            present = {name.lower(): value for name, value in headers}
            wanted = HEADERS
            if present.get("content-type", "").startswith(WITHOUT_POLICY):
                wanted = [(name, value) for name, value in HEADERS if name != "Content-Security-Policy"]
            headers = list(headers) + [(name, value) for name, value in wanted if name.lower() not in present]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_with_headers)


def init_app(app) -> None:
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
