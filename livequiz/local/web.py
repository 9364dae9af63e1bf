"""The web app's static files and ``/config.json``, served by the local runtime.

``/config.json`` gives the pages the URLs of the REST API and the WebSocket API. They take the
host name the browser used for the page, so a page opened as ``localhost`` calls ``localhost``
and one opened by a phone through the machine's address calls that address. On AWS the same
file is uploaded next to the pages with the stack's URLs in it.
"""

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"
# Pages served without their .html suffix, as the join link /play?pin=... needs.
PAGES = ("play", "host")
FAVICON = "favicon.svg"


def with_host(url: str, host: str | None) -> str:
    """Return ``url`` with its host name replaced by ``host``, keeping the scheme and port."""
    if not host:
        return url
    parts = urlsplit(url)
    name = f"[{host}]" if ":" in host else host
    netloc = f"{name}:{parts.port}" if parts.port is not None else name
    return urlunsplit(parts._replace(netloc=netloc))


def allowed_origins(host: str, port: int) -> list[str]:
    """Return the origins of a web app served on ``host:port``, for the REST API's CORS."""
    names = ["127.0.0.1", "localhost"]
    if host not in ("0.0.0.0", "::", "", *names):
        names.append(f"[{host}]" if ":" in host else host)
    return [f"http://{name}:{port}" for name in names]


class SecurityHeaders:
    """ASGI middleware that adds a Content-Security-Policy and related headers to responses.

    Scripts, styles and fonts load only from the page's own origin, and the pages call only
    the REST and WebSocket APIs that ``/config.json`` names. Question images may come from any
    http or https host, because quiz authors link them.
    """

    def __init__(self, app: ASGIApp, connect_sources: list[str]) -> None:
        self.app = app
        policy = [
            "default-src 'self'",
            f"connect-src 'self' {' '.join(connect_sources)}",
            # The quiz format takes http:// image URLs as well as https:// ones, so the policy
            # allows both, or an accepted image would not show. A page served over https still
            # gets no http image, because browsers block mixed content.
            "img-src 'self' data: https: http:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
        self.headers = [
            (b"content-security-policy", "; ".join(policy).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *self.headers]
                # Pages and scripts change while developing, so browsers revalidate each one.
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-cache"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def connect_sources(rest_url: str | None, ws_url: str) -> list[str]:
    """Return the CSP sources of the APIs, for any host name the page may be opened under."""
    sources = []
    for url in (rest_url, ws_url):
        if url is None:
            continue
        parts = urlsplit(url)
        # The host name in /config.json follows the page's, so the policy allows any host on
        # the API's port and scheme. The page's own origin is 'self' already.
        sources.append(f"{parts.scheme}://*:{parts.port}")
        sources.append(f"{parts.scheme}://{parts.netloc}")
    return sources


def web_app(rest_url: str | None, ws_url: str, root: Path = WEB_ROOT) -> ASGIApp:
    """Build the ASGI app that serves ``root`` and ``/config.json``.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"the web app's folder {root} does not exist")

    async def config(request: Request) -> Response:
        host = request.url.hostname
        body = {
            "rest_url": with_host(rest_url, host) if rest_url is not None else None,
            "ws_url": with_host(ws_url, host),
        }
        return JSONResponse(body, headers={"cache-control": "no-store"})

    def page(name: str) -> Route:
        async def serve(request: Request) -> Response:
            return FileResponse(root / f"{name}.html")

        return Route(f"/{name}", serve, methods=["GET", "HEAD"])

    # Browsers request /favicon.ico for a page whose head links no icon, so it returns the SVG.
    async def favicon(request: Request) -> Response:
        return FileResponse(root / FAVICON, media_type="image/svg+xml")

    routes = [
        Route("/config.json", config, methods=["GET"]),
        *(
            [Route("/favicon.ico", favicon, methods=["GET", "HEAD"])]
            if (root / FAVICON).is_file()
            else []
        ),
        *(page(name) for name in PAGES if (root / f"{name}.html").is_file()),
        Mount("/", StaticFiles(directory=root, html=True), name="static"),
    ]
    app = Starlette(routes=routes)
    return SecurityHeaders(app, connect_sources(rest_url, ws_url))
