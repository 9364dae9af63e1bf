"""What can be checked of the Lambda image without a Docker daemon.

The Dockerfile and .dockerignore are parsed here. The checks cover the base image's Python
against pyproject.toml, the order of the layers, every COPY source, the handler commands the
template uses, and that every file a handler loads ends up in the image.
"""

import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

REPOSITORY = Path(__file__).resolve().parents[2]
BASE_IMAGE = "public.ecr.aws/lambda/python:3.11"
# The image commands of the template, one per function.
HANDLER_COMMANDS = [
    "functions.auth.app.handler",
    "functions.connect.handler.connect",
    "functions.connect.handler.disconnect",
    "functions.answer.handler.handler",
    "functions.answer.deadline.handler",
    "functions.broadcast.handler.handler",
    "functions.persist.handler.handler",
    "livequiz.migrate.lambda_handler",
]
CODE_FOLDERS = ("livequiz", "functions")


@dataclass
class Instruction:
    keyword: str
    arguments: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction]


def read_dockerfile() -> list[Stage]:
    """Split the Dockerfile into stages of instructions, joining continued lines."""
    text = (REPOSITORY / "Dockerfile").read_text()
    logical_lines: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical_lines.append(pending + stripped)
        pending = ""
    stages: list[Stage] = []
    for line in logical_lines:
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name, instructions=[]))
        else:
            stages[-1].instructions.append(Instruction(keyword, arguments.strip()))
    return stages


def stage_chain(stages: list[Stage], stage: Stage) -> list[Instruction]:
    """Return the instructions of ``stage`` after those of the stages it is built on."""
    names = {candidate.name: candidate for candidate in stages if candidate.name}
    chain = [stage]
    while chain[0].base in names:
        chain.insert(0, names[chain[0].base])
    return [instruction for link in chain for instruction in link.instructions]


def external_base(stages: list[Stage], stage: Stage) -> str:
    names = {candidate.name: candidate for candidate in stages if candidate.name}
    while stage.base in names:
        stage = names[stage.base]
    return stage.base


def copy_sources(instruction: Instruction) -> list[str]:
    words = [word for word in shlex.split(instruction.arguments) if not word.startswith("--")]
    return words[:-1]


def copy_destination(instruction: Instruction) -> str:
    return shlex.split(instruction.arguments)[-1]


def dockerignore_patterns() -> list[str]:
    lines = (REPOSITORY / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """Translate a .dockerignore pattern (Go filepath.Match plus ``**``) to a regex."""
    pattern = pattern.strip("/")
    regex = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            regex += "(?:.*/)?"
            index += 3
        elif pattern.startswith("**", index):
            regex += ".*"
            index += 2
        elif pattern[index] == "*":
            regex += "[^/]*"
            index += 1
        elif pattern[index] == "?":
            regex += "[^/]"
            index += 1
        else:
            regex += re.escape(pattern[index])
            index += 1
    return re.compile(regex)


def is_ignored(path: str, patterns: list[str]) -> bool:
    """Apply the patterns as Docker does: a matching folder excludes all it contains, and
    the last matching pattern wins, where ``!`` includes again."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: count + 1]) for count in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = pattern_regex(pattern.removeprefix("!"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


def tracked_files(*paths: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", *paths],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return read_dockerfile()


@pytest.fixture(scope="module")
def lambda_stage(stages: list[Stage]) -> Stage:
    # docker build without --target, as the template builds the image, makes the last stage.
    return stages[-1]


@pytest.fixture(scope="module")
def pyproject() -> dict[str, object]:
    return tomllib.loads((REPOSITORY / "pyproject.toml").read_text())


def test_base_image_is_lambda_python(stages: list[Stage], lambda_stage: Stage) -> None:
    assert external_base(stages, lambda_stage) == BASE_IMAGE
    for stage in stages:
        assert external_base(stages, stage) == BASE_IMAGE


def test_python_version_matches_pyproject(pyproject: dict[str, object]) -> None:
    version = BASE_IMAGE.rsplit(":", 1)[1]
    project = pyproject["project"]
    tool = pyproject["tool"]
    assert isinstance(project, dict)
    assert isinstance(tool, dict)
    assert version in SpecifierSet(project["requires-python"])
    assert tool["mypy"]["python_version"] == version
    assert tool["ruff"]["target-version"] == "py" + version.replace(".", "")


def test_stages_are_dev_and_lambda(stages: list[Stage], lambda_stage: Stage) -> None:
    assert [stage.name for stage in stages] == ["base", "dev", "lambda"]
    assert lambda_stage.name == "lambda"


def test_requirements_installed_before_code(stages: list[Stage]) -> None:
    for stage in stages[1:]:
        chain = stage_chain(stages, stage)
        keywords = [(step.keyword, step.arguments) for step in chain]
        install = keywords.index(("RUN", "pip install --no-cache-dir -r requirements.txt"))
        copy_requirements = keywords.index(("COPY", "requirements.txt ./"))
        copy_code = [
            position
            for position, step in enumerate(chain)
            if step.keyword == "COPY"
            and any(source.rstrip("/") in CODE_FOLDERS for source in copy_sources(step))
        ]
        assert len(copy_code) == 2, stage.name
        assert copy_requirements < install < min(copy_code), stage.name


def test_lambda_stage_copies_code_to_task_root(lambda_stage: Stage) -> None:
    copies = {
        copy_sources(step)[0]: copy_destination(step)
        for step in lambda_stage.instructions
        if step.keyword == "COPY"
    }
    assert copies == {
        "livequiz/": "${LAMBDA_TASK_ROOT}/livequiz/",
        "functions/": "${LAMBDA_TASK_ROOT}/functions/",
    }


def test_default_command_is_a_handler(lambda_stage: Stage) -> None:
    commands = [step for step in lambda_stage.instructions if step.keyword == "CMD"]
    assert len(commands) == 1
    assert json.loads(commands[0].arguments) == ["functions.auth.app.handler"]
    assert not [step for step in lambda_stage.instructions if step.keyword == "ENTRYPOINT"]


def test_dev_stage_runs_local_runtime(stages: list[Stage]) -> None:
    dev = next(stage for stage in stages if stage.name == "dev")
    by_keyword = {step.keyword: step.arguments for step in dev.instructions}
    assert by_keyword["ENTRYPOINT"] == "[]"
    assert json.loads(by_keyword["CMD"]) == [
        "python", "-m", "livequiz.local", "--host", "0.0.0.0",
    ]  # fmt: skip
    assert ("RUN", "pip install --no-cache-dir -r requirements-dev.txt") in [
        (step.keyword, step.arguments) for step in dev.instructions
    ]


def test_copy_sources_exist(stages: list[Stage]) -> None:
    patterns = dockerignore_patterns()
    sources = [
        source
        for stage in stages
        for step in stage.instructions
        if step.keyword == "COPY"
        for source in copy_sources(step)
    ]
    assert sources
    for source in sources:
        assert (REPOSITORY / source).exists(), source
        assert not is_ignored(source.rstrip("/"), patterns), source


def test_dev_requirements_include_runtime() -> None:
    # The dev stage installs requirements-dev.txt beside requirements.txt, which it includes.
    lines = (REPOSITORY / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in lines


def test_runtime_requirements_are_pinned() -> None:
    lines = (REPOSITORY / "requirements.txt").read_text().splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert requirements
    for requirement in requirements:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.]+", requirement), requirement


@pytest.mark.parametrize("command", HANDLER_COMMANDS)
def test_handler_command_resolves(command: str) -> None:
    module_name, _, attribute = command.rpartition(".")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute))
    assert (
        Path(module.__file__ or "").resolve().is_relative_to(REPOSITORY / module_name.split(".")[0])
    )


def test_handler_imports_stay_in_image() -> None:
    # A fresh interpreter, so that only what the handlers import is loaded.
    modules = sorted({command.rpartition(".")[0] for command in HANDLER_COMMANDS})
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "files = [getattr(m, '__file__', None) for m in list(sys.modules.values())]\n"
        "print(json.dumps([f for f in files if f]))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    loaded = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    files = [Path(name).resolve() for name in json.loads(loaded.stdout)]
    outside_venv = [
        path
        for path in files
        if path.is_relative_to(REPOSITORY) and not path.is_relative_to(REPOSITORY / ".venv")
    ]
    assert outside_venv
    for path in outside_venv:
        relative = path.relative_to(REPOSITORY)
        assert relative.parts[0] in CODE_FOLDERS, str(relative)


def test_dockerignore_keeps_code() -> None:
    patterns = dockerignore_patterns()
    files = tracked_files(*CODE_FOLDERS, "requirements.txt", "requirements-dev.txt")
    assert "livequiz/lua/answer.lua" in files
    assert "livequiz/migrations/script.py.mako" in files
    for path in files:
        assert not is_ignored(path, patterns), path


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        "out/demo/stack.log",
        ".pytest_cache/README.md",
        ".mypy_cache/3.11/cache.db",
        ".ruff_cache/CACHEDIR.TAG",
        "livequiz/__pycache__/config.cpython-311.pyc",
        "functions/auth/__pycache__/app.cpython-311.pyc",
        ".env",
    ],
)
def test_dockerignore_excludes(path: str) -> None:
    assert is_ignored(path, dockerignore_patterns())


def test_dockerignore_matcher_rules() -> None:
    # The matcher itself: folders, a leading **, ! exceptions and whole path segments.
    assert is_ignored("a/b/c.txt", ["a"])
    assert is_ignored("x/y/z.pyc", ["**/*.pyc"])
    assert is_ignored("z.pyc", ["**/*.pyc"])
    assert not is_ignored("a/keep.txt", ["a", "!a/keep.txt"])
    assert not is_ignored("ab/c.txt", ["a"])
    assert not is_ignored("x/a.txt", ["a.txt"])
