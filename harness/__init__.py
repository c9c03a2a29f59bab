"""The test harness: what the tests, the benchmark and the scripts share.

- servers: start a checkpoint's real server on a free 127.0.0.1 port, wait for
  it, stop it by its process group; stack: part 4's whole stack (redis-server,
  the chat processes, nginx) and the servers shared across a run;
- venvs: the venvs the servers run from (requirements.txt alone);
- chat_user: a person in the chat, played by the real python-socketio client;
- apps: a checkpoint's app.py imported fresh, for Flask's test clients;
- axe_core: the axe-core script the accessibility tests run in the page;
- plugin: the pytest plugin: --checkpoint and --step, resolved once into
  the run's Target, and a learner's check (its order, processes, report).

tests/conftest.py loads the plugin; `python -m bench.bench` and
`python -m scripts.screenshots` import the rest from the repository folder.
"""
