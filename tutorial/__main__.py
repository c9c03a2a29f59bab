"""`python -m tutorial check COPY STEP [--watch]`: check your copy (tutorial/check.py);
`python -m tutorial fresh COPY STEP`: a fresh copy of a step to start from
(tutorial/fresh.py)."""
import sys

USAGE = ("usage: python -m tutorial check COPY STEP [--watch]\n"
         "       python -m tutorial fresh COPY STEP")


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "fresh":
        from tutorial import fresh
        return fresh.main(sys.argv[2:])
    if command != "check":
        print(USAGE, file=sys.stderr)
        return 2
    try:
        from tutorial import check
    except ImportError as error:  # pytest, watchfiles: the tests' packages
        print(f"The check needs the tests' packages ({error.name} is missing): "
              "pip install -r requirements-dev.txt", file=sys.stderr)
        return 2
    return check.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
