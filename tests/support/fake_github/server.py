"""FakeGitHub: the API server and the blob server on loopback, each uvicorn in a thread.

with FakeGitHub() as gh:                     # or the pytest fixture `fake_github`
    repo = gh.install("octo-org/app")        # an installation and a repository
    gh.url                                    # "http://127.0.0.1:PORT/" for githubkit base_url
    gh.app.private_key_pem, gh.app.app_id     # what the App under test authenticates with
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.fake_github import routes_app, routes_repos
from tests.support.fake_github.api import Api
from tests.support.fake_github.blob import BlobStore
from tests.support.fake_github.models import Installation, Repo, Token, now
from tests.support.fake_github.render import Renderer
from tests.support.fake_github.state import State
from tests.support.fake_github.webhooks import WebhookSender


@dataclass(frozen=True)
class FakeApp:
    """The GitHub App registration the fake knows (a fresh RSA key pair per instance)."""

    app_id: int
    slug: str
    client_id: str
    private_key_pem: str
    public_key_pem: str
    webhook_secret: str

    @classmethod
    def generate(cls, app_id: int = 424242, slug: str = "coverhub-test") -> FakeApp:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
        public = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        return cls(app_id, slug, f"Iv1.fake{app_id}", private, public, secrets.token_hex(16))


class ServerThread:
    """An ASGI app served by uvicorn in a daemon thread on a free 127.0.0.1 port."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", access_log=False, ws="none", loop="auto"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake GitHub server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


class FakeGitHub:
    def __init__(self, app: FakeApp | None = None, *, api_prefix: str = "") -> None:
        """`api_prefix="/api/v3"` serves the API as GitHub Enterprise Server does."""
        self.app = app or FakeApp.generate()
        self.state = State(self.app.app_id, self.app.slug)
        self.api = Api(self.state, self, api_prefix)
        routes_app.register(self.api)
        routes_repos.register(self.api)
        self.blob = BlobStore(lambda: self.state)
        self.hooks = WebhookSender(self)
        self.background: set[asyncio.Task[Any]] = set()
        self._api_server = ServerThread(self.api.asgi())
        self._blob_server = ServerThread(self.blob.asgi())
        self.url = f"http://127.0.0.1:{self._api_server.port}{self.api.prefix}/"
        self.blob.url = f"http://127.0.0.1:{self._blob_server.port}"
        self.render = Renderer(self.state, self.url)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeGitHub:
        self._api_server.start()
        self._blob_server.start()
        return self

    def stop(self) -> None:
        self._api_server.stop()
        self._blob_server.stop()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget all state, faults, blob requests and deliveries (servers keep running)."""
        self.state = State(self.app.app_id, self.app.slug)
        self.api.state = self.state
        self.api.faults.clear()
        self.api.used.clear()
        self.render = Renderer(self.state, self.url)
        self.blob.reset()
        self.hooks.reset()

    # ------------------------------------------------------------------ conveniences

    @property
    def api_url(self) -> str:
        return self.url.rstrip("/")

    def install(
        self, full_name: str, *, installation: Installation | None = None, **repo_fields: Any
    ) -> Repo:
        """A repository with the App installed on its owner (one installation per owner)."""
        owner = full_name.split("/")[0]
        if installation is None:
            with self.state.lock:
                found = [i for i in self.state.installations.values() if i.account.login == owner]
            installation = found[0] if found else self.state.add_installation(owner)
        return self.state.add_repo(full_name, installation, **repo_fields)

    def fork(self, parent: Repo, owner: str = "outsider") -> Repo:
        """A fork of `parent` where the App is NOT installed (as for a fork PR)."""
        return self.state.add_repo(f"{owner}/{parent.name}", None, fork_of=parent)

    def token_headers(self, repo: Repo) -> dict[str, str]:
        """Authorization headers with a fresh installation token for `repo` (for raw httpx)."""
        assert repo.installation is not None, f"the App is not installed on {repo.full_name}"
        token = Token(
            "ghs_" + secrets.token_urlsafe(27),
            repo.installation,
            now() + timedelta(hours=1),
            None,
            dict(repo.installation.permissions),
        )
        with self.state.lock:
            self.state.tokens[token.token] = token
        return {"Authorization": f"token {token.token}"}

    def fail(self, method: str, path: str, status: int, **kwargs: Any) -> None:
        """Fault injection, e.g. fail("POST", "/statuses/", 500) or 429 with Retry-After."""
        self.api.fail(method, path, status, **kwargs)

    def githubkit(self, installation_id: int | None = None, **config: Any) -> Any:
        """A githubkit client on this fake (App auth; as the installation when given)."""
        from githubkit import AppAuthStrategy, GitHub
        from githubkit.cache import MemCacheStrategy

        auth: Any = AppAuthStrategy(str(self.app.app_id), self.app.private_key_pem)
        if installation_id is not None:
            auth = auth.as_installation(installation_id)
        config.setdefault("http_cache", False)
        config.setdefault("cache_strategy", MemCacheStrategy())
        return GitHub(auth, base_url=self.url, **config)

    def wait_background(self, seconds: float = 5.0) -> None:
        """Wait for background work of the server (webhook redeliveries) to finish."""
        deadline = time.monotonic() + seconds
        while self.background:
            if time.monotonic() > deadline:
                raise TimeoutError(f"fake GitHub background work still running after {seconds} s")
            time.sleep(0.01)
