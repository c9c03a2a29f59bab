"""Settings gunicorn reads by itself from the folder it starts in; the
Procfile stays short."""
import os
import socket


def every_interface():
    """Wildcard addresses that take connections over IPv4 and IPv6."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            v6_only = probe.getsockopt(socket.IPPROTO_IPV6,
                                       socket.IPV6_V6ONLY)
    except OSError:  # this machine has no IPv6
        return ["0.0.0.0"]
    # "[::]" takes IPv4 connections too, unless the system keeps IPv6
    # sockets to IPv6 (IPV6_V6ONLY); then one socket for each.
    return ["[::]", "0.0.0.0"] if v6_only else ["[::]"]


# Where to listen. On the platform (it sets DYNO) the router reaches the
# dyno from outside, over IPv4 or IPv6, so every interface; on your own
# computer 127.0.0.1 unless you set HOST. PORT is given by the platform
# (and by honcho locally).
if os.environ.get("HOST"):
    hosts = [os.environ["HOST"]]
elif "DYNO" in os.environ:
    hosts = every_interface()
else:
    hosts = ["127.0.0.1"]
bind = [f"{host}:{os.environ.get('PORT', '5000')}" for host in hosts]

# On SIGTERM (a restart, a deploy, `heroku ps:stop`) gunicorn lets the
# worker finish for this many seconds. Chat connections never "finish",
# so keep it well inside the 30 seconds the platform waits before it
# kills the dyno; browsers reconnect by themselves.
graceful_timeout = 5

# Log every request to standard output, which `heroku logs --tail` shows.
accesslog = "-"

# gunicorn 25's control socket (for `gunicornc`) is not needed here, and
# two local gunicorns would fight over its default path.
control_socket_disable = True
