"""Run a Python server script under cProfile, one statistics file per phase of a run.
bench.py uses it for --profile-server:

    python bench/profiled.py OUT app.py [args...]

Each SIGUSR1 ends a phase: the statistics so far go to OUT.<phase>.prof and profiling
starts again from zero. bench.py sends one when the server answers (ending "startup")
and one when the message phase begins (ending "join"); SIGTERM or SIGINT writes
OUT.messages.prof and exits.

The script runs as __main__ with its own file name (runpy), so Flask finds its templates
as it does under `python app.py`. Under eventlet, cProfile follows the one OS thread that
all green threads share: the time each function itself used (tottime) is right, the call
tree across green-thread switches is not, so read the statistics sorted by tottime.
The clock is cProfile's default (wall time, the cheapest to read): time spent waiting in
epoll is idle, not work, and bench/profile_summary.py leaves it out.
"""
import cProfile
import os
import runpy
import signal
import sys

out, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
phases = ["startup", "join", "messages"]
profiler = cProfile.Profile()


def end_phase():
    profiler.disable()
    phase = phases.pop(0) if len(phases) > 1 else phases[0]
    profiler.dump_stats(f"{out}.{phase}.prof")


def next_phase(signum, frame):
    global profiler
    end_phase()
    profiler = cProfile.Profile()
    profiler.enable()


def stop(signum, frame):
    end_phase()
    os._exit(0)


signal.signal(signal.SIGUSR1, next_phase)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
profiler.enable()
runpy.run_path(script, run_name="__main__")
