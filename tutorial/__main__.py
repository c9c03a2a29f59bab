"""`python -m tutorial check COPY STEP [--watch]`: check your copy (tutorial/check.py)."""
import sys

USAGE = "usage: python -m tutorial check COPY STEP [--watch]"


def main() -> int:
    if sys.argv[1:2] != ["check"]:
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
