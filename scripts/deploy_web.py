"""Upload web/ to the stack's bucket and invalidate the web app's CloudFront cache.

    python3 scripts/deploy_web.py [--stack-name livequiz] [--region eu-west-1] [--dry-run]

Reads the stack's outputs with the AWS CLI (``aws cloudformation describe-stacks``), writes a
``config.json`` of ``{"rest_url": RestApiUrl, "ws_url": WebSocketUrl}``, syncs web/ and that
file to ``WebBucketName`` and invalidates every path of ``WebDistributionId``. With
``--dry-run`` it still reads the outputs, which changes nothing, then prints the commands and
``config.json`` instead of running them. Needs only the standard library and the AWS CLI.
"""

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
WEB_ROOT = REPOSITORY / "web"
# The stack name in samconfig.toml.
DEFAULT_STACK_NAME = "livequiz"
CONFIG_NAME = "config.json"
REQUIRED_OUTPUTS = ("RestApiUrl", "WebSocketUrl", "WebBucketName", "WebDistributionId")

# Browsers revalidate pages and config.json on every load with a conditional request (ETag),
# so a deploy reaches them as soon as the CloudFront invalidation completes.
PAGE_CACHE_CONTROL = "no-cache"
# Scripts and styles carry no content hash in their names, so they are cached briefly. For up
# to this long after a deploy, a browser may combine new pages with old scripts.
ASSET_CACHE_CONTROL = "public, max-age=300"


class DeployError(Exception):
    """A step of the upload failed. The message states what to do next."""


@dataclass(frozen=True)
class StackOutputs:
    rest_url: str
    ws_url: str
    bucket: str
    distribution_id: str


def find_cli() -> str:
    """Return the path of the ``aws`` executable on PATH."""
    path = shutil.which("aws")
    if path is None:
        raise DeployError(
            "the AWS CLI (aws) was not found on PATH; install AWS CLI v2 "
            "(https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"
        )
    return path


def region_options(region: str | None) -> list[str]:
    return ["--region", region] if region else []


def read_outputs(cli: str, stack_name: str, region: str | None) -> StackOutputs:
    """Read the stack's outputs with ``aws cloudformation describe-stacks``."""
    command = [
        cli,
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        stack_name,
        *region_options(region),
        "--output",
        "json",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    where = f"region {region}" if region else "the AWS CLI's default region"
    if completed.returncode != 0:
        message = completed.stderr.strip()
        if "does not exist" in message:
            raise DeployError(
                f"stack {stack_name!r} was not found in {where}; deploy it with `sam deploy`, "
                "or pass the stack's --stack-name and --region"
            )
        raise DeployError(
            f"aws cloudformation describe-stacks failed with exit code {completed.returncode}: "
            f"{message}"
        )

    try:
        (stack,) = json.loads(completed.stdout)["Stacks"]
    except (ValueError, KeyError) as error:
        raise DeployError(
            f"aws cloudformation describe-stacks returned invalid output for {stack_name!r}: "
            f"{error!r}"
        ) from error
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}
    missing = [name for name in REQUIRED_OUTPUTS if name not in outputs]
    if missing:
        raise DeployError(
            f"stack {stack_name!r} in {where} (status {stack.get('StackStatus')}) has no "
            f"output {', '.join(missing)}; deploy the current template.yaml with `sam deploy`"
        )
    return StackOutputs(
        rest_url=outputs["RestApiUrl"],
        ws_url=outputs["WebSocketUrl"],
        bucket=outputs["WebBucketName"],
        distribution_id=outputs["WebDistributionId"],
    )


def config_text(outputs: StackOutputs) -> str:
    """Return the config.json that the pages read, as livequiz/local/web.py serves it."""
    return json.dumps({"rest_url": outputs.rest_url, "ws_url": outputs.ws_url}, indent=2) + "\n"


def upload_commands(
    cli: str, outputs: StackOutputs, web_root: Path, config_file: Path, region: str | None
) -> list[list[str]]:
    """Return the AWS CLI commands that upload the site, in the order they must run.

    Scripts and styles go first and pages second, so a new page never refers to a file that
    is not there yet. The last sync deletes the files that web/ no longer has. It uploads
    nothing, because the first two synced every file, and ``--size-only`` keeps it from
    uploading a file again without its Cache-Control.
    """
    source = f"{web_root}/"
    bucket = f"s3://{outputs.bucket}/"
    s3_options = [*region_options(region), "--no-progress"]
    return [
        [
            *(cli, "s3", "sync", source, bucket),
            *("--exclude", "*.html", "--exclude", CONFIG_NAME),
            *("--cache-control", ASSET_CACHE_CONTROL),
            *s3_options,
        ],
        [
            *(cli, "s3", "sync", source, bucket),
            *("--exclude", "*", "--include", "*.html"),
            *("--cache-control", PAGE_CACHE_CONTROL),
            *s3_options,
        ],
        [
            *(cli, "s3", "cp", str(config_file), f"{bucket}{CONFIG_NAME}"),
            *("--cache-control", PAGE_CACHE_CONTROL, "--content-type", "application/json"),
            *s3_options,
        ],
        [
            *(cli, "s3", "sync", source, bucket),
            *("--delete", "--size-only", "--exclude", CONFIG_NAME),
            *s3_options,
        ],
        # CloudFront is a global service, so the invalidation takes no region. "/*" counts
        # as one path against the free invalidations per month.
        [
            *(cli, "cloudfront", "create-invalidation"),
            *("--distribution-id", outputs.distribution_id, "--paths", "/*"),
        ],
    ]


def run(commands: Sequence[Sequence[str]]) -> None:
    for command in commands:
        print(f"+ {shlex.join(command)}", flush=True)
        completed = subprocess.run(command, check=False)
        if completed.returncode != 0:
            raise DeployError(
                f"{shlex.join(command[1:3])} failed with exit code {completed.returncode}; "
                "see the AWS CLI's message above"
            )


def deploy(stack_name: str, region: str | None, web_root: Path, dry_run: bool) -> None:
    if not (web_root / "index.html").is_file():
        raise DeployError(f"{web_root} has no index.html; pass the web app's folder as --web-root")
    cli = find_cli()
    outputs = read_outputs(cli, stack_name, region)
    config = config_text(outputs)

    with tempfile.TemporaryDirectory(prefix="livequiz-web-") as folder:
        config_file = Path(folder) / CONFIG_NAME
        config_file.write_text(config)
        commands = upload_commands(cli, outputs, web_root, config_file, region)
        if dry_run:
            print(f"Would upload {web_root} to s3://{outputs.bucket}/ with this {CONFIG_NAME}:")
            print(config, end="")
            print("Would run:")
            for command in commands:
                print(f"  {shlex.join(command)}")
            return
        run(commands)
    print(
        f"Uploaded {web_root} to s3://{outputs.bucket}/ and invalidated {outputs.distribution_id}"
    )


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Upload web/ and its config.json to the stack's bucket, then invalidate "
        "the CloudFront cache. Reads the stack's outputs with the AWS CLI."
    )
    parser.add_argument(
        "--stack-name",
        default=DEFAULT_STACK_NAME,
        help=f"name of the deployed stack (default: {DEFAULT_STACK_NAME}, as in samconfig.toml)",
    )
    parser.add_argument(
        "--region",
        help="AWS region of the stack (default: the AWS CLI's configured region)",
    )
    parser.add_argument(
        "--web-root",
        type=Path,
        default=WEB_ROOT,
        help="folder of the pages to upload (default: the repository's web/)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="read the stack's outputs, then print config.json and the upload and "
        "invalidation commands without running them",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        deploy(arguments.stack_name, arguments.region, arguments.web_root, arguments.dry_run)
    except DeployError as error:
        print(f"deploy_web: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
