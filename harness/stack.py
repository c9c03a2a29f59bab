"""A part 4 checkpoint's whole stack on free loopback ports: redis-server, N
chat processes (each started with the Procfile's web command) and, from the
step that adds nginx.conf, nginx with the checkpoint's own nginx.conf.

ScaledChat behaves like servers.Server (url, port, log(), close()), so the
chat tests run against it unchanged: its url is nginx's, or the first chat
process's when the checkpoint has no nginx yet. Its parts can also be
stopped and restarted one by one.
"""
import contextlib
import re
import shutil
import signal
import socket
import tempfile
from pathlib import Path

from harness.servers import (Server, free_port, procfile_command, require_programs,
                     server_command)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class RedisServer(Server):
    def __init__(self, port=None):
        port = port or free_port()
        super().__init__(f"redis-server --bind 127.0.0.1 --port {port} "
                         "--save '' --appendonly no",
                         cwd=tempfile.gettempdir(), port=port)

    def answers(self):
        try:
            socket.create_connection(("127.0.0.1", self.port),
                                     timeout=1).close()
            return True
        except OSError:
            return False


class ScaledChat:
    def __init__(self, checkpoint, workers=2, env=None, sticky=True):
        self.checkpoint = Path(checkpoint)
        self.env = env or {}
        self.redis = RedisServer().wait_until_serving()
        self.workers = [self.start_worker() for _ in range(workers)]
        self.proxies = []  # (nginx Server, its folder)
        if behind_nginx(self.checkpoint):
            self.nginx = self.start_nginx(sticky)
            self.port = self.nginx.port
        else:
            self.nginx = None
            self.port = self.workers[0].port
        self.url = f"http://127.0.0.1:{self.port}"

    def start_worker(self, port=None):
        env = {**self.env,
               "REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/0"}
        return Server(procfile_command(self.checkpoint), cwd=self.checkpoint,
                      env=env, port=port)

    def start_nginx(self, sticky=True, open_files=None):
        """nginx with the checkpoint's nginx.conf, in front of this stack's
        chat processes; not sticky: without the hash line; with
        `open_files`: started as a terminal with that (soft) limit of open
        files starts it. A stack may have more than one (they share the
        chat processes)."""
        folder = Path(tempfile.mkdtemp(prefix="nginx-"))
        port = free_port()
        self.write_nginx_conf(folder, port, sticky)
        command = f"{NGINX} -p {folder}/ -c nginx.conf -e stderr"
        if open_files:
            command = f"sh -c 'ulimit -Sn {open_files} && exec {command}'"
        nginx = Server(command, cwd=folder, port=port)
        self.proxies.append((nginx, folder))
        return nginx

    def write_nginx_conf(self, folder, port, sticky):
        """The checkpoint's nginx.conf with our ports (and, if not sticky,
        no hash line)."""
        conf = (self.checkpoint / "nginx.conf").read_text()
        conf = conf.replace("listen 127.0.0.1:5000;",
                            f"listen 127.0.0.1:{port};")
        # Each server line keeps its parameters (max_fails=0, say).
        conf, count = re.subn(
            r"(        server 127\.0\.0\.1:\d+(?P<options>[^;\n]*);\n)+",
            lambda found: "".join(
                f"        server 127.0.0.1:{w.port}{found['options']};\n"
                for w in self.workers),
            conf)
        assert count == 1, ("nginx.conf should list its chat processes in "
                            "one upstream block")
        if not sticky:
            conf = conf.replace("hash $cookie_session consistent;", "")
        (folder / "nginx.conf").write_text(conf)
        (folder / "nginx-tmp").mkdir()

    def wait_until_serving(self):
        for worker in self.workers:
            worker.wait_until_serving()
        for nginx, _ in self.proxies:
            nginx.wait_until_serving()
        return self

    def restart_redis(self):
        """Kill redis-server and start a new, empty one on the same port."""
        self.redis.stop(signal.SIGKILL)
        self.redis.close()
        self.redis = RedisServer(self.redis.port).wait_until_serving()

    def log(self):
        parts = self.workers + [nginx for nginx, _ in self.proxies]
        return "\n".join(part.log() for part in parts)

    def close(self):
        for part in [*(nginx for nginx, _ in self.proxies), *self.workers, self.redis]:
            part.close()
        for _, folder in self.proxies:
            shutil.rmtree(folder, ignore_errors=True)


def uses_message_queue(checkpoint):
    """Whether the checkpoint runs as several processes joined by Redis
    (part 4: its Procfile.local starts redis-server)."""
    procfile = Path(checkpoint) / "Procfile.local"
    return procfile.exists() and "redis-server" in procfile.read_text()


def behind_nginx(checkpoint):
    """Whether the checkpoint's processes are reached through nginx."""
    return (Path(checkpoint) / "nginx.conf").exists()


def start_checkpoint(checkpoint, env=None):
    """Start a chat checkpoint the way its README does: part 4's whole stack,
    else the Procfile's web command, else python app.py. Call
    wait_until_serving() on the result."""
    if uses_message_queue(checkpoint):
        require_programs("redis-server",
                         *(["nginx"] if behind_nginx(checkpoint) else []))
        return ScaledChat(checkpoint, env=env)
    return Server(server_command(checkpoint), cwd=checkpoint, env=env)


# What the platform sets (DYNO) and the config vars the guide sets there. The tests reach
# the app as 127.0.0.1, as localhost (the Flask test client) or, through a pretend
# router, as chat.example.com.
PLATFORM_ENV = {"DYNO": "web.1", "SECRET_KEY": "a-config-var",
                "TRUSTED_HOSTS": "127.0.0.1,localhost,chat.example.com"}

# What the shared servers run with: a known SECRET_KEY, so that a page's session cookie
# still works after a restart, and the rate limit at its defaults (None removes a variable
# the shell may have set for the benchmark).
CHAT_ENV = {"SECRET_KEY": "test-secret-key", "CHAT_MESSAGES_PER_SECOND": None,
            "CHAT_MESSAGE_BURST": None}


class SharedServers:
    """Each checkpoint's server (part 4: its whole stack), started once with CHAT_ENV and
    shared by every test that leaves it whole, whichever module the test is in: a learner's
    check starts its copy once, however its checks are ordered.

    `with servers.use(checkpoint) as server:` hands one out. Of the servers no test is
    using, the `keep` most recently used stay running for the next module; older ones
    stop, so a run over many checkpoints holds a few servers, not all of them."""

    def __init__(self, keep=1):
        self.keep = keep
        self.running = {}  # folder: server, least recently used first
        self.users = {}  # folder: how many fixtures hold it now

    @contextlib.contextmanager
    def use(self, checkpoint):
        folder = Path(checkpoint)
        server = self.running.pop(folder, None)
        if server is not None and not still_running(server):
            server.close()  # a test killed it: the next one gets a new one
            server = None
        if server is None:
            server = start_checkpoint(folder, env=CHAT_ENV)
            try:
                server.wait_until_serving()
            except BaseException:
                server.close()
                raise
        self.running[folder] = server
        self.users[folder] = self.users.get(folder, 0) + 1
        try:
            yield server
        finally:
            self.users[folder] -= 1
            self.stop_idle()

    def stop_idle(self):
        idle = [folder for folder in self.running if not self.users.get(folder)]
        for folder in idle[:max(0, len(idle) - self.keep)]:
            self.running.pop(folder).close()

    def close(self):
        while self.running:
            self.running.popitem()[1].close()


def still_running(server):
    processes = [server]
    if isinstance(server, ScaledChat):
        processes = [*server.workers, server.redis,
                     *(nginx for nginx, _ in server.proxies)]
    return all(process.process.poll() is None for process in processes)
