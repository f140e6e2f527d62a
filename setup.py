"""The build puts into the package what a source checkout keeps beside it: the compiled translation
catalogues (the .mo files are not in git; without them an installed platform speaks only English), and
the templates, static files and migrations (under municipal/share/, where create_app looks for them)."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGUES = Path("municipal") / "translations"
SHARED = ("templates", "static", "migrations")


class BuildWithCatalogues(build_py):
    def run(self):
        super().run()
        # An editable install runs from the source tree: the catalogues are compiled there, and the
        # shared folders are already beside the package.
        root = Path() if self.editable_mode else Path(self.build_lib)
        compile_catalogues(root)
        if not self.editable_mode:
            for name in SHARED:
                shutil.copytree(name, root / "municipal" / "share" / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def compile_catalogues(root: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(CATALOGUES.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3])
        target = root / po.with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as compiled:
            write_mo(compiled, catalog)


setup(cmdclass={"build_py": BuildWithCatalogues})
