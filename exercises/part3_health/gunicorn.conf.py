"""Settings gunicorn reads by itself from the folder it starts in; the
Procfile stays short."""
import os

# Where to listen. On the platform (it sets DYNO) the router reaches the
# dyno from outside, so every interface; on your own computer 127.0.0.1
# unless you set HOST. PORT is given by the platform (and by honcho
# locally).
host = os.environ.get("HOST",
                      "0.0.0.0" if "DYNO" in os.environ else "127.0.0.1")
bind = f"{host}:{os.environ.get('PORT', '5000')}"

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
