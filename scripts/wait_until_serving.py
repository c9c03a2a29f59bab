"""Wait until http://127.0.0.1:PORT/ answers 200 for every PORT given, in
order, then print MESSAGE; exit 1 if one does not answer within a minute.

`make run` uses it for part 4, whose Procfile.local starts several
processes at once: it prints the chat's address only once they all answer,
so the first page a learner opens is the chat, not an error.

    python scripts/wait_until_serving.py --then "Ready" 5001 5002 5000
"""
import argparse
import sys
import time
import urllib.request

TIMEOUT = 60  # seconds; the processes answer within a few here
# No proxy: a school's HTTP proxy cannot reach this computer's 127.0.0.1.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def answers(port):
    try:
        with OPENER.open(f"http://127.0.0.1:{port}/", timeout=2) as answer:
            return answer.status == 200
    except OSError:  # refused, reset, timed out, or an HTTP error status
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--then", metavar="MESSAGE", default="")
    parser.add_argument("ports", nargs="+", type=int, metavar="PORT")
    options = parser.parse_args()
    deadline = time.monotonic() + TIMEOUT
    for port in dict.fromkeys(options.ports):  # each port once
        while not answers(port):
            if time.monotonic() > deadline:
                print(f"Nothing answered on port {port} within {TIMEOUT} s: "
                      "see the messages above.", file=sys.stderr)
                return 1
            time.sleep(0.1)
    print(options.then, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
