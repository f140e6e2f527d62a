"""Chinese comes first: every message in the code and the templates has a Chinese translation."""
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "municipal" / "translations"
# The marker functions the code uses besides gettext's own (README, "Translations").
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}


def _catalogue():
    with open(CATALOGUES / "zh" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def _forms(value) -> tuple:
    """A message's id or string as a tuple: plural messages have several forms."""
    return value if isinstance(value, tuple) else (value,)


def test_every_message_has_a_chinese_translation():
    untranslated = [m.id for m in _catalogue() if m.id and not all(_forms(m.string))]
    assert untranslated == []


def _extracted(tmp_path) -> Catalog:
    """The messages of the code and the templates as pybabel extract finds them, through a .pot file."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    template = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot = tmp_path / "messages.pot"
    with open(pot, "wb") as handle:
        write_po(handle, template)
    with open(pot, "rb") as handle:
        return read_po(handle)


def test_every_message_in_the_code_and_templates_is_in_the_chinese_catalogue_translated(tmp_path):
    chinese = _catalogue()
    missing, empty, fuzzy = [], [], []
    for message in _extracted(tmp_path):
        if not message.id:
            continue
        translated = chinese.get(message.id, context=message.context)
        if translated is None:
            missing.append(message.id)
        elif not all(_forms(translated.string)):
            empty.append(message.id)
        elif translated.fuzzy:
            fuzzy.append(message.id)
    assert (missing, empty, fuzzy) == ([], [], [])


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
