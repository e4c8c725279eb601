"""/docs: the API described from its OpenAPI schema as one self-contained page. FastAPI's own
Swagger UI and ReDoc load their scripts from a CDN, which is blank offline and a request leaving
the machine; this page fetches nothing and runs no script."""

from __future__ import annotations

import html
import json


def api_page(spec: dict) -> str:
    e = html.escape
    rows = []
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            ref = body.get("$ref", "").rsplit("/", 1)[-1]
            rows.append(
                f"<tr><td><code>{e(method.upper())}</code></td><td><code>{e(path)}</code></td>"
                f"<td>{e(op.get('summary', ''))}</td><td>{e(ref)}</td></tr>"
            )
    schemas = "".join(
        f"<h3 id='{e(name)}'>{e(name)}</h3><pre>{e(json.dumps(schema, indent=2))}</pre>"
        for name, schema in spec.get("components", {}).get("schemas", {}).items()
    )
    info = spec.get("info", {})
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(info.get("title", "API"))} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1000px;line-height:1.45}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
pre{{background:#f6f6f6;padding:.6rem;overflow-x:auto}}</style></head><body>
<h1>{e(info.get("title", "API"))} {e(info.get("version", ""))}</h1>
<p>{e(info.get("description", ""))}</p>
<p>The machine-readable schema: <a href="/openapi.json">/openapi.json</a>. Errors are JSON <code>{{"error": "…"}}</code>.</p>
<table><tr><th>method</th><th>path</th><th>what it does</th><th>body</th></tr>{"".join(rows)}</table>
<h2>Schemas</h2>{schemas}
</body></html>"""
