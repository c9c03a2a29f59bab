"""part4_scale's whole stack on free loopback ports: redis-server, N chat processes (each
started with the Procfile's web command) and nginx with the checkpoint's own nginx.conf.

ScaledChat behaves like servers.Server (url, port, log(), close()), so the chat tests run
against it unchanged; its parts can also be stopped and restarted one by one.
"""
import os
import re
import shutil
import signal
import socket
import tempfile
from pathlib import Path

from servers import Server, free_port, procfile_command, require_programs, server_command

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class RedisServer(Server):
    def __init__(self, port=None):
        port = port or free_port()
        super().__init__(f"redis-server --bind 127.0.0.1 --port {port} --save '' "
                         "--appendonly no", cwd=tempfile.gettempdir(), port=port)

    def answers(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False


class ScaledChat:
    def __init__(self, checkpoint, workers=2, env=None, sticky=True):
        self.checkpoint = Path(checkpoint)
        self.env = env or {}
        self.redis = RedisServer().wait_until_serving()
        self.workers = [self.start_worker() for _ in range(workers)]
        self.nginx_dir = Path(tempfile.mkdtemp(prefix="nginx-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.write_nginx_conf(sticky)
        self.nginx = Server(f"{NGINX} -p {self.nginx_dir}/ -c nginx.conf -e stderr",
                            cwd=self.nginx_dir, port=self.port)

    def start_worker(self, port=None):
        env = {**self.env, "REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/0"}
        return Server(procfile_command(self.checkpoint), cwd=self.checkpoint, env=env,
                      port=port)

    def write_nginx_conf(self, sticky):
        """The checkpoint's nginx.conf with our ports (and, if not sticky, no hash line)."""
        conf = (self.checkpoint / "nginx.conf").read_text()
        conf = conf.replace("listen 127.0.0.1:5000;", f"listen 127.0.0.1:{self.port};")
        backends = "".join(f"        server 127.0.0.1:{w.port};\n" for w in self.workers)
        conf, count = re.subn(r"(        server 127\.0\.0\.1:\d+;\n)+", backends, conf)
        assert count == 1, "nginx.conf should list its chat processes in one upstream block"
        if not sticky:
            conf = conf.replace("hash $cookie_session consistent;", "")
        (self.nginx_dir / "nginx.conf").write_text(conf)
        (self.nginx_dir / "nginx-tmp").mkdir()

    def wait_until_serving(self):
        for worker in self.workers:
            worker.wait_until_serving()
        self.nginx.wait_until_serving()
        return self

    def restart_redis(self):
        """Kill redis-server and start a new, empty one on the same port."""
        self.redis.stop(signal.SIGKILL)
        self.redis.close()
        self.redis = RedisServer(self.redis.port).wait_until_serving()

    def log(self):
        return "\n".join(part.log() for part in self.workers + [self.nginx])

    def close(self):
        parts = [self.nginx, *self.workers, self.redis]
        for part in parts:  # all at once: each chat process takes a few seconds to stop
            if part.process.poll() is None:
                os.killpg(part.process.pid, signal.SIGTERM)
        for part in parts:
            part.close()
        shutil.rmtree(self.nginx_dir, ignore_errors=True)


def uses_message_queue(checkpoint):
    return (Path(checkpoint) / "nginx.conf").exists()


def start_checkpoint(checkpoint, env=None):
    """Start a chat checkpoint the way its README does: part4's whole stack, else the
    Procfile's web command, else python app.py. Call wait_until_serving() on the result."""
    if uses_message_queue(checkpoint):
        require_programs("redis-server", "nginx")
        return ScaledChat(checkpoint, env=env)
    return Server(server_command(checkpoint), cwd=checkpoint, env=env)
