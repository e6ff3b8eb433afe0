"""A WSGI service (wsgiref) with coverhub's runtime coverage endpoint wrapped around it."""

import os
import signal
import sys
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import shop
from app.pycover import wsgi_app


def work(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    body = shop.run(query["op"][0], query["arg"][0]).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


# exit normally on SIGINT/SIGTERM: coverage.py then saves its data
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server = make_server("127.0.0.1", int(os.environ["PORT"]), wsgi_app(fallback=work), handler_class=Quiet)
server.serve_forever()
