"""The request class: what Werkzeug and Flask would let through as a 500 is refused as a 400 here, and a form
with a phone's photo is read with as little copying and reloading as it takes."""
from functools import cached_property
from io import BytesIO

from babel import support
from flask import Request as FlaskRequest
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser as WerkzeugFormDataParser
from werkzeug.formparser import MultiPartParser
from wtforms.i18n import messages_path


def too_deep() -> str:
    return _("The request body is nested too deeply.")


# Uploads in requests up to this size are kept in memory as they are parsed.
IN_MEMORY_BODY = 16 * 1024 * 1024

# WTForms' own catalogue by locale, read once per process.
_WTFORMS_CATALOGUES: dict = {}

# Werkzeug reads a multipart body 64 KiB at a time, and gunicorn copies what it has read ahead on each read:
# for a phone's 3 MB photo, reads just under the form memory limit take 3.9 ms of CPU against 6.9 ms
# (measured in turns in one gunicorn worker). Werkzeug refuses a read larger than that limit
# (MAX_FORM_MEMORY_SIZE, 500,000 bytes unless set), so the reads stay this much below it.
READ_MARGIN = 64 * 1024
SMALLEST_READ = 64 * 1024  # Werkzeug's own
READ_WITHOUT_LIMIT = 1024 * 1024


class FormDataParser(WerkzeugFormDataParser):
    def _parse_multipart(self, stream, mimetype, content_length, options):
        limit = self.max_form_memory_size
        parser = MultiPartParser(
            stream_factory=self.stream_factory, max_form_memory_size=limit, max_form_parts=self.max_form_parts,
            cls=self.cls, buffer_size=max(SMALLEST_READ, limit - READ_MARGIN) if limit else READ_WITHOUT_LIMIT)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class Request(FlaskRequest):
    form_data_parser_class = FormDataParser

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        # Werkzeug spools a file part over 500 KB to a temporary file; a phone's photo is then written to disk,
        # read back whole (media.check_image) and written again where it is kept. Up to IN_MEMORY_BODY, the
        # memory a request may take anyway, it stays in memory; larger bodies spool as before.
        if total_content_length is not None and total_content_length <= IN_MEMORY_BODY:
            return BytesIO()
        return super()._get_file_stream(total_content_length, content_type, filename, content_length)

    @cached_property
    def wtforms_translations(self):
        """WTForms' own words (its default labels, "This field is required.") in the request's language.
        Flask-WTF looks for them here first, else reads and parses their catalogue file again in every
        request that builds a form: a tenth of the work of opening the citizen's report form."""
        locale = get_locale()
        found = _WTFORMS_CATALOGUES.get(locale)
        if found is None:
            found = _WTFORMS_CATALOGUES[locale] = support.Translations.load(messages_path(), [locale],
                                                                            domain="wtforms")
        return found

    def _load_form_data(self):
        super()._load_form_data()
        # RFC 7578 gives every part a name; Werkzeug keeps a nameless one under None, which breaks every
        # reader of the form that expects text keys (CSRF's first).
        if None in self.form or None in self.files:
            self.form, self.files = ImmutableMultiDict(), ImmutableMultiDict()
            raise BadRequest(_("Every part of a form must have a name."))

    def get_json(self, force=False, silent=False, cache=True):
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            raise BadRequest(too_deep()) from None
