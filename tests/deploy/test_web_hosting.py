"""Offline checks of the web app's hosting in template.yaml: bucket, CloudFront and CORS.

The template runs through the same in-process SAM transform as tests/deploy/test_template.py.
The CloudFront Function's JavaScript runs under node against sample viewer-request events.
"""

import copy
import json
import re
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]

from livequiz.local.web import SecurityHeaders, connect_sources

# _offline is autouse: importing it rejects connections that leave the machine here too.
from tests.deploy.test_template import (  # noqa: F401
    MANAGED_POLICIES,
    REGION,
    ROOT,
    Template,
    _offline,
    load_template,
    transform,
    with_images,
)

VIEWER_REQUEST_EVENT = ROOT / "tests" / "events" / "cloudfront-viewer-request.json"

# Values that CloudFormation would put in place of the pseudo parameters and resource ids.
STACK_VALUES = {
    "AWS::Region": REGION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "RestApi": "r3st4p1abc",
    "WebSocketApi": "w3bs0ck3t1",
    "StageName": "prod",
    "WebBucket.Arn": "arn:aws:s3:::livequiz-webbucket-1a2b3c4d5e6f",
    "WebDistribution": "E2QWRUHAPOMQZL",
    "WebDistribution.DomainName": "d111111abcdef8.cloudfront.net",
}

# Runs the function code as CloudFront does, as a script whose top-level handler() takes one
# event, and prints the request it returns for each event read from stdin.
NODE_HARNESS = """
const fs = require("node:fs");
const vm = require("node:vm");
const context = {};
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), context);
const events = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(events.map((event) => context.handler(event))));
"""


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    found: dict[str, Any] = transform(with_images(load_template()))["Resources"]
    return found


def transform_with(parameters: dict[str, str]) -> Template:
    """Run the SAM transform as `sam deploy --parameter-overrides` would, with no call to AWS."""
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    result: Template = translator.translate(
        copy.deepcopy(with_images(load_template())),
        parameter_values=parameters,
        get_managed_policy_map=lambda: MANAGED_POLICIES,
    )
    return result


def substitute(value: Any, names: dict[str, str]) -> str:
    """Evaluate a plain string, Fn::Sub string or Fn::Join of them with the given names."""
    if isinstance(value, str):
        return value
    ((function, argument),) = value.items()
    if function == "Fn::Sub":
        return re.sub(r"\$\{([^}!]+)\}", lambda match: names[match.group(1)], argument)
    if function == "Fn::Join":
        separator, items = argument
        return str(separator).join(substitute(item, names) for item in items)
    raise AssertionError(f"cannot evaluate {function}")


def sub_names_of(value: dict[str, Any]) -> set[str]:
    return set(re.findall(r"\$\{([^}!]+)\}", value["Fn::Sub"]))


def directives(policy: str) -> dict[str, list[str]]:
    """Split a Content-Security-Policy into its directives and their sources, in order."""
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def source_admits(source: str, url: str) -> bool:
    """Return whether a CSP host source without a path, like https://*.example.com, admits url."""
    scheme, _, host = source.partition("://")
    parts = urlsplit(url)
    if scheme != parts.scheme or parts.hostname is None:
        return False
    if host.startswith("*."):
        return parts.hostname.endswith(host[1:])
    return parts.hostname == host


def local_security_headers() -> dict[str, str]:
    """Return the headers that the local runtime's middleware adds, by lower-case name."""
    sources = connect_sources("http://127.0.0.1:8000", "ws://127.0.0.1:8765/local")
    middleware = SecurityHeaders(app=None, connect_sources=sources)  # type: ignore[arg-type]
    return {name.decode(): value.decode() for name, value in middleware.headers}


def security_headers(resources: dict[str, Any]) -> dict[str, Any]:
    policy = resources["WebResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    found: dict[str, Any] = policy["SecurityHeadersConfig"]
    return found


def default_behavior(resources: dict[str, Any]) -> dict[str, Any]:
    config = resources["WebDistribution"]["Properties"]["DistributionConfig"]
    behavior: dict[str, Any] = config["DefaultCacheBehavior"]
    return behavior


# ---------------------------------------------------------------- bucket


def test_bucket_blocks_public_access(resources: dict[str, Any]) -> None:
    bucket = resources["WebBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "WebsiteConfiguration" not in bucket
    assert "AccessControl" not in bucket


def test_bucket_encrypts_and_enforces_ownership(resources: dict[str, Any]) -> None:
    bucket = resources["WebBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_bucket_policy_admits_only_distribution(resources: dict[str, Any]) -> None:
    policy = resources["WebBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "WebBucket"}
    statements = policy["PolicyDocument"]["Statement"]
    allowed = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert len(allowed) == 1
    (read,) = allowed
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert read["Resource"] == {"Fn::Sub": "${WebBucket.Arn}/*"}
    assert list(read["Condition"]) == ["StringEquals"]
    source_arn = read["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert sub_names_of(source_arn) == {"AWS::Partition", "AWS::AccountId", "WebDistribution"}
    assert substitute(source_arn, STACK_VALUES) == (
        "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
    )


def test_bucket_policy_denies_plain_http(resources: dict[str, Any]) -> None:
    statements = resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    denied = [statement for statement in statements if statement["Effect"] == "Deny"]
    assert len(denied) == 1
    (deny,) = denied
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    assert {"Fn::GetAtt": ["WebBucket", "Arn"]} in deny["Resource"]
    assert {"Fn::Sub": "${WebBucket.Arn}/*"} in deny["Resource"]


# ---------------------------------------------------------------- distribution


def test_distribution_reads_bucket_through_oac(resources: dict[str, Any]) -> None:
    config = resources["WebDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["WebBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert default_behavior(resources)["TargetOriginId"] == origin["Id"]
    oac = resources["WebOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert oac["OriginAccessControlOriginType"] == "s3"
    assert oac["SigningBehavior"] == "always"
    assert oac["SigningProtocol"] == "sigv4"
    kinds = {resource["Type"] for resource in resources.values()}
    assert "AWS::CloudFront::CloudFrontOriginAccessIdentity" not in kinds


def test_distribution_serves_https_only(resources: dict[str, Any]) -> None:
    config = resources["WebDistribution"]["Properties"]["DistributionConfig"]
    behavior = default_behavior(resources)
    assert config["Enabled"] is True
    assert config["DefaultRootObject"] == "index.html"
    assert config.get("CacheBehaviors", []) == []
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["Compress"] is True
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    # The managed CachingOptimized policy, which follows the objects' Cache-Control.
    assert behavior["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "WebResponseHeadersPolicy"}


def test_distribution_runs_page_function(resources: dict[str, Any]) -> None:
    assert default_behavior(resources)["FunctionAssociations"] == [
        {
            "EventType": "viewer-request",
            "FunctionARN": {"Fn::GetAtt": ["WebPageFunction", "FunctionARN"]},
        }
    ]
    function = resources["WebPageFunction"]["Properties"]
    assert function["AutoPublish"] is True
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"


def test_cloudfront_names_fit_their_limits(resources: dict[str, Any]) -> None:
    stack_id = (
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/"
        "a-stack-name-far-longer-than-sixty-four-characters-for-this-check-of-names/"
        "51af3dc0-da77-11e4-872e-1234567db123"
    )
    named = {
        "WebOriginAccessControl": ("OriginAccessControlConfig", "livequiz-web-51af3dc0"),
        "WebPageFunction": (None, "livequiz-web-pages-51af3dc0"),
        "WebResponseHeadersPolicy": (
            "ResponseHeadersPolicyConfig",
            "livequiz-web-headers-51af3dc0",
        ),
    }
    for resource, (config_key, expected) in named.items():
        properties = resources[resource]["Properties"]
        config = properties[config_key] if config_key else properties
        name = evaluate_name(config["Name"], stack_id)
        assert name == expected, resource
        # A CloudFront Function name takes at most 64 characters.
        assert len(name) <= 64, resource


def evaluate_name(value: dict[str, Any], stack_id: str) -> str:
    """Evaluate the Join, Select and Split of a name built from the stack's id."""
    separator, (prefix, select) = value["Fn::Join"]
    index, split = select["Fn::Select"]
    split_separator, inner = split["Fn::Split"]
    inner_index, inner_split = inner["Fn::Select"]
    inner_separator, reference = inner_split["Fn::Split"]
    assert reference == {"Ref": "AWS::StackId"}
    block = stack_id.split(inner_separator)[inner_index].split(split_separator)[index]
    return f"{prefix}{separator}{block}"


# ---------------------------------------------------------------- response headers


def test_headers_policy_csp_matches_local(resources: dict[str, Any]) -> None:
    config = security_headers(resources)["ContentSecurityPolicy"]
    assert config["Override"] is True
    deployed = directives(substitute(config["ContentSecurityPolicy"], STACK_VALUES))
    local = directives(local_security_headers()["content-security-policy"])
    assert list(deployed) == list(local)
    for name, sources in local.items():
        if name != "connect-src":
            assert deployed[name] == sources, name
    assert deployed["connect-src"][0] == "'self'"
    assert local["connect-src"][0] == "'self'"


def test_headers_policy_csp_admits_stack_apis(resources: dict[str, Any]) -> None:
    config = security_headers(resources)["ContentSecurityPolicy"]
    connect = directives(substitute(config["ContentSecurityPolicy"], STACK_VALUES))["connect-src"]
    rest_url = f"https://{STACK_VALUES['RestApi']}.execute-api.{REGION}.amazonaws.com/"
    ws_url = f"wss://{STACK_VALUES['WebSocketApi']}.execute-api.{REGION}.amazonaws.com/prod"
    assert connect == [
        "'self'",
        f"https://*.execute-api.{REGION}.amazonaws.com",
        f"wss://{STACK_VALUES['WebSocketApi']}.execute-api.{REGION}.amazonaws.com",
    ]
    assert any(source_admits(source, rest_url) for source in connect[1:])
    assert any(source_admits(source, ws_url) for source in connect[1:])
    other_websocket = f"wss://0th3rap1zz.execute-api.{REGION}.amazonaws.com/prod"
    assert not any(source_admits(source, other_websocket) for source in connect[1:])
    other_region = f"https://{STACK_VALUES['RestApi']}.execute-api.us-east-1.amazonaws.com/"
    assert not any(source_admits(source, other_region) for source in connect[1:])


def test_headers_policy_sets_local_headers(resources: dict[str, Any]) -> None:
    headers = security_headers(resources)
    local = local_security_headers()
    assert set(local) == {
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
    }
    # CloudFront's ContentTypeOptions sends "nosniff", its only value.
    assert local["x-content-type-options"] == "nosniff"
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["ReferrerPolicy"] == {
        "ReferrerPolicy": local["referrer-policy"],
        "Override": True,
    }
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["StrictTransportSecurity"]["Override"] is True


# ---------------------------------------------------------------- CORS


def cors_origin(template: Template, allowed_origin: str) -> str:
    """Return the one CORS origin CloudFormation would deploy for the given AllowedOrigin."""
    body = template["Resources"]["RestApi"]["Properties"]["Body"]
    (origin,) = body["x-amazon-apigateway-cors"]["allowOrigins"]
    condition, when_set, otherwise = origin["Fn::If"]
    assert template["Conditions"][condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AllowedOrigin"}, ""]}]
    }
    return when_set if allowed_origin != "" else substitute(otherwise, STACK_VALUES)


def test_cors_admits_distribution_by_default() -> None:
    origin = cors_origin(transform_with({}), "")
    assert origin == "https://d111111abcdef8.cloudfront.net"


@pytest.mark.parametrize("allowed_origin", ["https://quiz.example.com", "*"])
def test_cors_allowed_origin_replaces_distribution(allowed_origin: str) -> None:
    template = transform_with({"AllowedOrigin": allowed_origin})
    assert cors_origin(template, allowed_origin) == allowed_origin


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("", True),
        ("*", True),
        ("https://quiz.example.com", True),
        ("http://localhost:8080", True),
        ("https://quiz.example.com/", False),
        ("quiz.example.com", False),
        ("https://quiz.example.com,https://other.example.com", False),
    ],
)
def test_allowed_origin_pattern(value: str, valid: bool) -> None:
    pattern = load_template()["Parameters"]["AllowedOrigin"]["AllowedPattern"]
    assert (re.fullmatch(pattern, value) is not None) is valid


# ---------------------------------------------------------------- CloudFront Function

PAGE_FUNCTION_CASES = [
    # (uri, query string, uri after the function)
    ("/", {}, "/"),
    ("/play", {}, "/play.html"),
    ("/play", {"pin": {"value": "123456"}}, "/play.html"),
    ("/host", {}, "/host.html"),
    ("/js/app.js", {}, "/js/app.js"),
    ("/js/player/main.js", {}, "/js/player/main.js"),
    ("/play.html", {}, "/play.html"),
    ("/css/app.css", {"v": {"value": "2"}}, "/css/app.css"),
    ("/playground", {}, "/playground"),
    ("/play/", {}, "/play/"),
]


@pytest.fixture(scope="module")
def rewritten(resources: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """Run the page function under node on one viewer-request event per case."""
    node = shutil.which("node")
    assert node is not None, "node was not found on PATH; install Node.js to run this test"
    code = tmp_path_factory.mktemp("cloudfront") / "function.js"
    code.write_text(resources["WebPageFunction"]["Properties"]["FunctionCode"])
    sample = json.loads(VIEWER_REQUEST_EVENT.read_text())
    events = []
    for uri, querystring, _ in PAGE_FUNCTION_CASES:
        event = copy.deepcopy(sample)
        event["request"]["uri"] = uri
        event["request"]["querystring"] = querystring
        events.append(event)
    completed = subprocess.run(
        [node, "-e", NODE_HARNESS, str(code)],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results: list[Any] = json.loads(completed.stdout)
    return results


@pytest.mark.parametrize("case", range(len(PAGE_FUNCTION_CASES)))
def test_page_function_rewrites_uri(rewritten: list[Any], case: int) -> None:
    uri, querystring, expected = PAGE_FUNCTION_CASES[case]
    request = rewritten[case]
    assert request["uri"] == expected, uri
    assert request["querystring"] == querystring, uri
    assert request["method"] == "GET", uri
    assert request["headers"]["host"] == {"value": "d111111abcdef8.cloudfront.net"}, uri
