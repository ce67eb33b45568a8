"""Read an instrument from YAML, check it thoroughly, and write it back.

An instrument file is written by an analyst, often while adapting it to a new place or
language, so the loader is deliberately strict: a typo such as ``itmes`` or a reference to a
scale that does not exist would otherwise silently change what is asked or how it is scored.
Every problem found is collected and reported together, each with the path of the field it
concerns (``items[sc3].scale``, ``subscales[healing_growth].items[2]``), so one round of
corrections is usually enough. The format is documented in ``docs/instruments.md``.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, TypeGuard, cast

import yaml

from empower.i18n import Text
from empower.instruments.model import (
    NOT_APPLICABLE,
    PREFER_NOT_TO_SAY,
    Axis,
    Factor,
    Instrument,
    Item,
    ItemKind,
    Option,
    ResponseScale,
    Scoring,
    ServiceBlock,
    Subscale,
    Texts,
    text_in,
)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
VERSION_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
PLACEHOLDER_PATTERN = re.compile(r"\{([^{}]*)\}")

KINDS = ("four_axis_interview", "scales")
ITEM_KINDS = ("rating", "effect", "text", "choice")
METHODS = ("ladder", "subscale_mean")
SENSITIVITIES = ("identifying", "quasi_identifying", "sensitive", "plain")
DEFAULT_SENSITIVITY = "sensitive"
DEFAULT_MIN_ANSWERED = 0.8

LIBRARY_FOLDER = Path(__file__).parent / "library"

#: Stands for a required key that is absent; its absence has already been reported, so the
#: readers return an empty value without a second message.
_MISSING: Any = object()

_TOP_REQUIRED = ("id", "version", "kind", "title", "languages", "axes", "items", "scoring")
_TOP_OPTIONAL = (
    "description",
    "factors",
    "scales",
    "subscales",
    "services",
    "factor_effects",
    "factor_notes",
)
_ITEM_OPTIONAL = (
    "scale",
    "axis",
    "factor",
    "subscale",
    "reverse",
    "required",
    "sensitivity",
    "section",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instrument file or a set of answers.

    ``field`` is a path into the data (``items[sc3].scale``) so the person fixing it knows
    where to look; ``message`` says in plain words what is wrong, in the reader's language when
    ``text`` is a translatable :class:`empower.i18n.Text`.
    """

    field: str
    text: str | Text

    @property
    def message(self) -> str:
        return str(self.text)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InstrumentError(ValueError):
    """An instrument could not be loaded; ``problems`` lists every reason at once."""

    def __init__(self, problems: list[Problem], source: str = "<text>") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{self.source}: {count} problem{'s' if count != 1 else ''} in the instrument"
        return "\n".join([head, *(f"{self.source}: {p}" for p in self.problems)])


# --------------------------------------------------------------------------- reading YAML


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys, which plain YAML silently overwrites."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base class reports unhashable keys itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise InstrumentError([Problem("(yaml)", _yaml_message(exc))], source) from None


def _yaml_message(exc: yaml.YAMLError) -> str:
    """Say what is wrong and on which line, without the parser's internal stream names."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"not valid YAML{where}: {problem}"


def load_instrument(path: str | Path) -> Instrument:
    """Load and check the instrument in the YAML file at ``path``.

    Raises :class:`InstrumentError` listing every problem; a missing file raises ``OSError``.
    """
    path = Path(path)
    return load_instrument_text(path.read_text(encoding="utf-8"), source=str(path))


def load_instrument_text(text: str, source: str = "<text>") -> Instrument:
    """Load and check an instrument from YAML text; ``source`` names it in error messages."""
    raw = _parse_yaml(text, source)
    reader = _Reader()
    instrument = reader.instrument(raw)
    if reader.problems or instrument is None:
        # A broken shared part (say the scale of the generated matrix) is reported once,
        # not once for every item that uses it.
        problems = list(dict.fromkeys(reader.problems)) or [Problem("", "could not be read")]
        raise InstrumentError(problems, source)
    return instrument


# --------------------------------------------------------------------------- small helpers


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the yes/no value {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return repr(value)


def _is_int(value: object) -> TypeGuard[int]:
    """True for real integers; YAML's ``true`` is a bool, which Python counts as an int."""
    return isinstance(value, int) and not isinstance(value, bool)


def _entry_paths(name: str, entries: Sequence[Any]) -> list[str]:
    """Name list entries by their id where possible, so paths survive reordering a file.

    Entries without a usable id, and repeats of an id, are named by position (from 0).
    """
    seen: set[str] = set()
    paths = []
    for index, entry in enumerate(entries):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(entry_id, str) and ID_PATTERN.match(entry_id) and entry_id not in seen:
            seen.add(entry_id)
            paths.append(f"{name}[{entry_id}]")
        else:
            paths.append(f"{name}[{index}]")
    return paths


def version_key(version: str) -> tuple[int, ...]:
    """Sort key comparing versions numerically by dot parts, so ``2.10`` > ``2.9``."""
    return tuple(int(part) for part in version.split("."))


# --------------------------------------------------------------------------- the reader


@dataclass
class _Parts:
    """The sections of an instrument file, each read but not yet checked against the others.

    List sections keep each entry's path beside it, for messages about cross-references.
    """

    top: dict[str, Any]
    id: str = ""
    version: str = ""
    kind: Any = None
    title: Texts = field(default_factory=dict)
    description: Texts = field(default_factory=dict)
    axes: list[tuple[str, Axis]] = field(default_factory=list)
    factors: list[tuple[str, Factor]] = field(default_factory=list)
    scales: list[tuple[str, ResponseScale]] = field(default_factory=list)
    items: list[tuple[str, Item]] = field(default_factory=list)
    subscales: list[tuple[str, Subscale]] = field(default_factory=list)
    scoring: dict[str, Any] | None = None
    min_answered: float = DEFAULT_MIN_ANSWERED
    services: ServiceBlock | None = None


class _Reader:
    """Turns parsed YAML into an :class:`Instrument`, collecting problems as it goes.

    Each section is read into model objects as far as possible, skipping broken entries, so
    that the cross-reference checks can still run and report their own problems.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = ()

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # ---- generic values

    def mapping(
        self, raw: Any, path: str, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """Check that ``raw`` is a mapping with the required keys and no unknown ones."""
        if not isinstance(raw, dict):
            self.problem(path, f"must be a mapping of 'key: value' lines, not {_describe(raw)}")
            return None
        allowed = (*required, *optional)
        for key in raw:
            if key not in allowed:
                self.problem(_join(path, str(key)), _unknown_key_message(key, allowed))
        for key in required:
            if key not in raw:
                self.problem(_join(path, key), "is required but missing")
        return raw

    def ident(self, raw: dict[str, Any], key: str, path: str) -> str:
        """A required identifier; ids are stored with every answer, so their form is fixed."""
        if key not in raw:
            return ""  # a missing required key has been reported by mapping()
        value = raw[key]
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.problem(
                _join(path, key),
                f"must be an identifier of lowercase letters, digits, '-' or '_' "
                f"(starting with a letter or digit), not {_describe(value)}",
            )
            return value if isinstance(value, str) else ""
        return value

    def reference(self, raw: dict[str, Any], key: str, path: str) -> str | None:
        """An optional reference to another part of the instrument (a scale, axis …)."""
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(_join(path, key), f"must be an identifier, not {_describe(value)}")
            return None
        return value

    def boolean(self, raw: dict[str, Any], key: str, path: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.problem(_join(path, key), f"must be true or false, not {_describe(value)}")
            return default
        return value

    def string(self, raw: dict[str, Any], key: str, path: str, default: str) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str):
            self.problem(_join(path, key), f"must be text, not {_describe(value)}")
            return default
        return value

    def share(self, raw: dict[str, Any], key: str, path: str, default: float) -> float:
        value = raw.get(key, default)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not 0 < value <= 1:
            self.problem(
                _join(path, key),
                f"must be a share above 0 and at most 1 (0.8 means 80 %), not {_describe(value)}",
            )
            return default
        return float(value)

    def texts(self, raw: Any, path: str, *, required: bool = True) -> Texts:
        """A text in several languages: ``{en: ..., bn: ...}``.

        The first listed language is the one every text must have, because it is what the
        interface falls back to when a translation is missing.
        """
        if raw is _MISSING or (raw is None and not required):
            return {}
        if not isinstance(raw, dict):
            self.problem(
                path,
                f"must be a mapping from language code to text (en: ...), not {_describe(raw)}",
            )
            return {}
        texts: Texts = {}
        for language, value in raw.items():
            where = _join(path, str(language))
            if self.languages and language not in self.languages:
                listed = ", ".join(self.languages)
                self.problem(where, f"language '{language}' is not in languages ({listed})")
            elif not isinstance(value, str) or not value.strip():
                self.problem(where, f"must be a non-empty text, not {_describe(value)}")
            else:
                texts[str(language)] = value
        first = self.languages[0] if self.languages else None
        if first and first not in raw:
            self.problem(
                _join(path, first),
                f"text in '{first}' is missing; every text needs the first listed language",
            )
        return texts

    def entries(self, raw: Any, path: str, *, required: bool = True) -> list[tuple[str, Any]]:
        """A list of entries, each paired with its path for messages."""
        if raw is _MISSING or (raw is None and not required):
            return []
        if not isinstance(raw, list):
            self.problem(path, f"must be a list ('- ...' lines), not {_describe(raw)}")
            return []
        return list(zip(_entry_paths(path, raw), raw, strict=True))

    def unique(self, things: Iterable[tuple[str, str]], what: str) -> None:
        """Report repeated ids; ``things`` are ``(path, id)`` pairs."""
        first: dict[str, str] = {}
        for path, thing_id in things:
            if not thing_id:
                continue
            if thing_id in first:
                self.problem(
                    _join(path, "id"),
                    f"{what} id '{thing_id}' is already used by {first[thing_id]}",
                )
            else:
                first[thing_id] = path

    # ---- top level

    def instrument(self, raw: Any) -> Instrument | None:
        if not isinstance(raw, dict):
            self.problem(
                "",
                "the file must be a YAML mapping of 'key: value' lines "
                f"(id: ..., version: ...), not {_describe(raw)}",
            )
            return None
        top = self.mapping(raw, "", _TOP_REQUIRED, _TOP_OPTIONAL)
        return None if top is None else self.assemble(self.read_parts(top))

    def read_parts(self, top: dict[str, Any]) -> _Parts:
        """Read every section on its own; references between them are checked afterwards."""
        self.languages = self.read_languages(top.get("languages"))
        parts = _Parts(top=top, id=self.ident(top, "id", ""), kind=top.get("kind"))
        parts.version = self.read_version(top.get("version", _MISSING))
        if "kind" in top and parts.kind not in KINDS:
            self.problem("kind", f"must be one of {', '.join(KINDS)}, not {_describe(parts.kind)}")
        parts.title = self.texts(top.get("title", _MISSING), "title")
        parts.description = self.texts(top.get("description"), "description", required=False)
        parts.axes = self.read_list(top.get("axes", _MISSING), "axes", self.axis, "axis")
        parts.factors = self.read_list(top.get("factors"), "factors", self.factor, "factor", False)
        parts.scales = self.read_list(top.get("scales"), "scales", self.scale, "scale", False)
        if "scoring" in top:
            parts.scoring = self.mapping(top["scoring"], "scoring", ("method",), ("min_answered",))
        share = self.share(parts.scoring or {}, "min_answered", "scoring", DEFAULT_MIN_ANSWERED)
        parts.min_answered = share
        parts.items = self.read_items(top, parts.axes, parts.factors)
        parts.subscales = self.read_list(
            top.get("subscales"),
            "subscales",
            lambda r, p: self.subscale(r, p, share),
            "subscale",
            False,
        )
        parts.services = self.read_services(top.get("services"))
        return parts

    def assemble(self, parts: _Parts) -> Instrument:
        """Run the cross-reference checks and build the instrument."""
        scale_map = {s.id: s for _, s in parts.scales}
        axis_ids = [a.id for _, a in parts.axes]
        factor_ids = {f.id for _, f in parts.factors}
        _CrossCheck(self, scale_map, set(axis_ids), factor_ids).run(
            parts.items, parts.subscales, parts.services
        )
        items = _fill_subscales([i for _, i in parts.items], [s for _, s in parts.subscales])
        method = (parts.scoring or {}).get("method")
        if parts.scoring is not None and method not in METHODS:
            self.problem(
                "scoring.method", f"must be one of {', '.join(METHODS)}, not {_describe(method)}"
            )
        elif parts.scoring is not None:
            self.check_method(method, parts.kind, axis_ids, items, parts.subscales)
        if parts.kind == "four_axis_interview" and "services" not in parts.top:
            self.problem("services", "a four_axis_interview needs a services block")
        return Instrument(
            id=parts.id,
            version=parts.version,
            kind=parts.kind,
            title=parts.title,
            description=parts.description,
            languages=self.languages,
            axes=tuple(a for _, a in parts.axes),
            factors=tuple(f for _, f in parts.factors),
            scales=scale_map,
            items=tuple(items),
            subscales=tuple(s for _, s in parts.subscales),
            scoring=Scoring(
                method=method if method in METHODS else "ladder",
                min_answered=parts.min_answered,
            ),
            services=parts.services,
        )

    def read_languages(self, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw:
            if raw is not None:
                self.problem(
                    "languages",
                    f"must be a non-empty list such as [en, bn, my], not {_describe(raw)}",
                )
            return ()
        good: list[str] = []
        for index, code in enumerate(raw):
            if not isinstance(code, str) or not LANGUAGE_PATTERN.match(code):
                self.problem(
                    f"languages[{index}]",
                    f"must be a language code such as en, bn, my or th, not {_describe(code)}",
                )
            elif code in good:
                self.problem(f"languages[{index}]", f"language '{code}' is listed twice")
            else:
                good.append(code)
        return tuple(good)

    def read_version(self, raw: Any) -> str:
        if raw is _MISSING:
            return ""
        if not isinstance(raw, str):
            self.problem(
                "version",
                f'must be a quoted string such as "2.0", not {_describe(raw)}: YAML reads an '
                f"unquoted 2.0 as a number, and 2.10 would become 2.1",
            )
            return str(raw)
        if not VERSION_PATTERN.match(raw):
            self.problem(
                "version", f'must be numbers separated by dots, such as "2.0", not {raw!r}'
            )
        return raw

    def read_list(
        self, raw: Any, path: str, read: Any, what: str, required: bool = True
    ) -> list[tuple[str, Any]]:
        """Read each entry of a list with ``read`` and check that ids are unique."""
        entries = self.entries(raw, path, required=required)
        result = [(p, obj) for p, entry in entries if (obj := read(entry, p)) is not None]
        self.unique(((p, obj.id) for p, obj in result), what)
        return result

    # ---- sections

    def axis(self, raw: Any, path: str) -> Axis | None:
        m = self.mapping(raw, path, ("id", "label"), ("description",))
        if m is None:
            return None
        return Axis(
            id=self.ident(m, "id", path),
            label=self.texts(m.get("label", _MISSING), _join(path, "label")),
            description=self.texts(
                m.get("description"), _join(path, "description"), required=False
            ),
        )

    def factor(self, raw: Any, path: str) -> Factor | None:
        axis = self.axis(raw, path)
        return None if axis is None else Factor(axis.id, axis.label, axis.description)

    def options(self, raw: Any, path: str, *, numbers: bool) -> tuple[Option, ...]:
        result: list[Option] = []
        for where, entry in self.entries(raw, path):
            m = self.mapping(entry, where, ("value", "label"))
            if m is None:
                continue
            if "value" not in m:
                continue
            value = m["value"]
            if value == PREFER_NOT_TO_SAY:
                self.problem(
                    _join(where, "value"),
                    "use 'prefer_not_to_say: true' on the scale "
                    "instead of an option with that value",
                )
            elif not (numbers and _is_int(value)) and not (
                isinstance(value, str) and ID_PATTERN.match(value)
            ):
                kinds = "a whole number or an identifier" if numbers else "an identifier"
                self.problem(_join(where, "value"), f"must be {kinds}, not {_describe(value)}")
            elif any(o.value == value and type(o.value) is type(value) for o in result):
                self.problem(_join(where, "value"), f"value {value!r} is used by another option")
            else:
                label = self.texts(m.get("label", _MISSING), _join(where, "label"))
                result.append(Option(value, label))
        if isinstance(raw, list) and not raw:
            self.problem(path, "needs at least one option")
        return tuple(result)

    def scale(self, raw: Any, path: str) -> ResponseScale | None:
        m = self.mapping(raw, path, ("id", "options"), ("minimum", "maximum", "prefer_not_to_say"))
        if m is None:
            return None
        options = self.options(m.get("options", _MISSING), _join(path, "options"), numbers=True)
        numeric: list[int] = [o.value for o in options if _is_int(o.value)]
        low, high = self.bounds(m, path, numeric)
        for option in options:
            if _is_int(option.value) and not low <= option.value <= high:
                self.problem(
                    _join(path, "options"),
                    f"option value {option.value} is outside minimum {low} … maximum {high}",
                )
        return ResponseScale(
            id=self.ident(m, "id", path),
            options=options,
            minimum=low,
            maximum=high,
            prefer_not_to_say=self.boolean(m, "prefer_not_to_say", path, True),
        )

    def bounds(self, m: dict[str, Any], path: str, numeric: list[int]) -> tuple[int, int]:
        """The numeric range, given explicitly or taken from the lowest and highest option."""
        if not numeric:
            for key in ("minimum", "maximum"):
                if key in m:
                    self.problem(_join(path, key), "only applies to scales with numeric options")
            return 0, 0
        low, high = m.get("minimum", min(numeric)), m.get("maximum", max(numeric))
        for key, value in (("minimum", low), ("maximum", high)):
            if not _is_int(value):
                self.problem(_join(path, key), f"must be a whole number, not {_describe(value)}")
                return min(numeric), max(numeric)
        if low >= high:
            self.problem(
                _join(path, "minimum"), f"minimum ({low}) must be lower than maximum ({high})"
            )
        return low, high

    def item(self, raw: Any, path: str) -> Item | None:
        m = self.mapping(raw, path, ("id", "kind", "text"), _ITEM_OPTIONAL)
        if m is None:
            return None
        kind = m.get("kind")
        if "kind" in m and kind not in ITEM_KINDS:
            self.problem(
                _join(path, "kind"),
                f"must be one of {', '.join(ITEM_KINDS)}, not {_describe(kind)}",
            )
        return Item(
            id=self.ident(m, "id", path),
            kind=cast(ItemKind, kind),
            text=self.texts(m.get("text", _MISSING), _join(path, "text")),
            scale=self.reference(m, "scale", path),
            axis=self.reference(m, "axis", path),
            factor=self.reference(m, "factor", path),
            subscale=self.reference(m, "subscale", path),
            reverse=self.boolean(m, "reverse", path, False),
            required=self.boolean(m, "required", path, False),
            sensitivity=self.sensitivity(m, path, DEFAULT_SENSITIVITY),
            section=self.string(m, "section", path, ""),
        )

    def sensitivity(self, m: dict[str, Any], path: str, default: str) -> str:
        value = m.get("sensitivity", default)
        if value not in SENSITIVITIES:
            self.problem(
                _join(path, "sensitivity"),
                f"must be one of {', '.join(SENSITIVITIES)}, not {_describe(value)}",
            )
            return default
        return value

    def read_items(
        self, top: dict[str, Any], axes: list[tuple[str, Axis]], factors: list[tuple[str, Factor]]
    ) -> list[tuple[str, Item]]:
        """Explicit items, then the items generated by ``factor_effects`` / ``factor_notes``."""
        items = [
            (p, item)
            for p, entry in self.entries(top.get("items", _MISSING), "items")
            if (item := self.item(entry, p)) is not None
        ]
        generated = _Generator(self, [a for _, a in axes], [f for _, f in factors]).items(
            top.get("factor_effects"), top.get("factor_notes")
        )
        items.extend(generated)
        self.unique(((p, i.id) for p, i in items), "item")
        return items

    def subscale(self, raw: Any, path: str, default_share: float) -> Subscale | None:
        m = self.mapping(raw, path, ("id", "label", "axis", "items"), ("min_answered",))
        if m is None:
            return None
        raw_items = m.get("items", [])
        if "items" in m and (not isinstance(raw_items, list) or not raw_items):
            self.problem(
                _join(path, "items"),
                f"must be a non-empty list of item ids, not {_describe(raw_items)}",
            )
            raw_items = []
        return Subscale(
            id=self.ident(m, "id", path),
            label=self.texts(m.get("label", _MISSING), _join(path, "label")),
            axis=self.ident(m, "axis", path),
            items=tuple(i if isinstance(i, str) else repr(i) for i in raw_items),
            min_answered=self.share(m, "min_answered", path, default_share),
        )

    def read_services(self, raw: Any) -> ServiceBlock | None:
        if raw is None:
            return None
        keys = ("service_types", "provider_types", "conditions", "effect_scale")
        m = self.mapping(raw, "services", keys)
        if m is None:
            return None
        return ServiceBlock(
            service_types=self.options(
                m.get("service_types", _MISSING), "services.service_types", numbers=False
            ),
            provider_types=self.options(
                m.get("provider_types", _MISSING), "services.provider_types", numbers=False
            ),
            conditions=self.options(
                m.get("conditions", _MISSING), "services.conditions", numbers=False
            ),
            effect_scale=self.ident(m, "effect_scale", "services"),
        )

    def check_method(
        self,
        method: Any,
        kind: Any,
        axis_ids: list[str],
        items: list[Item],
        subscales: list[tuple[str, Subscale]],
    ) -> None:
        """Check that the scoring method can produce a score for every axis."""
        if method == "ladder":
            for axis_id in axis_ids:
                found = sum(1 for i in items if i.kind == "rating" and i.axis == axis_id)
                if found != 1:
                    self.problem(
                        "scoring.method",
                        f"'ladder' needs exactly one rating item with "
                        f"axis '{axis_id}'; found {found}",
                    )
            return
        if not subscales:
            self.problem("scoring.method", "'subscale_mean' needs at least one subscale")
        elif kind == "scales":
            for axis_id in axis_ids:
                if not any(s.axis == axis_id for _, s in subscales):
                    self.problem(
                        "scoring.method", f"'subscale_mean' needs a subscale for axis '{axis_id}'"
                    )


def _unknown_key_message(key: Any, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key '{key}'{hint}; allowed here: {', '.join(allowed)}"


# --------------------------------------------------------------------------- generated items


class _Generator:
    """Expands ``factor_effects`` and ``factor_notes`` into ordinary items.

    For each factor, in order: one effect item per axis, then the factor's note. That is the
    order an interviewer follows: one factor at a time, across the axes, then in the
    survivor's own words.
    """

    def __init__(self, reader: _Reader, axes: list[Axis], factors: list[Factor]) -> None:
        self.reader, self.axes, self.factors = reader, axes, factors

    def items(self, effects_raw: Any, notes_raw: Any) -> list[tuple[str, Item]]:
        effect = self.template(
            effects_raw,
            "factor_effects",
            ("scale", "text"),
            ("section", "sensitivity", "required"),
            {"factor", "axis"},
        )
        note = self.template(
            notes_raw, "factor_notes", ("text",), ("section", "sensitivity", "required"), {"factor"}
        )
        generated: list[tuple[str, Item]] = []
        for factor in self.factors:
            if effect is not None:
                generated.extend(
                    ("factor_effects", self.make(effect, "effect", factor, axis))
                    for axis in self.axes
                )
            if note is not None:
                generated.append(("factor_notes", self.make(note, "text", factor, None)))
        return generated

    def template(
        self,
        raw: Any,
        path: str,
        required: tuple[str, ...],
        optional: tuple[str, ...],
        placeholders: set[str],
    ) -> Item | None:
        """Read a block into a template item whose text still holds the placeholders."""
        if raw is None:
            return None
        reader = self.reader
        m = reader.mapping(raw, path, required, optional)
        if m is None:
            return None
        if not self.factors:
            reader.problem(path, "generates no items because the instrument has no factors")
        text = reader.texts(m.get("text", _MISSING), _join(path, "text"))
        for language, value in text.items():
            for name in PLACEHOLDER_PATTERN.findall(value):
                if name not in placeholders:
                    allowed = ", ".join("{" + p + "}" for p in sorted(placeholders))
                    reader.problem(
                        _join(path, f"text.{language}"),
                        f"unknown placeholder {{{name}}}; use {allowed}",
                    )
        return Item(
            id="",
            kind="text",
            text=text,
            scale=reader.reference(m, "scale", path),
            required=reader.boolean(m, "required", path, False),
            sensitivity=reader.sensitivity(m, path, DEFAULT_SENSITIVITY),
            section=reader.string(m, "section", path, ""),
        )

    def make(self, template: Item, kind: ItemKind, factor: Factor, axis: Axis | None) -> Item:
        item_id = f"effect__{factor.id}__{axis.id}" if axis else f"note__{factor.id}"
        return replace(
            template,
            id=item_id,
            kind=kind,
            factor=factor.id,
            axis=axis.id if axis else None,
            text={lang: _fill(text, lang, factor, axis) for lang, text in template.text.items()},
        )


def _fill(template: str, language: str, factor: Factor, axis: Axis | None) -> str:
    """Put the factor's and axis's labels, in the same language, into a template text."""
    text = template.replace("{factor}", text_in(factor.label, language)[0])
    if axis is not None:
        text = text.replace("{axis}", text_in(axis.label, language)[0])
    return text


# --------------------------------------------------------------------------- cross references


class _CrossCheck:
    """Checks that every reference between parts of the instrument points somewhere sensible."""

    def __init__(
        self, reader: _Reader, scales: dict[str, ResponseScale], axes: set[str], factors: set[str]
    ) -> None:
        self.reader, self.scales, self.axes, self.factors = reader, scales, axes, factors

    def run(
        self,
        items: list[tuple[str, Item]],
        subscales: list[tuple[str, Subscale]],
        services: ServiceBlock | None,
    ) -> None:
        for path, item in items:
            self.item(path, item)
        self.subscales(items, subscales)
        if services is not None and services.effect_scale:
            self.numeric_scale(services.effect_scale, "services.effect_scale")

    def numeric_scale(self, scale_id: str | None, path: str) -> ResponseScale | None:
        scale = self.known_scale(scale_id, path)
        if scale is not None and not scale.numeric_values():
            self.reader.problem(path, f"scale '{scale_id}' has no numeric options to score")
            return None
        return scale

    def known_scale(self, scale_id: str | None, path: str) -> ResponseScale | None:
        if scale_id is None:
            return None
        if scale_id not in self.scales:
            self.reader.problem(path, f"unknown scale '{scale_id}'{_known(self.scales)}")
            return None
        return self.scales[scale_id]

    def item(self, path: str, item: Item) -> None:
        problem = self.reader.problem
        if item.kind == "text":
            if item.scale is not None:
                problem(_join(path, "scale"), "a text item has no scale")
        elif item.kind in ("rating", "effect"):
            self.required(item, "scale", path)
            self.numeric_scale(item.scale, _join(path, "scale"))
        elif item.kind == "choice":
            self.required(item, "scale", path)
            self.known_scale(item.scale, _join(path, "scale"))
        if item.kind == "effect":
            self.required(item, "axis", path)
            self.required(item, "factor", path)
        if item.reverse and (item.kind != "rating" or item.scale not in self.scales):
            problem(_join(path, "reverse"), "only a rating item on a numeric scale can be reversed")
        if item.axis is not None and item.axis not in self.axes:
            problem(_join(path, "axis"), f"unknown axis '{item.axis}'{_known(self.axes)}")
        if item.factor is not None and item.factor not in self.factors:
            problem(_join(path, "factor"), f"unknown factor '{item.factor}'{_known(self.factors)}")

    def required(self, item: Item, key: str, path: str) -> None:
        if getattr(item, key) is None:
            self.reader.problem(_join(path, key), f"is required for {_a(item.kind)} item")

    def subscales(
        self, items: list[tuple[str, Item]], subscales: list[tuple[str, Subscale]]
    ) -> None:
        by_id = {item.id: (path, item) for path, item in reversed(items)}
        owner: dict[str, str] = {}
        for path, subscale in subscales:
            if subscale.axis and subscale.axis not in self.axes:
                self.reader.problem(
                    _join(path, "axis"), f"unknown axis '{subscale.axis}'{_known(self.axes)}"
                )
            self.subscale_items(path, subscale, by_id, owner)
        known = {s.id for _, s in subscales}
        for path, item in items:
            if item.subscale is None:
                continue
            if item.subscale not in known:
                self.reader.problem(
                    _join(path, "subscale"), f"unknown subscale '{item.subscale}'{_known(known)}"
                )
            elif owner.get(item.id) != item.subscale:
                listed = owner.get(item.id)
                where = f"; it is listed in subscale '{listed}'" if listed else ""
                self.reader.problem(
                    _join(path, "subscale"),
                    f"subscale '{item.subscale}' does not list this item{where}",
                )

    def subscale_items(
        self,
        path: str,
        subscale: Subscale,
        by_id: dict[str, tuple[str, Item]],
        owner: dict[str, str],
    ) -> None:
        scales_used: set[str] = set()
        for index, item_id in enumerate(subscale.items):
            where = f"{path}.items[{index}]"
            if item_id not in by_id:
                self.reader.problem(where, f"unknown item '{item_id}'")
                continue
            if item_id in owner:
                self.reader.problem(
                    where,
                    f"item '{item_id}' is already in subscale "
                    f"'{owner[item_id]}'; an item can be in one subscale only",
                )
                continue
            owner[item_id] = subscale.id
            item = by_id[item_id][1]
            if item.kind in ITEM_KINDS and item.kind != "rating":  # a bad kind is reported
                self.reader.problem(
                    where,
                    f"item '{item_id}' is {_a(item.kind)} item; only rating "
                    "items can be scored in a subscale",
                )
            if item.scale in self.scales:
                scales_used.add(item.scale)
        if len(scales_used) > 1:
            self.reader.problem(
                _join(path, "items"),
                "all items of a subscale must use the same "
                f"scale; found {', '.join(sorted(scales_used))}",
            )


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _known(names: Iterable[str]) -> str:
    names = sorted(n for n in names if n)
    return f" (known: {', '.join(names)})" if names else " (none are defined)"


def _fill_subscales(items: list[Item], subscales: list[Subscale]) -> list[Item]:
    """Set ``item.subscale`` from the subscales' item lists, so a file need not say it twice."""
    owner: dict[str, str] = {}
    for subscale in subscales:
        for item_id in subscale.items:
            owner.setdefault(item_id, subscale.id)
    return [
        replace(item, subscale=owner[item.id])
        if item.subscale is None and item.id in owner
        else item
        for item in items
    ]


# --------------------------------------------------------------------------- writing YAML


def dump_instrument(instrument: Instrument) -> str:
    """Write ``instrument`` as YAML that :func:`load_instrument_text` reads back unchanged.

    Generated items (the factor × axis matrix and the notes) are written out one by one,
    which is what an analyst needs when a single question must be reworded in a new version.
    """
    data: dict[str, Any] = {
        "id": instrument.id,
        "version": instrument.version,
        "kind": instrument.kind,
        "title": dict(instrument.title),
    }
    if instrument.description:
        data["description"] = dict(instrument.description)
    data["languages"] = list(instrument.languages)
    data["axes"] = [_dump_labelled(a) for a in instrument.axes]
    data["factors"] = [_dump_labelled(f) for f in instrument.factors]
    data["scales"] = [_dump_scale(s) for s in instrument.scales.values()]
    data["items"] = [_dump_item(i) for i in instrument.items]
    data["subscales"] = [_dump_subscale(s) for s in instrument.subscales]
    data["scoring"] = {
        "method": instrument.scoring.method,
        "min_answered": instrument.scoring.min_answered,
    }
    if instrument.services is not None:
        data["services"] = _dump_services(instrument.services)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _dump_labelled(thing: Axis | Factor) -> dict[str, Any]:
    data: dict[str, Any] = {"id": thing.id, "label": dict(thing.label)}
    if thing.description:
        data["description"] = dict(thing.description)
    return data


def _dump_options(options: Iterable[Option]) -> list[dict[str, Any]]:
    return [{"value": o.value, "label": dict(o.label)} for o in options]


def _dump_scale(scale: ResponseScale) -> dict[str, Any]:
    data: dict[str, Any] = {"id": scale.id}
    if scale.numeric_values():
        data["minimum"] = scale.minimum
        data["maximum"] = scale.maximum
    data["prefer_not_to_say"] = scale.prefer_not_to_say
    data["options"] = _dump_options(scale.options)
    return data


def _dump_item(item: Item) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.id, "kind": item.kind, "text": dict(item.text)}
    for key in ("scale", "axis", "factor", "subscale"):
        if getattr(item, key) is not None:
            data[key] = getattr(item, key)
    if item.reverse:
        data["reverse"] = True
    if item.required:
        data["required"] = True
    if item.sensitivity != DEFAULT_SENSITIVITY:
        data["sensitivity"] = item.sensitivity
    if item.section:
        data["section"] = item.section
    return data


def _dump_subscale(subscale: Subscale) -> dict[str, Any]:
    return {
        "id": subscale.id,
        "label": dict(subscale.label),
        "axis": subscale.axis,
        "items": list(subscale.items),
        "min_answered": subscale.min_answered,
    }


def _dump_services(services: ServiceBlock) -> dict[str, Any]:
    return {
        "effect_scale": services.effect_scale,
        "service_types": _dump_options(services.service_types),
        "provider_types": _dump_options(services.provider_types),
        "conditions": _dump_options(services.conditions),
    }


# --------------------------------------------------------------------------- the library


def library(folder: str | Path | None = None) -> dict[str, Instrument]:
    """Every instrument in ``folder`` (default: the bundled library), keyed by ``id@version``.

    Without ``folder``, instruments installed in the folder named by ``EMPOWER_INSTRUMENTS_DIR``
    (see ``docs/xlsform.md``) are added to the bundled ones. Files are read once and cached;
    the instruments in a library never change in place, a new wording is a new file with a new
    version. The installed folder is read again when a file is added, so a running site sees
    a newly installed instrument.
    """
    if folder is not None:
        return dict(_load_folder(str(Path(folder).resolve())))
    found = dict(_load_folder(str(LIBRARY_FOLDER.resolve())))
    installed = install_folder()
    if installed is not None and installed.is_dir():
        resolved = installed.resolve()
        for key, instrument in _load_folder(str(resolved), _listing(resolved)):
            if key in found:
                raise InstrumentError(
                    [Problem("", f"{key} is both bundled and installed; remove the copy")],
                    str(resolved),
                )
            found[key] = instrument
    return found


#: The environment variable naming the folder where imported instruments are installed.
INSTALL_ENV = "EMPOWER_INSTRUMENTS_DIR"


def install_folder() -> Path | None:
    """The folder named by ``EMPOWER_INSTRUMENTS_DIR``, or ``None`` when it is not set."""
    value = os.environ.get(INSTALL_ENV, "").strip()
    return Path(value) if value else None


def _listing(folder: Path) -> tuple[tuple[str, int], ...]:
    """Names and modification times of the YAML files: a new file makes a new cache entry."""
    return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.yaml")))


@cache
def _load_folder(
    folder: str, listing: tuple[tuple[str, int], ...] = ()
) -> tuple[tuple[str, Instrument], ...]:
    found: dict[str, Instrument] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        instrument = load_instrument(path)
        if instrument.key in found:
            raise InstrumentError(
                [Problem("", f"{instrument.key} is defined in more than one file")], str(path)
            )
        found[instrument.key] = instrument
    return tuple(found.items())


def get_instrument(
    instrument_id: str, version: str | None = None, folder: str | Path | None = None
) -> Instrument:
    """The instrument ``instrument_id`` at ``version``, or its highest version if none is given.

    Raises ``KeyError`` when there is no such instrument or version.
    """
    candidates = [i for i in library(folder).values() if i.id == instrument_id]
    if version is not None:
        candidates = [i for i in candidates if i.version == version]
    if not candidates:
        wanted = instrument_id if version is None else f"{instrument_id}@{version}"
        raise KeyError(f"no instrument {wanted} in the library")
    return max(candidates, key=lambda i: version_key(i.version))


__all__ = [
    "INSTALL_ENV",
    "LIBRARY_FOLDER",
    "NOT_APPLICABLE",
    "InstrumentError",
    "Problem",
    "dump_instrument",
    "get_instrument",
    "install_folder",
    "library",
    "load_instrument",
    "load_instrument_text",
    "version_key",
]
