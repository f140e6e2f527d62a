"""Chinese comes first: every message in the catalogue has a Chinese translation."""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGUES = Path(__file__).resolve().parents[2] / "municipal" / "translations"


def _catalogue():
    with open(CATALOGUES / "zh" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def _forms(value) -> tuple:
    """A message's id or string as a tuple: plural messages have several forms."""
    return value if isinstance(value, tuple) else (value,)


def test_every_message_has_a_chinese_translation():
    untranslated = [m.id for m in _catalogue() if m.id and not all(_forms(m.string))]
    assert untranslated == []


def test_placeholders_survive_translation():
    for message in _catalogue():
        if not (message.id and message.python_format):
            continue
        expected = sorted(_names(_forms(message.id)[-1]))
        for translated in _forms(message.string):
            assert sorted(_names(translated)) == expected, message.id


def _names(text):
    return re.findall(r"%\((\w+)\)s", text)


def test_a_language_without_its_compiled_catalogue_stops_the_start_naming_the_file_and_the_fix(tmp_path):
    from municipal.i18n import MissingCatalogue, check_catalogues

    (tmp_path / "zh" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "zh" / "LC_MESSAGES" / "messages.po").write_text("")

    with pytest.raises(MissingCatalogue) as refused:
        check_catalogues(["zh", "en"], tmp_path)

    assert str(tmp_path / "zh" / "LC_MESSAGES" / "messages.mo") in str(refused.value)
    assert "pybabel compile -d" in str(refused.value)
    (tmp_path / "zh" / "LC_MESSAGES" / "messages.mo").write_bytes(b"")
    check_catalogues(["zh", "en"], tmp_path)  # English is the source language: it needs no catalogue
