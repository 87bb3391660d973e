"""Web: the HTTP edge shared by every API function (handlers import it; domain modules never do).

- `router`, `params`, `event`: routes declared as with Powertools' resolver, served without
  its event handler or pydantic (cold starts); `current_event` is an `event.Event`.
- `openapi`: the OpenAPI document of an `App`, by Powertools' resolver (never on a Lambda start).
- `plain`: bodies and answers as plain dataclasses documented by their pydantic models, a
  plainly valid body read without pydantic; `lazy`, a module of models imported on first use.
- `http`: request bodies read safely (`loads`, `media_type`, size and depth limits), every error
  mapped to the one error body (`install_error_handlers`, `error_response`), the marketers' gate
  (`marketers_only`, `marketer`).
- `openapi_responses`: what a route answers, declared once for OpenAPI (`answers`, `admin`,
  `reads`) with the shared `ErrorBody` schema.
"""
