"""An ASGI service (uvicorn) with coverhub's runtime coverage endpoint wrapped around it."""

import os
from urllib.parse import parse_qs

import uvicorn

import shop
from app.pycover import asgi_app


async def work(scope, receive, send):
    if scope["type"] != "http":
        return
    query = parse_qs(scope["query_string"].decode())
    body = shop.run(query["op"][0], query["arg"][0]).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


uvicorn.run(
    asgi_app(fallback=work),
    host="127.0.0.1",
    port=int(os.environ["PORT"]),
    log_level="warning",
    lifespan="off",
)
