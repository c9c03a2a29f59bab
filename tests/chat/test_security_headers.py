"""What every response tells the browser to refuse (part 2, step 5 on), and,
on the platform, HTTPS only (part 3 on): on the real server's responses.

On the platform the router ends HTTPS and passes each request on over plain
http, saying in X-Forwarded-Proto how the browser came. The tests play the
router: they send that header themselves, to the Procfile's command started
with DYNO set, as the platform starts it.
"""
import re

import pytest
import requests

from harness.chat_user import TIMEOUT
from harness.servers import Server, procfile_command, require_programs
from harness.stack import PLATFORM_ENV, RedisServer, uses_message_queue

# A page, the chat page (which sets the session cookie), two static files
# and a page that does not exist: every response carries the headers.
PAGES = ["/", "/chat?username=alice&room=maths", "/static/chat.js",
         "/static/style.css", "/no-such-page"]
CHAT_PAGE = PAGES[1]
SIX_MONTHS = 15552000  # seconds: the least HSTS max-age worth having

HEADERS = [
    # header, the values that do the job, what it stops
    ("X-Frame-Options", {"DENY"},
     "another site showing the chat inside a frame to trick clicks"),
    ("X-Content-Type-Options", {"nosniff"},
     "a file being run as a script although its Content-Type says text"),
    ("Referrer-Policy", {"no-referrer", "same-origin", "strict-origin",
                        "strict-origin-when-cross-origin"},
     "other sites reading the chat page's address (name and room) in the "
     "Referer header"),
]
POLICY = [
    # directive, the values that do the job, what it stops
    ("default-src", {"'self'"},
     "scripts, styles and other files from other sites, or written inline"),
    ("connect-src", {"'self'"},
     "the page talking to any server but this one ('self' covers its "
     "WebSocket too)"),
    ("object-src", {"'none'"}, "plugins (<object>, <embed>)"),
    ("base-uri", {"'none'", "'self'"},
     "an injected <base> tag sending the page's relative links elsewhere"),
    ("form-action", {"'self'"}, "a form that sends what you typed elsewhere"),
    ("frame-ancestors", {"'none'"},
     "another site showing the chat inside a frame to trick clicks"),
]
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'")


@pytest.fixture(scope="module")
def responses(server):
    """{path: response} of the real server, for each of PAGES."""
    return {path: requests.get(server.url + path, timeout=TIMEOUT,
                               allow_redirects=False)
            for path in PAGES}


def directives(policy):
    """{"default-src": ["'self'"], ...} of a Content-Security-Policy."""
    found = {}
    for part in policy.split(";"):
        if part.strip():
            name, *values = part.split()
            found.setdefault(name.lower(), values)  # browsers use the first
    return found


def cookie_flags(response):
    """The attributes of the session cookie the response sets, lower case:
    {"httponly": "", "samesite": "Lax", ...}."""
    header = response.headers.get("Set-Cookie", "")
    assert header.startswith("session="), (
        f"{response.url} should set the session cookie: Set-Cookie is "
        f"{header!r}")
    flags = {}
    for attribute in header.split(";")[1:]:
        name, _, value = attribute.strip().partition("=")
        flags[name.lower()] = value
    return flags


@pytest.mark.parametrize(("header", "good", "stops"), HEADERS,
                         ids=[row[0] for row in HEADERS])
@pytest.mark.step(5)
def test_every_response_carries_the_header(responses, header, good, stops):
    wrong = {path: response.headers.get(header)
             for path, response in responses.items()
             if response.headers.get(header) not in good}
    assert not wrong, (
        f"every response should carry {header}: {' or '.join(sorted(good))}, "
        f"which stops {stops}; these do not: {wrong}. Set it in an "
        "@app.after_request function")


@pytest.mark.parametrize(("directive", "good", "stops"), POLICY,
                         ids=[row[0] for row in POLICY])
@pytest.mark.step(5)
def test_the_content_security_policy_has(responses, directive, good, stops):
    wrong = {}
    for path, response in responses.items():
        values = directives(response.headers.get(
            "Content-Security-Policy", "")).get(directive)
        if not values or not set(values) <= good:
            wrong[path] = values
    assert not wrong, (
        f"every response's Content-Security-Policy should say {directive} "
        f"{' or '.join(sorted(good))}, which stops {stops}; these do not "
        f"(what they say): {wrong}")


@pytest.mark.step(5)
def test_the_content_security_policy_allows_nothing_inline(responses):
    unsafe = {}
    for path, response in responses.items():
        policy = response.headers.get("Content-Security-Policy", "")
        found = [value for value in UNSAFE if value in policy]
        if found:
            unsafe[path] = found
    assert not unsafe, (
        "the Content-Security-Policy should allow no inline script or style "
        "and no eval: an injected one would run. Move what is inline into "
        f"static/ instead. These allow it: {unsafe}")


@pytest.mark.step(5)
def test_the_session_cookie_stays_with_this_site(responses):
    flags = cookie_flags(responses[CHAT_PAGE])
    assert "httponly" in flags, (
        "the session cookie should be HttpOnly, so that no script can read "
        f"it: its attributes are {flags}")
    assert flags.get("samesite") == "Lax", (
        "the session cookie should be SameSite=Lax, so that it does not go "
        "along when another site posts to this one: its attributes are "
        f"{flags}")
    assert "secure" not in flags, (
        "off the platform the session cookie should not be Secure: a browser "
        "sends a Secure cookie over https only, so a student who opens "
        f"http://<laptop>:5000 would never get into the chat ({flags})")


@pytest.mark.step(1, part=3)
def test_off_the_platform_plain_http_is_served_without_hsts(responses):
    for path, response in responses.items():
        assert response.status_code in (200, 404), (
            f"without DYNO, http://127.0.0.1 should keep working: {path} "
            f"answered {response.status_code} {response.headers.get('Location')}")
        assert "Strict-Transport-Security" not in response.headers, (
            f"without DYNO and over plain http, {path} should send no "
            "Strict-Transport-Security: it means something over HTTPS only")


@pytest.fixture(scope="module")
def platform(checkpoint):
    """The Procfile's web command with DYNO set, as the platform starts it
    (part 4: with a Redis of its own, as the platform's add-on)."""
    env = dict(PLATFORM_ENV)
    redis = None
    if uses_message_queue(checkpoint):
        require_programs("redis-server")
        redis = RedisServer().wait_until_serving()
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/0"
    server = Server(procfile_command(checkpoint), cwd=checkpoint, env=env)
    try:
        yield server.wait_until_serving()
    finally:
        server.close()
        if redis:
            redis.close()


def through_the_router(platform, path, scheme):
    """GET `path` as the router passes it on when the browser used
    `scheme` to reach chat.example.com."""
    return requests.get(platform.url + path, timeout=TIMEOUT,
                        allow_redirects=False,
                        headers={"Host": "chat.example.com",
                                 "X-Forwarded-Proto": scheme})


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.step(1, part=3)
def test_on_the_platform_http_is_redirected_to_https(platform, path):
    response = through_the_router(platform, path, "http")
    assert (response.status_code, response.headers.get("Location")) == (
        301, f"https://chat.example.com{path}"), (
        f"on the platform (DYNO set), http://chat.example.com{path} should be "
        "redirected for good (301) to the same address with https://: it "
        f"answered {response.status_code}, Location "
        f"{response.headers.get('Location')}")


@pytest.mark.step(1, part=3)
def test_on_the_platform_https_responses_carry_hsts(platform):
    for path in PAGES:
        response = through_the_router(platform, path, "https")
        hsts = response.headers.get("Strict-Transport-Security", "")
        max_age = re.search(r"max-age=(\d+)", hsts, re.IGNORECASE)
        assert response.status_code in (200, 404) and max_age and (
            int(max_age[1]) >= SIX_MONTHS), (
            f"on the platform, https://chat.example.com{path} should be served "
            "with Strict-Transport-Security: max-age of at least six months "
            f"({SIX_MONTHS} s), so the browser never tries plain http again: "
            f"it answered {response.status_code} with {hsts!r}")
        assert "Content-Security-Policy" in response.headers, (
            f"on the platform, {path} should still carry the security headers")


@pytest.mark.step(1, part=3)
def test_on_the_platform_the_session_cookie_is_secure(platform):
    flags = cookie_flags(through_the_router(platform, CHAT_PAGE, "https"))
    assert "secure" in flags, (
        "on the platform the session cookie should be Secure, so the browser "
        f"never sends it over plain http: its attributes are {flags}")
    assert "httponly" in flags and flags.get("samesite") == "Lax", (
        "on the platform the session cookie should still be HttpOnly and "
        f"SameSite=Lax: its attributes are {flags}")
