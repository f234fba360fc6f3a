"""The Jinja loader of render/messages.py's Renderer, apart from it so that importing messages
loads no Jinja: a Renderer imports this when it first compiles a template."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from jinja2 import BaseLoader, Environment, TemplateNotFound

from relance.render.messages import SHIPPED_FOLDER, TemplateFiles, _split_name

__all__ = ["Loader"]


class Loader(BaseLoader):
    """Serves one language: overrides first, then the shipped files of that language."""

    def __init__(
        self,
        lang: str,
        overrides: Mapping[str, str],
        files: TemplateFiles,
        filenames: dict[str, tuple[str, str, str]],
    ) -> None:
        self.lang = lang
        self.overrides = overrides  # loader name -> source
        self.files = files
        self.filenames = filenames  # filename -> (template, lang, part), shared with the Renderer

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        stem, part = _split_name(template)
        if template in self.overrides:
            filename = f"<workbook Templates: {stem} / {self.lang} / {part}>"
            self.filenames[filename] = (stem, self.lang, part)
            return self.overrides[template], filename, _always
        source = self.files.get((self.lang, template))
        if source is not None:
            filename = f"{SHIPPED_FOLDER}/{self.lang}/{template}"
            self.filenames[filename] = (stem, self.lang, part)
            return source, filename, _always
        raise TemplateNotFound(template)


def _always() -> bool:
    return True  # sources never change during a run: no stat per render
