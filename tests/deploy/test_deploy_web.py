"""scripts/deploy_web.py against a fake ``aws`` executable, so nothing reaches AWS.

PATH holds only the fake's folder, so the real AWS CLI can never run. The fake records its
arguments, and the text of the file that ``s3 cp`` uploads, and prints a canned
``describe-stacks`` response.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "deploy_web.py"
WEB_ROOT = ROOT / "web"

STACK_NAME = "livequiz-test"
REGION = "eu-west-1"
REST_URL = "https://r3st4p1abc.execute-api.eu-west-1.amazonaws.com/"
WS_URL = "wss://w3bs0ck3t1.execute-api.eu-west-1.amazonaws.com/prod"
BUCKET = "livequiz-test-webbucket-1a2b3c4d5e6f"
DISTRIBUTION_ID = "E2QWRUHAPOMQZL"

OUTPUTS = {
    "WebSocketUrl": WS_URL,
    "RestApiUrl": REST_URL,
    "ManagementApiUrl": "https://w3bs0ck3t1.execute-api.eu-west-1.amazonaws.com/prod",
    "WebUrl": "https://d111111abcdef8.cloudfront.net",
    "WebBucketName": BUCKET,
    "WebDistributionId": DISTRIBUTION_ID,
}

FAKE_AWS = """#!{python}
import json
import os
import sys
from pathlib import Path

arguments = sys.argv[1:]
record = {{"arguments": arguments}}
if arguments[:2] == ["s3", "cp"]:
    record["uploaded_text"] = Path(arguments[2]).read_text()
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")

failing = os.environ.get("FAKE_AWS_FAIL")
if failing and " ".join(arguments).startswith(failing):
    print("An error occurred (AccessDenied) in the fake aws", file=sys.stderr)
    sys.exit(1)
if arguments[:2] == ["cloudformation", "describe-stacks"]:
    stacks = os.environ.get("FAKE_AWS_STACKS")
    if stacks is None:
        name = arguments[arguments.index("--stack-name") + 1]
        print(
            "An error occurred (ValidationError) when calling the DescribeStacks operation: "
            f"Stack with id {{name}} does not exist",
            file=sys.stderr,
        )
        sys.exit(254)
    print(Path(stacks).read_text())
"""


def describe_stacks_response(outputs: dict[str, str]) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackId": f"arn:aws:cloudformation:{REGION}:123456789012:stack/{STACK_NAME}/"
                "51af3dc0-da77-11e4-872e-1234567db123",
                "StackName": STACK_NAME,
                "StackStatus": "UPDATE_COMPLETE",
                "Outputs": [
                    {"OutputKey": key, "OutputValue": value, "Description": key}
                    for key, value in outputs.items()
                ],
            }
        ]
    }


class FakeAws:
    """A folder with a fake ``aws``, and the environment that puts it alone on PATH."""

    def __init__(self, folder: Path) -> None:
        self.bin = folder / "bin"
        self.bin.mkdir()
        self.executable = self.bin / "aws"
        self.executable.write_text(FAKE_AWS.format(python=sys.executable))
        self.executable.chmod(0o755)
        self.log = folder / "calls.jsonl"
        self.stacks = folder / "describe-stacks.json"
        self.environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("AWS_") and name != "PATH"
        }
        self.environment.update(
            PATH=str(self.bin),
            FAKE_AWS_LOG=str(self.log),
            FAKE_AWS_STACKS=str(self.stacks),
        )
        self.set_outputs(OUTPUTS)

    def set_outputs(self, outputs: dict[str, str]) -> None:
        self.stacks.write_text(json.dumps(describe_stacks_response(outputs)))

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def arguments(self) -> list[list[str]]:
        return [call["arguments"] for call in self.calls()]


@pytest.fixture
def fake_aws(tmp_path: Path) -> FakeAws:
    return FakeAws(tmp_path)


def run_script(fake: FakeAws, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        cwd=ROOT,
        env=fake.environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def upload_arguments(region: list[str]) -> list[list[str]]:
    """Return the arguments the script passes to aws after describe-stacks, in order."""
    source = f"{WEB_ROOT}/"
    bucket = f"s3://{BUCKET}/"
    s3_options = [*region, "--no-progress"]
    return [
        [
            *("s3", "sync", source, bucket, "--exclude", "*.html", "--exclude", "config.json"),
            *("--cache-control", "public, max-age=300", *s3_options),
        ],
        [
            *("s3", "sync", source, bucket, "--exclude", "*", "--include", "*.html"),
            *("--cache-control", "no-cache", *s3_options),
        ],
        # The config file's temporary path is checked on its own.
        [
            *("s3", "cp", "<config file>", f"{bucket}config.json"),
            *("--cache-control", "no-cache", "--content-type", "application/json", *s3_options),
        ],
        [
            *("s3", "sync", source, bucket, "--delete", "--size-only"),
            *("--exclude", "config.json", *s3_options),
        ],
        [
            *("cloudfront", "create-invalidation", "--distribution-id", DISTRIBUTION_ID),
            *("--paths", "/*"),
        ],
    ]


def describe_arguments(stack_name: str, region: list[str]) -> list[str]:
    return [
        *("cloudformation", "describe-stacks", "--stack-name", stack_name),
        *(*region, "--output", "json"),
    ]


def without_config_path(calls: list[list[str]]) -> list[list[str]]:
    return [
        [*call[:2], "<config file>", *call[3:]] if call[:2] == ["s3", "cp"] else call
        for call in calls
    ]


def test_deploy_uploads_and_invalidates(fake_aws: FakeAws) -> None:
    completed = run_script(fake_aws, "--stack-name", STACK_NAME, "--region", REGION)

    assert completed.returncode == 0, completed.stderr
    calls = fake_aws.arguments()
    assert calls[0] == describe_arguments(STACK_NAME, ["--region", REGION])
    assert without_config_path(calls[1:]) == upload_arguments(["--region", REGION])
    assert f"invalidated {DISTRIBUTION_ID}" in completed.stdout


def test_deploy_uploads_config_from_outputs(fake_aws: FakeAws) -> None:
    completed = run_script(fake_aws, "--stack-name", STACK_NAME, "--region", REGION)

    assert completed.returncode == 0, completed.stderr
    (upload,) = [call for call in fake_aws.calls() if call["arguments"][:2] == ["s3", "cp"]]
    config_path = Path(upload["arguments"][2])
    assert config_path.name == "config.json"
    assert json.loads(upload["uploaded_text"]) == {"rest_url": REST_URL, "ws_url": WS_URL}
    # The config file lives in a temporary folder, never in web/.
    assert not config_path.exists()
    assert not (WEB_ROOT / "config.json").exists()


def test_deploy_without_region_uses_cli_default(fake_aws: FakeAws) -> None:
    completed = run_script(fake_aws)

    assert completed.returncode == 0, completed.stderr
    calls = fake_aws.arguments()
    assert calls[0] == describe_arguments("livequiz", [])
    assert without_config_path(calls[1:]) == upload_arguments([])


def test_dry_run_prints_without_uploading(fake_aws: FakeAws) -> None:
    completed = run_script(fake_aws, "--stack-name", STACK_NAME, "--region", REGION, "--dry-run")

    assert completed.returncode == 0, completed.stderr
    assert fake_aws.arguments() == [describe_arguments(STACK_NAME, ["--region", REGION])]
    assert f'"rest_url": "{REST_URL}"' in completed.stdout
    assert f'"ws_url": "{WS_URL}"' in completed.stdout
    assert f"aws s3 sync {WEB_ROOT}/ s3://{BUCKET}/ --exclude '*.html'" in completed.stdout
    assert f"s3://{BUCKET}/config.json --cache-control no-cache" in completed.stdout
    assert "--delete --size-only" in completed.stdout
    assert f"create-invalidation --distribution-id {DISTRIBUTION_ID} --paths '/*'" in (
        completed.stdout
    )


def test_missing_stack_is_reported(fake_aws: FakeAws) -> None:
    del fake_aws.environment["FAKE_AWS_STACKS"]

    completed = run_script(fake_aws, "--stack-name", "no-such-stack", "--region", REGION)

    assert completed.returncode == 1
    assert "stack 'no-such-stack' was not found in region eu-west-1" in completed.stderr
    assert "sam deploy" in completed.stderr
    assert len(fake_aws.arguments()) == 1


def test_missing_cli_is_reported(fake_aws: FakeAws, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    fake_aws.environment["PATH"] = str(empty)

    completed = run_script(fake_aws, "--stack-name", STACK_NAME)

    assert completed.returncode == 1
    assert "the AWS CLI (aws) was not found on PATH" in completed.stderr
    assert fake_aws.arguments() == []


def test_stack_without_web_outputs_is_reported(fake_aws: FakeAws) -> None:
    fake_aws.set_outputs({key: OUTPUTS[key] for key in ("WebSocketUrl", "RestApiUrl")})

    completed = run_script(fake_aws, "--stack-name", STACK_NAME, "--region", REGION)

    assert completed.returncode == 1
    assert "has no output WebBucketName, WebDistributionId" in completed.stderr
    assert "status UPDATE_COMPLETE" in completed.stderr
    assert len(fake_aws.arguments()) == 1


def test_failed_upload_skips_invalidation(fake_aws: FakeAws) -> None:
    fake_aws.environment["FAKE_AWS_FAIL"] = "s3 cp"

    completed = run_script(fake_aws, "--stack-name", STACK_NAME, "--region", REGION)

    assert completed.returncode == 1
    assert "s3 cp failed with exit code 1" in completed.stderr
    commands = [call[:2] for call in fake_aws.arguments()]
    assert commands == [
        ["cloudformation", "describe-stacks"],
        ["s3", "sync"],
        ["s3", "sync"],
        ["s3", "cp"],
    ]


def test_makefile_target_runs_script() -> None:
    # Under `make test` the parent's MAKEFLAGS would make this make print the directories it
    # enters, so the child gets none of its parent's settings.
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    }
    completed = subprocess.run(
        ["make", "--no-print-directory", "-n", "deploy-web", "ARGS=--dry-run --stack-name other"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    # The last line; make may first print the steps of an out-of-date install.
    command = completed.stdout.strip().splitlines()[-1]
    assert command == ".venv/bin/python scripts/deploy_web.py --dry-run --stack-name other"
