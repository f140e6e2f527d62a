"""Chinese comes first: every message in the catalogue has a Chinese translation."""
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUES = Path(__file__).resolve().parents[2] / "municipal" / "translations"


def test_every_message_has_a_chinese_translation():
    with open(CATALOGUES / "zh" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    assert untranslated == []


def test_placeholders_survive_translation():
    with open(CATALOGUES / "zh" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    for message in catalogue:
        if message.id and message.string:
            assert sorted(message.python_format and _names(message.id) or []) == sorted(
                message.python_format and _names(message.string) or []), message.id


def _names(text):
    import re

    return re.findall(r"%\((\w+)\)s", text)
