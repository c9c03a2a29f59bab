"""part1_hello: the smallest Flask app, run both ways the tutorial shows."""
import pytest
import requests

from harness.apps import load_app_module
from tutorial.chain import REPO
from harness.servers import Server, free_port

PART1 = REPO / "part1_hello"


def test_says_hello_world():
    client = load_app_module(PART1).app.test_client()
    assert client.get("/").get_data(as_text=True) == "Hello World"


@pytest.mark.parametrize("command", ["python app.py", "flask --app app run"])
def test_runs_on_the_port_it_is_given_without_the_debugger(command):
    port = free_port()
    server = Server(command, cwd=PART1, port=port, env={"FLASK_RUN_PORT": str(port)})
    try:
        server.wait_until_serving()
        assert requests.get(server.url + "/", timeout=5).text == "Hello World"
        assert "Debug mode: off" in server.log()
        assert f"Running on http://127.0.0.1:{port}" in server.log()
    finally:
        server.close()
