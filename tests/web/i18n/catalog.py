"""Read what the site asks translators for, and what they delivered.

* ``template_msgids`` lists the messages a template passes to translation, taken from the
  compiled template (so ``trimmed``, context and plural forms are exactly as Django looks
  them up).
* ``read_po`` is a small reader of gettext ``.po`` files: enough for the files
  ``makemessages`` writes (comments, flags, ``msgctxt``, plurals, multi-line strings).
* ``mo_catalog`` turns parsed entries into the catalog a compiled ``.mo`` file holds, the way
  ``msgfmt`` does (fuzzy and untranslated entries left out), so it can be compared with the
  committed ``.mo`` read by Python's own ``gettext``.
"""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils.functional import Promise
from django.utils.translation import trim_whitespace

CONTEXT_SEPARATOR = "\x04"


@dataclass(frozen=True)
class Message:
    msgid: str
    context: str | None = None
    plural: str | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


def _nodes(nodelist):  # type: ignore[no-untyped-def]
    for node in nodelist:
        yield node
        for name in getattr(node, "child_nodelists", ()):
            yield from _nodes(getattr(node, name, None) or [])


def template_msgids(name: str) -> set[Message]:
    """Every message the template ``name`` (not the ones it extends) asks to translate."""
    template = engines["django"].get_template(name).template
    found: set[Message] = set()
    for node in _nodes(template.nodelist):
        found |= _translated_variables(node)
        if isinstance(node, TranslateNode):
            literal = node.filter_expression.var
            value = getattr(literal, "literal", None)
            if isinstance(value, str):
                context = node.message_context.var.literal if node.message_context else None
                # As Django looks it up (template.base.Variable.resolve): a literal's "%" is
                # doubled, so that the text is never formatted.
                found.add(Message(value.replace("%", "%%"), context))
        elif isinstance(node, BlockTranslateNode):
            singular, _vars = node.render_token_list(node.singular)
            plural = None
            if node.plural:
                plural, _vars = node.render_token_list(node.plural)
            if node.trimmed:
                singular = trim_whitespace(singular)
                plural = trim_whitespace(plural) if plural else None
            context = node.message_context.var.literal if node.message_context else None
            found.add(Message(singular, context, plural))
    return found


def _translated_variables(node) -> set[Message]:  # type: ignore[no-untyped-def]
    """``_("…")`` in a variable or a filter argument, e.g. ``{{ x|default:_("none") }}``."""
    expression = getattr(node, "filter_expression", None)
    if expression is None or isinstance(node, TranslateNode):
        return set()
    # Django turns a constant _("…") into a lazy translation when it parses the template.
    values = [expression.var] + [arg for _f, args in expression.filters for _lookup, arg in args]
    return {
        Message(v._args[0]) for v in values
        if isinstance(v, Promise) and len(getattr(v, "_args", ())) == 1
    }


@dataclass
class Entry:
    msgid: str = ""
    context: str | None = None
    plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def _unquote(text: str, where: str) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"{where}: expected a quoted string, found {text!r}")
    return ast.literal_eval(text)


def _entry(lines: list[tuple[int, str]], path: Path) -> Entry | None:
    """One entry from its block of lines (``makemessages`` separates entries by blank lines)."""
    entry = Entry()
    target: str | None = None
    seen = False
    for number, line in lines:
        where = f"{path}:{number}"
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
            if not line:
                continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if target is None:
                raise ValueError(f"{where}: a continued string with nothing before it")
            text = _unquote(line, where)
        else:
            target, _, rest = line.partition(" ")
            if target not in ("msgctxt", "msgid", "msgid_plural", "msgstr") and not (
                target.startswith("msgstr[") and target.endswith("]")
            ):
                raise ValueError(f"{where}: unknown keyword {target!r}")
            text = _unquote(rest, where)
            seen = True
            if target == "msgctxt":
                entry.context = ""
            elif target == "msgid_plural":
                entry.plural = ""
            elif target.startswith("msgstr"):
                entry.msgstr[int(target[7:-1]) if "[" in target else 0] = ""
        if target == "msgctxt":
            entry.context = (entry.context or "") + text
        elif target == "msgid":
            entry.msgid += text
        elif target == "msgid_plural":
            entry.plural = (entry.plural or "") + text
        else:
            slot = int(target[7:-1]) if target and "[" in target else 0
            entry.msgstr[slot] += text
    return entry if seen else None


def read_po(path: Path) -> list[Entry]:
    """The entries of a ``.po`` file, header (msgid "") included, obsolete ones marked."""
    entries: list[Entry] = []
    block: list[tuple[int, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate([*lines, ""], start=1):
        line = raw.strip()
        if line:
            block.append((number, line))
            continue
        if block:
            entry = _entry(block, path)
            if entry is not None:
                entries.append(entry)
        block = []
    return entries


def mo_catalog(entries: list[Entry]) -> dict[object, str]:
    """What ``msgfmt`` would compile, keyed as Python's ``gettext`` keys its catalog."""
    catalog: dict[object, str] = {}
    for entry in entries:
        if entry.obsolete or entry.fuzzy or not entry.translated:
            continue
        msgid = entry.msgid
        if entry.context is not None:
            msgid = f"{entry.context}{CONTEXT_SEPARATOR}{msgid}"
        if entry.plural is not None:
            for index, text in entry.msgstr.items():
                catalog[(msgid, index)] = text
        elif msgid == "":
            # msgfmt leaves the template's creation date out of the compiled header, so that
            # compiling the same translations always gives the same file.
            catalog[msgid] = "".join(
                line for line in entry.msgstr[0].splitlines(keepends=True)
                if not line.startswith("POT-Creation-Date:")
            )
        else:
            catalog[msgid] = entry.msgstr[0]
    return catalog


def read_mo(path: Path) -> dict[object, str]:
    """The catalog of a compiled ``.mo`` file, as Python's ``gettext`` reads it."""
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]
