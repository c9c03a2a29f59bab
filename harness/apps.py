"""Importing a checkpoint's (or a learner's) app.py for the tests that use
Flask's and Flask-SocketIO's test clients."""
import importlib
import sys


def load_app_module(folder):
    """`folder`/app.py, imported afresh as the module `app` (as `python
    app.py` finds its neighbours), so every test starts with empty state."""
    folder = str(folder)
    sys.modules.pop("app", None)
    sys.path.insert(0, folder)
    importlib.invalidate_caches()
    try:
        return importlib.import_module("app")
    finally:
        sys.path.remove(folder)


def import_app(folder, client_class):
    """load_app_module(), with a crash on import turned into a sentence and
    the app set up for testing with `client_class` as its test client."""
    try:
        module = load_app_module(folder)
    except Exception as error:
        raise AssertionError(f"importing {folder / 'app.py'} failed with "
                             f"{type(error).__name__}: {error}") from error
    assert hasattr(module, "app"), (
        f"{folder / 'app.py'} should create `app = Flask(__name__)`")
    module.app.config["TESTING"] = True
    module.app.test_client_class = client_class
    return module
