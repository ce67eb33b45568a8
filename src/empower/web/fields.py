"""Model fields whose contents are encrypted at rest (see ``crypto``).

Use them for every identifying value: names, phone numbers, addresses, the survivor's own words.
They cannot be searched or sorted in the database — by design, nothing readable is there.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from . import crypto


class _Encrypted(models.TextField):
    """Shared behaviour: the associated data is ``app_label.model.field``."""

    #: read by disclosure control, exports and the dump test
    sensitivity = "identifying"

    def contribute_to_class(self, cls: Any, name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        self.context = f"{cls._meta.label_lower}.{name}"

    def _seal(self, text: str) -> str:
        return crypto.encrypt(text, self.context)

    def _open(self, token: str) -> str:
        return crypto.decrypt(token, self.context)


class EncryptedTextField(_Encrypted):
    """Text stored encrypted. An empty value stays empty so that forms behave as usual."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return self._open(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return self._seal(value)


class EncryptedJSONField(_Encrypted):
    """JSON (a dict or list) stored as one encrypted text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return json.loads(self._open(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value else self.get_default()
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return self._seal(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))

    def value_to_string(self, obj: Any) -> str:
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder, ensure_ascii=False)

    def formfield(self, **kwargs: Any) -> Any:
        return None
