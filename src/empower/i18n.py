"""Translatable messages for the pure packages, which never import Django.

A message made in ``empower.instruments`` (a problem with a row of an imported file, say) is
read much later, on a page in the reader's language. So the pure code does not render it: it
keeps a :class:`Text` — the English template, marked for the message catalogue with
:func:`gettext_noop`, and the values to put in it — and the text is rendered when it is turned
into a string. The web site installs Django's translation functions with
:func:`set_translator` when it starts (``empower.web.fieldwork.apps``); until then, and in any
program that does not, every text is the English template.

    Text(gettext_noop("'%(value)s' is not a date"), {"value": text})

Templates use named placeholders only, so translators can put them in any order; column names,
file names and values stay in the parameters, never in the template. ``make messages`` collects
the templates from these packages into the site's catalogues.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Translate = Callable[[str], str]
TranslatePlural = Callable[[str, str, int], str]


def _english(message: str) -> str:
    return message


def _english_plural(singular: str, plural: str, number: int) -> str:
    return singular if number == 1 else plural


_translate: Translate = _english
_translate_plural: TranslatePlural = _english_plural


def set_translator(translate: Translate | None,
                   translate_plural: TranslatePlural | None = None
                   ) -> tuple[Translate, TranslatePlural]:
    """Render every :class:`Text` with these functions from now on (Django's ``gettext`` and
    ``ngettext``, which follow the language active at that moment); ``None`` for English.
    Returns the functions used until now, so they can be put back."""
    global _translate, _translate_plural
    previous = _translate, _translate_plural
    _translate = translate or _english
    _translate_plural = translate_plural or _english_plural
    return previous


def gettext_noop(message: str) -> str:
    """Mark a message template for the catalogue; it is translated when it is rendered.

    The name is one the message collector (``makemessages``, i.e. ``xgettext``) looks for."""
    return message


@dataclass(frozen=True)
class Text:
    """A message in the language of whoever reads it: ``str(text)`` translates the template
    with the installed translator, then fills in the parameters.

    With ``plural`` set, ``number`` chooses between the forms as the language's grammar
    requires (Bengali and English have two, Burmese one). A parameter may itself be a
    ``Text``; it is rendered in the same language.
    """

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str = ""
    number: int = 0

    def __str__(self) -> str:
        if self.plural:
            chosen = _translate_plural(self.template, self.plural, self.number)
        else:
            chosen = _translate(self.template)
        return chosen % dict(self.params) if self.params else chosen

    def __hash__(self) -> int:
        # the parameters are texts and numbers; anything else by its representation
        params = tuple(sorted((k, v if isinstance(v, (str, int, Text)) else repr(v))
                              for k, v in self.params.items()))
        return hash((self.template, params, self.plural, self.number))


def ngettext_lazy(singular: str, plural: str, number: int,
                  params: Mapping[str, Any] | None = None) -> Text:
    """A message with a singular and a plural template (both collected for the catalogue under
    this name), rendered in the form ``number`` needs. ``number`` is also available to the
    templates as ``%(number)s`` unless ``params`` says otherwise."""
    return Text(singular, {"number": number, **(params or {})}, plural=plural, number=number)


__all__ = ["Text", "gettext_noop", "ngettext_lazy", "set_translator"]
