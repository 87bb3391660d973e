"""The local stack's Swagger UI page over /openapi.json (the outbox page: local.outbox_page)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SWAGGER_ASSETS = ("swagger-ui-bundle.min.js", "swagger-ui.min.css")
_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"


def swagger_assets_dir() -> Path | None:
    """Powertools ships Swagger UI's bundle: serving it works offline, unlike a CDN."""
    spec = importlib.util.find_spec("aws_lambda_powertools")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "event_handler" / "openapi" / "swagger_ui"
    return folder if all((folder / name).is_file() for name in SWAGGER_ASSETS) else None


def swagger_page() -> str:
    if swagger_assets_dir() is not None:
        script, style = (f"/_local/swagger-ui/{name}" for name in SWAGGER_ASSETS)
    else:
        script, style = f"{_CDN}/swagger-ui-bundle.js", f"{_CDN}/swagger-ui.css"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ecrm API (local)</title>
<link rel="stylesheet" href="{style}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{script}"></script>
<script>
window.ui = SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true}});
</script>
</body>
</html>
"""
