"""The docs site (mkdocs.yml, docs/): it builds cleanly, it explains the code that is really
there, in the order it is numbered, every line a learner types is on a page, its pictures can
be remade, and it works offline.
"""
import ast
import json
import os
import re
import shlex
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from tutorial import chain, regions, step_code
from tutorial.chain import REPO, exercises_by_id
from harness.servers import Server, free_port

EXERCISES = exercises_by_id()

DOCS = REPO / "docs"
PART2 = REPO / "part2_chat"
PART2_PAGE = DOCS / "part2.md"
# Part 2's overview, then one page per step: part2-1-pages.md, part2-2-joining.md, ...
PART2_PAGES = [PART2_PAGE, *sorted(DOCS.glob("part2-*.md"),
                                   key=lambda page: int(re.match(r"part2-(\d+)", page.name)[1]))]
SCREENSHOT_SCRIPT = REPO / "scripts" / "screenshots.py"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IMAGES_BUDGET = 500 * 1024  # bytes for all committed pictures together

# `# NO:4` in Python, `// NO:6` in JavaScript, `<!-- NO:3 -->` in a template.
CODE_STEP = re.compile(r"^\s*(?:#|//|<!--)\s*NO:(\d+)\b")
PAGE_STEP = re.compile(r"^## NO:(\d+)\b", re.M)
# A page's include: `--8<-- "part2_chat/app.py"` or `--8<-- "part2_chat/app.py:def chat"`.
SNIPPET = regions.INCLUDE
SKIPPED = re.compile(r"\.min\.js$|\.map$|LICENSE")


def screenshot_script():
    """scripts/screenshots.py as a module (for its Chromium settings)."""
    import screenshots  # scripts/ is on the tests' path (pyproject.toml)
    return screenshots


needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's chromium package or set CHROMIUM")


def code_files(folder):
    """The checkpoint's files that carry code: not vendored, not compiled, and for a part
    folder nothing from its steps/ (each step is a checkpoint of its own)."""
    return sorted(path for path in folder.rglob("*")
                  if path.is_file() and "__pycache__" not in path.parts
                  and not SKIPPED.search(path.name)
                  and not (chain.is_part_folder(folder)
                           and chain.is_in_steps(path.relative_to(folder))))


def code_steps(folder=PART2):
    """{n: [(file, line number), ...]} for every NO:n marker comment in `folder`."""
    steps = {}
    for path in code_files(folder):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = CODE_STEP.match(line)
            if match:
                steps.setdefault(int(match[1]), []).append((path, number))
    return steps


def page_sections(text):
    """{n: the markdown of the page's `## NO:n` section}."""
    parts = re.split(r"^(?=## )", text, flags=re.M)
    return {int(PAGE_STEP.match(part)[1]): part for part in parts if PAGE_STEP.match(part)}


def included_lines(markdown):
    """{file: the line numbers that the markdown's --8<-- lines include}."""
    shown = {}
    for match in SNIPPET.finditer(markdown):
        path = REPO / match["path"]
        if match["selector"]:
            found = regions.region(path, match["selector"])
            numbers = set(range(found.first, found.last + 1))
        else:
            numbers = set(range(1, len(path.read_text().splitlines()) + 1))
        shown.setdefault(path, set()).update(numbers)
    return shown


def selector_around(path, line):
    """A selector for the function or class of the Python file at `path` around `line`,
    or the general form."""
    if path.suffix == ".py":
        source = regions.Source(path)
        for node in source.tree.body:
            kind = {ast.FunctionDef: "def", ast.ClassDef: "class"}.get(type(node))
            if kind:
                found = source.region(f"{kind} {node.name}")
                if found.first <= line <= found.last:
                    return f"{kind} {node.name}"
    return "SELECTOR"


# The site, built once for the tests that look at it.

@pytest.fixture(scope="module")
def site(built_site):
    return built_site


def test_the_site_builds_in_strict_mode(site):
    # --strict turns every warning into a failure: a missing snippet file, a broken link or
    # anchor, a page left out of the navigation. A selector that names no region stops the
    # build by itself (tests/test_regions.py).
    pages = {path.name for path in site.glob("*.html")}
    assert {"index.html", "part1.html", "part2.html", "part3.html", "what-changed.html",
            "troubleshooting.html", "original-defects.html", "background.html"} <= pages


# The numbered steps: the part 2 pages and the code agree.

def part2_sections():
    """{n: (page, the markdown of its `## NO:n` section)} over part 2's pages."""
    return {step: (page, text) for page in PART2_PAGES
            for step, text in page_sections(page.read_text()).items()}


def introduced_in(step):
    """The first checkpoint folder of part 2 whose code carries the NO:`step` marker."""
    return next(checkpoint.folder for checkpoint in chain.checkpoints(REPO)
                if checkpoint.part == 2 and step in code_steps(checkpoint.folder))


def test_the_code_numbers_its_steps_from_one_without_gaps():
    steps = sorted(code_steps())
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= 11


def test_every_step_in_the_code_is_explained_in_order():
    on_page = [int(n) for page in PART2_PAGES for n in PAGE_STEP.findall(page.read_text())]
    assert on_page == sorted(code_steps()), (
        "part 2's pages (docs/part2.md, then docs/part2-1-….md, …) need one `## NO:n` "
        "section per NO:n marker in part2_chat, in order")


def test_every_step_the_page_mentions_exists_in_the_code():
    text = "".join(SNIPPET.sub("", page.read_text()) for page in PART2_PAGES)
    mentioned = {int(n) for n in re.findall(r"\bNO:(\d+)\b", text)}
    assert mentioned <= set(code_steps())


def test_each_step_shows_the_code_that_carries_its_marker():
    """Each `## NO:n` section includes (--8<--) a region around every NO:n comment in the
    checkpoint that introduces NO:n (a step folder of part 2, or part2_chat itself if it
    has no steps), so the page shows the very lines the number belongs to."""
    sections = part2_sections()
    for step in sorted(code_steps()):
        page, section = sections[step]
        shown = included_lines(section)
        for code_file, line in code_steps(introduced_in(step))[step]:
            name = code_file.relative_to(REPO).as_posix()
            assert line in shown.get(code_file, set()), (
                f"the NO:{step} section of docs/{page.name} should include the code around "
                f'{name}, line {line}: --8<-- "{name}:{selector_around(code_file, line)}" '
                "(CONTRIBUTING.md, Show code on a page)")


# Facts the pages state, checked against the repository.

def pinned_version(package):
    requirements = (REPO / "requirements.txt").read_text()
    return re.search(rf"^{re.escape(package)}==(\S+)", requirements, re.M | re.I)[1]


def client_version():
    header = (PART2 / "static" / "socket.io.min.js").read_text()[:200]
    return re.search(r"Socket\.IO v(\d+\.\d+\.\d+)", header)[1]


def test_the_version_table_matches_the_pins_and_the_client():
    background = (DOCS / "background.md").read_text()
    row = next(line for line in background.splitlines() if "this repository" in line)
    for package in ("Flask-SocketIO", "python-socketio", "python-engineio"):
        assert f"**{pinned_version(package)}**" in row, package
    assert client_version() in row
    every_page = "".join(page.read_text() for page in DOCS.glob("*.md"))
    assert set(re.findall(r"\b4\.8\.\d+\b", every_page)) == {client_version()}


def test_the_tests_the_docs_name_exist():
    every_page = "".join(page.read_text() for page in DOCS.glob("*.md"))
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", every_page)
    assert named
    for path, name in named:
        assert (REPO / path).exists(), path
        assert re.search(rf"^def {name}\(", (REPO / path).read_text(), re.M), f"{path}::{name}"


def test_what_changed_is_generated_for_every_pair_of_checkpoints(site):
    page = (site / "what-changed.html").read_text()
    pairs = chain.pairs(REPO)
    assert len(pairs) >= 3 and pairs[0][0].name == "part1_hello"
    places = []
    for old, new in pairs:
        anchor = new.name.replace("/", "-")  # part2_chat-steps-1_pages, part2_chat, ...
        assert f'id="{anchor}"' in page
        assert f'href="#{anchor}"' in page  # its row in the table at the top
        places.append(page.index(f'id="{anchor}"'))
        if chain.shown_lines(old.folder / "app.py") != chain.shown_lines(
                new.folder / "app.py"):
            assert f"+++ {new.name}/app.py" in page
    assert places == sorted(places)  # in the order a learner meets them
    assert 'id="part2_chat"' in page and 'id="part3_deploy"' in page  # the pages link here
    assert "Guillermo Rauch" not in page  # the vendored client and its licence are not shown


# Every line a learner types is on a page.

class CodeText(HTMLParser):
    """The text of every <code> element of a page, unescaped, and the lines that
    pymdownx.highlight marks as highlighted (`<span class="hll">`)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.code, self.highlighted = [], []
        self._code_depth = 0
        self._spans = []  # for each open <span>: whether it is a highlighted line

    def handle_starttag(self, tag, attrs):
        if tag == "code":
            self._code_depth += 1
            self.code.append("")
        elif tag == "span" and self._code_depth:
            hll = "hll" in (dict(attrs).get("class") or "").split()
            self._spans.append(hll)
            if hll:
                self.highlighted.append("")

    def handle_endtag(self, tag):
        if tag == "code" and self._code_depth:
            self._code_depth -= 1
        elif tag == "span" and self._code_depth and self._spans:
            self._spans.pop()

    def handle_data(self, data):
        if self._code_depth:
            self.code[-1] += data
            if any(self._spans):
                self.highlighted[-1] += data

    def lines(self):
        return {line.strip() for text in self.code for line in text.splitlines()}


def lines_on_pages(site):
    """Every line (stripped) inside a <code> element of a built page, except on the What
    changed page, which shows every line of every checkpoint as a diff."""
    shown = set()
    for page in site.rglob("*.html"):
        if page.name != "what-changed.html":
            parser = CodeText()
            parser.feed(page.read_text())
            shown |= parser.lines()
    return shown


def included_whole(path):
    """Whether a page includes the file at `path` with a --8<-- line."""
    name = path.relative_to(REPO).as_posix()
    return any(match["path"] == name for page in DOCS.rglob("*.md")
               for match in SNIPPET.finditer(page.read_text()))


def fenced_lines(lines):
    """[(number, line)] of the lines inside the markdown text's fenced code blocks."""
    found, fence = [], None
    for number, line in enumerate(lines, 1):
        opener = re.match(r"\s*(`{3,}|~{3,})", line)
        if fence is None and opener:
            fence = opener[1]
        elif fence is not None and line.strip().startswith(fence) and not line.strip(
                ).strip(fence[0]):
            fence = None
        elif fence is not None:
            found.append((number, line))
    return found


def typed_lines(checkpoint):
    """[(path, line number, line)] of every non-blank line a learner types to make
    `checkpoint`: its hand-written files (no vendored client, no licence, nothing git
    ignores; for a part folder nothing from its steps/).

    A README.md is a part's prose, not code: its page includes it (part3.md includes
    part3_deploy/README.md), so only the commands in its fenced code blocks count, and
    only when a page includes it; a README no page includes is left out."""
    found = []
    for relative in chain.hand_written_files(checkpoint.folder):
        path = checkpoint.folder / relative
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        numbered = list(enumerate(lines, 1))
        if relative.name.upper() == "README.MD":
            numbered = fenced_lines(lines) if included_whole(path) else []
        found += [(path, number, line.strip()) for number, line in numbered
                  if line.strip()]
    return found


def solution_lines(exercise):
    """[(path, line number, line)] of every non-blank line of the files an
    exercise's solution adds or changes (its page shows those files)."""
    folder, base = REPO / exercise.folder, REPO / exercise.base
    found = []
    for relative in chain.hand_written_files(folder):
        lines = chain.shown_lines(folder / relative)
        if (lines is None or relative.name.upper() == "README.MD"
                or lines == chain.shown_lines(base / relative)):
            continue
        found += [(folder / relative, number, line.strip())
                  for number, line in enumerate(lines, 1) if line.strip()]
    return found


def test_every_line_a_learner_types_is_on_a_page(site):
    """Every line of every checkpoint is in a code block on some page (the What changed page
    does not count): `<!-- step-code: part2_chat/steps/1_pages -->` shows a whole step."""
    shown = lines_on_pages(site)
    missing = {}
    for checkpoint in chain.checkpoints(REPO):
        lines = [(path, number, line) for path, number, line in typed_lines(checkpoint)
                 if line not in shown]
        if lines:
            missing[checkpoint.name] = lines
    for exercise in EXERCISES.values():  # their solutions' changed files
        lines = [entry for entry in solution_lines(exercise) if entry[2] not in shown]
        if lines:
            missing[exercise.folder] = lines
    if missing:
        every = [entry for lines in missing.values() for entry in lines]
        pytest.fail(
            f"{len(every)} lines of the checkpoints are on no page ("
            + ", ".join(f"{name}: {len(lines)}" for name, lines in missing.items())
            + "); a line `<!-- step-code: FOLDER -->` on a page shows a checkpoint's code:\n"
            + "\n".join(f"{path.relative_to(REPO).as_posix()}:{number}: {line}"
                        for path, number, line in every[:40])
            + (f"\n... and {len(every) - 40} more" if len(every) > 40 else ""),
            pytrace=False)


def test_step_code_shows_every_line_and_highlights_the_changed_ones(tmp_path):
    markdown = pytest.importorskip("markdown")
    files = {
        "part1_hello/app.py": "a = 1\nb = 2\nprint(a)\n",
        "part1_hello/Procfile": "web: python app.py\n",
        "part2_chat/app.py": "a = 1\nb = 3\nprint(a)\nprint(b)\n",
        "part2_chat/Procfile": "web: python app.py\n",
        "part2_chat/templates/base.html": "<p>{{ name }}</p>\n",
        "part2_chat/static/client.min.js": "vendored();\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    text = step_code.replace_placeholders("<!-- step-code: part2_chat -->\n", tmp_path)

    assert text.index('title="app.py"') < text.index('title="templates/base.html"')
    assert 'hl_lines="2 4"' in text  # the new and changed lines
    assert '??? note "Delete from app.py"' in text and "    -b = 2\n" in text
    assert '??? note "Procfile (unchanged)"' in text
    assert "`static/client.min.js`" in text and "vendored();" not in text
    html = markdown.markdown(text, extensions=[
        "admonition", "pymdownx.details", "pymdownx.highlight", "pymdownx.superfences"])
    parser = CodeText()
    parser.feed(html)
    assert {"a = 1", "b = 3", "print(a)", "print(b)", "web: python app.py",
            "<p>{{ name }}</p>"} <= parser.lines()
    assert [line.strip() for line in parser.highlighted] == ["b = 3", "print(b)"]


@pytest.mark.parametrize("old, new, expected", [
    # one changed line in the middle: three lines either side
    ("0 1 2 3 4 5 6 7 8 9", "0 1 2 3 4 X 6 7 8 9", [(3, 9)]),
    # at the start and at the end of the file: what there is
    ("0 1 2 3 4 5 6 7 8 9", "X 1 2 3 4 5 6 7 8 Y", [(1, 4), (7, 10)]),
    # two changes closer than twice the context: one region
    ("0 1 2 3 4 5 6 7 8 9", "0 1 X 3 4 5 Y 7 8 9", [(1, 10)]),
    # lines inserted, and lines deleted (the lines around where they were)
    ("0 1 2 3 4 5 6 7 8 9", "0 1 2 3 4 N N 5 6 7 8 9", [(3, 10)]),
    ("0 1 2 3 4 5 6 7 8 9", "0 1 2 3 4 7 8 9", [(3, 8)]),
    # blank lines at a region's ends are left out; a change of blank lines only is none
    ("0 1 2 _ 4 5 6 7 8 _ 10 11", "0 1 2 _ 4 5 X 7 8 _ 10 11", [(5, 9)]),
    ("0 1 2 _ 4 5 6", "0 1 2 _ _ 4 5 6", []),
])
def test_a_solution_shows_each_change_with_three_lines_around_it(old, new, expected):
    def lines(words):
        return ["" if word == "_" else word for word in words.split()]
    assert step_code.regions(lines(old), lines(new)) == expected


def test_a_solution_shows_its_changes_numbered_then_the_whole_file_folded(tmp_path):
    markdown = pytest.importorskip("markdown")
    base = [f"line_{number} = {number}" for number in range(1, 21)]
    solution = [*base[:9], "line_10 = 'changed'", *base[10:]]
    files = {"part1_hello/app.py": base, "part1_hello/Procfile": ["web: python app.py"],
             "exercises/part1_x/app.py": solution,
             "exercises/part1_x/Procfile": ["web: python app.py"]}
    for name, lines in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("".join(line + "\n" for line in lines))

    text = step_code.replace_placeholders(
        "<!-- step-code: exercises/part1_x from part1_hello -->\n", tmp_path)

    assert "`app.py` changes in one place" in text
    assert 'title="app.py, lines 7–13" linenums="7" hl_lines="4"' in text
    assert '??? note "The whole app.py (20 lines)"' in text
    assert text.index("lines 7–13") < text.index("The whole app.py")
    assert "Procfile" not in text.replace("part1_hello/", "")  # unchanged: not shown
    html = markdown.markdown(text, extensions=[
        "admonition", "pymdownx.details", "pymdownx.highlight", "pymdownx.superfences"])
    parser = CodeText()
    parser.feed(html)
    assert set(solution) <= parser.lines()  # every line, in the whole file
    # the changed line, once in the excerpt and once in the whole file
    assert [line.strip() for line in parser.highlighted] == ["line_10 = 'changed'"] * 2


# Offline: nothing on the built site comes from another host.

class AssetAddresses(HTMLParser):
    """The addresses a browser fetches by itself while showing a page (not plain links)."""

    FETCHED = {("script", "src"), ("img", "src"), ("img", "srcset"), ("source", "src"),
               ("source", "srcset"), ("iframe", "src"), ("video", "src"), ("audio", "src"),
               ("embed", "src"), ("object", "data"), ("link", "href")}

    def __init__(self):
        super().__init__()
        self.addresses = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in self.FETCHED and value:
                self.addresses.append((f"<{tag} {name}>", value))


def external(address):
    """Whether `address` (or any address of a srcset list) points to another host."""
    candidates = [part.strip().split(" ")[0].strip("'\"") for part in address.split(",")]
    return any(re.match(r"(?:https?:)?//", candidate) for candidate in candidates)


def test_the_built_site_fetches_nothing_from_another_host(site):
    found = []
    for page in site.rglob("*.html"):
        parser = AssetAddresses()
        parser.feed(page.read_text())
        found += [f"{page.name}: {element} {address}"
                  for element, address in parser.addresses if external(address)]
    for stylesheet in site.rglob("*.css"):
        css = stylesheet.read_text()
        imports = re.findall(r"@import\s+(?:url\()?\s*([^\s;)]+)", css)
        urls = re.findall(r"url\(\s*([^)\s]+)", css)
        found += [f"{stylesheet.name}: {address}" for address in imports + urls
                  if external(address.strip("'\""))]
    assert found == []


SITE_CHECK = """
import json, re, sys
from playwright.sync_api import sync_playwright
url, chromium, args = sys.argv[1], sys.argv[2], sys.argv[3:]
blocked, errors = [], []
with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=chromium, args=args)
    context = browser.new_context()
    context.route(re.compile("^(?!" + re.escape(url) + "/)"),
                  lambda route: (blocked.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url + "/part2.html")
    page.locator("div.mermaid").wait_for(timeout=10000)
    page.wait_for_load_state("networkidle")
    box = page.locator("div.mermaid").bounding_box()
    result = {"height": box and box["height"], "blocked": blocked, "errors": errors,
              "undrawn": page.locator("pre.mermaid").count()}
    browser.close()
print(json.dumps(result))
"""


@needs_chromium
def test_the_built_site_draws_its_diagram_with_no_internet(site):
    port = free_port()
    server = Server(f"{shlex.quote(sys.executable)} -m http.server --bind 127.0.0.1 "
                    f"--directory {shlex.quote(str(site))} {port}", cwd=site, port=port)
    try:
        server.wait_until_serving()
        # A separate process: a Playwright already running in this one (the browser tests'
        # session fixture) would refuse a second sync_playwright().
        check = [sys.executable, "-c", SITE_CHECK, server.url, CHROMIUM,
                 *screenshot_script().CHROMIUM_ARGS]
        result = subprocess.run(check, capture_output=True, text=True, timeout=60)
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    drawn = json.loads(result.stdout)
    assert drawn["blocked"] == [] and drawn["errors"] == []
    assert drawn["undrawn"] == 0 and drawn["height"] > 300  # Mermaid made it a diagram


# The pictures.

BENCHMARK_PLOT = "benchmark.png"

@needs_chromium
def test_the_screenshot_script_makes_every_picture_the_docs_use(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scripts.screenshots", str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    made = {path.name: path for path in tmp_path.iterdir()}
    committed = {path.name for path in (DOCS / "images").iterdir()}
    assert set(made) == committed - {BENCHMARK_PLOT}  # `make bench` draws the plot
    for name, path in made.items():
        with Image.open(path) as picture:
            assert path.stat().st_size > 0 and picture.width > 300 and picture.height > 200
            if name.endswith(".gif"):
                assert picture.is_animated and picture.n_frames > 5
            else:
                assert picture.format == "PNG"


def test_the_committed_pictures_are_used_and_small():
    every_page = "".join(page.read_text() for page in DOCS.glob("*.md"))
    pictures = list((DOCS / "images").iterdir())
    for picture in pictures:
        assert f"images/{picture.name}" in every_page, picture.name
    assert sum(picture.stat().st_size for picture in pictures) < IMAGES_BUDGET
