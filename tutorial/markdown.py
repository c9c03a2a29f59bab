"""Markdown helpers the page builders share."""
import re


def fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def indent(text: str, prefix: str = "    ") -> str:
    """`text` with `prefix` before every non-blank line."""
    return "".join(prefix + line if line.strip() else line
                   for line in text.splitlines(keepends=True))
