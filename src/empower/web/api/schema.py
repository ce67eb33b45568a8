"""How the OpenAPI schema describes the key scheme (drf-spectacular needs to be told about an
authentication class it does not know)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "empower.web.api.authentication.ApiKeyAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal key from /api/key/, sent as `Token emp_…` "
                           "(`Bearer emp_…` is accepted too).",
        }
