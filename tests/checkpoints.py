"""Where the checkpoints are, and how a test loads one's app.py."""
import importlib.util
import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The checkpoints that contain the room chat; the chat tests run against each of them.
CHAT_CHECKPOINTS = ["part2_chat", "part3_deploy", "part4_scale"]

_loaded = itertools.count()


def chat_checkpoints(custom=None):
    """The folders to test: `custom` (a learner's copy) if given, else the repo's own."""
    if custom:
        return [Path(custom).expanduser().resolve()]
    return [REPO / name for name in CHAT_CHECKPOINTS if (REPO / name).is_dir()]


def load_app_module(folder):
    """Import `folder`/app.py as a fresh module, so every test starts with empty state."""
    name = f"checkpoint_app_{next(_loaded)}"
    spec = importlib.util.spec_from_file_location(name, Path(folder) / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Flask finds templates/ and static/ through this entry
    spec.loader.exec_module(module)
    return module
