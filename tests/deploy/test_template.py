"""Offline checks of template.yaml: cfn-lint, the SAM transform, and the handlers it names.

cfn-lint and the SAM translator run in this process, on the packaged specifications they ship
with, and a guard rejects any connection that is not to the loopback address while they run.
The transform gets each function an ``ImageUri`` the way ``sam build`` and ``sam package`` do,
a boto3 session that has a region and no need of credentials, and a managed policy map of its
own, so nothing calls AWS. The assertions then read the CloudFormation that the transform
produces, which is what CloudFormation would deploy.
"""

import copy
import json
import os
import re
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint, lint_file  # type: ignore[import-untyped]
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]
from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]

from livequiz.config import Settings
from livequiz.local.routes import ROUTES, default_mappings

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "eu-west-1"
LINT_REGIONS = ["eu-west-1", "us-east-1"]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

Template = dict[str, Any]

# The image command of each function, as agreed with the Dockerfile and the handlers.
COMMANDS = {
    "RestFunction": "functions.auth.app.handler",
    "ConnectFunction": "functions.connect.handler.connect",
    "DisconnectFunction": "functions.connect.handler.disconnect",
    "AnswerFunction": "functions.answer.handler.handler",
    "DeadlineFunction": "functions.answer.deadline.handler",
    "BroadcastFunction": "functions.broadcast.handler.handler",
    "PersistFunction": "functions.persist.handler.handler",
    "MigrateFunction": "livequiz.migrate.lambda_handler",
}

# Memory in MB, timeout in seconds and reserved concurrency; template.yaml gives the reasons.
SIZING = {
    "RestFunction": (1024, 29, 50),
    "ConnectFunction": (512, 10, 100),
    "DisconnectFunction": (512, 10, 50),
    "AnswerFunction": (1769, 10, 200),
    "DeadlineFunction": (512, 60, 2),
    "BroadcastFunction": (1769, 120, 2),
    "PersistFunction": (1024, 120, 2),
    "MigrateFunction": (512, 300, 1),
}

# Batch size and batching window in seconds of each MQ event-source mapping.
BATCHING = {
    "BroadcastFunction": (100, 0),
    "PersistFunction": (100, 1),
    "DeadlineFunction": (10, 0),
}

WEBSOCKET_FUNCTIONS = {
    "ConnectFunction": "$connect",
    "DisconnectFunction": "$disconnect",
    "AnswerFunction": "*",
}

# Every function reads these at cold start (livequiz.secrets and livequiz.config).
CONTRACT_VARIABLES = {
    "LIVEQUIZ_REDIS_URL",
    "LIVEQUIZ_MYSQL_HOST",
    "LIVEQUIZ_MYSQL_PORT",
    "LIVEQUIZ_MYSQL_DATABASE",
    "LIVEQUIZ_MYSQL_SECRET_ARN",
    "LIVEQUIZ_RABBITMQ_HOST",
    "LIVEQUIZ_RABBITMQ_SECRET_ARN",
    "LIVEQUIZ_TOKEN_SECRET_ARN",
    "LIVEQUIZ_MANAGEMENT_URL",
    "LIVEQUIZ_AWS_REGION",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_LOG_LEVEL",
}

SECRETS = [
    {"Fn::GetAtt": ["Database", "MasterUserSecret.SecretArn"]},
    {"Ref": "BrokerSecret"},
    {"Ref": "TokenSecret"},
]

MANAGEMENT_URL = "https://${WebSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}"
CONNECTIONS_ARNS = [
    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
    f"${{WebSocketApi}}/${{StageName}}/{method}/@connections/*"
    for method in ("POST", "DELETE")
]
VPC_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
BASIC_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# The transform looks up managed policy names in this map instead of asking IAM.
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": BASIC_EXECUTION_POLICY,
    "AWSLambdaVPCAccessExecutionRole": VPC_ACCESS_POLICY,
}

# Warnings cfn-lint may report, each with the reason it stays. Any other warning fails.
KEPT_TEMPLATE_WARNINGS: dict[str, str] = {}
KEPT_TRANSFORMED_WARNINGS: dict[str, str] = {}


def _refuse_remote(address: Any) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if host not in LOOPBACK:
        raise OSError(f"a deploy test tried to reach {address!r}: these tests must stay offline")


@pytest.fixture(scope="module", autouse=True)
def _offline() -> Iterator[None]:
    """Reject every connection and name lookup that leaves the machine."""
    original_connect = socket.socket.connect
    original_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        _refuse_remote(address)
        original_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        _refuse_remote(host)
        return original_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


def load_template() -> Template:
    template: Template = yaml_parse(TEMPLATE.read_text())
    return template


def with_images(template: Template, tags: dict[str, str] | None = None) -> Template:
    """Give every image function the ImageUri that `sam build` and `sam package` would."""
    packaged = copy.deepcopy(template)
    for name, resource in packaged["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            tag = (tags or {}).get(name, "0123456789ab")
            repository = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/livequiz{name.lower()}"
            resource["Properties"]["ImageUri"] = f"{repository}:{name.lower()}-{tag}-python3.11"
    return packaged


def transform(template: Template) -> Template:
    """Run the SAM transform in process, with no call to AWS."""
    session = boto3.session.Session(region_name=REGION)
    translator = Translator(None, Parser(), boto_session=session)
    result: Template = translator.translate(
        copy.deepcopy(template),
        parameter_values={},
        get_managed_policy_map=lambda: MANAGED_POLICIES,
    )
    return result


@pytest.fixture(scope="module")
def sam() -> Template:
    return load_template()


@pytest.fixture(scope="module")
def cfn(sam: Template) -> Template:
    return transform(with_images(sam))


@pytest.fixture(scope="module")
def resources(cfn: Template) -> dict[str, Any]:
    found: dict[str, Any] = cfn["Resources"]
    return found


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def sub_names(value: Any) -> set[str]:
    """Return the ${Name} and ${Name.Attribute} references of a Fn::Sub string."""
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    return set(re.findall(r"\$\{([^}!]+)\}", text))


def referenced_function(integration: dict[str, Any]) -> str:
    """Return the logical id of the function an AWS_PROXY integration invokes."""
    arns = [name for name in sub_names(integration["Properties"]["IntegrationUri"])]
    functions = [name.removesuffix(".Arn") for name in arns if name.endswith(".Arn")]
    assert len(functions) == 1, f"expected one function ARN in {arns}"
    return functions[0]


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in role["Properties"].get("Policies", []):
        found.extend(policy["PolicyDocument"]["Statement"])
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def targets(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def role_of(resources: dict[str, Any], function: str) -> dict[str, Any]:
    role_name = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    role: dict[str, Any] = resources[role_name]
    return role


def evaluate(value: Any, attributes: dict[str, Any]) -> Any:
    """Evaluate Ref, Fn::GetAtt, Fn::Select, Fn::Split and Fn::Join with given values."""
    if not isinstance(value, dict):
        return value
    ((function, argument),) = value.items()
    if function == "Ref":
        return attributes[argument]
    if function == "Fn::GetAtt":
        return attributes[".".join(argument)]
    if function == "Fn::Select":
        index, items = argument
        return evaluate(items, attributes)[index]
    if function == "Fn::Split":
        separator, text = argument
        return evaluate(text, attributes).split(separator)
    if function == "Fn::Join":
        separator, items = argument
        return separator.join(evaluate(item, attributes) for item in items)
    raise AssertionError(f"cannot evaluate {function}")


# ---------------------------------------------------------------- cfn-lint


def matches_by_level(matches: list[Any]) -> tuple[list[str], set[str]]:
    errors = [
        f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches if m.rule.id[0] == "E"
    ]
    warnings = {m.rule.id for m in matches if m.rule.id[0] == "W"}
    return errors, warnings


def test_template_passes_cfn_lint() -> None:
    matches = lint_file(TEMPLATE, config=ManualArgs(regions=LINT_REGIONS))
    errors, warnings = matches_by_level(matches)
    assert errors == []
    assert warnings == set(KEPT_TEMPLATE_WARNINGS)


def test_transformed_template_passes_cfn_lint(cfn: Template) -> None:
    matches = lint(json.dumps(cfn), config=ManualArgs(regions=LINT_REGIONS))
    errors, warnings = matches_by_level(matches)
    assert errors == []
    assert warnings == set(KEPT_TRANSFORMED_WARNINGS)


# ---------------------------------------------------------------- resources


def test_transform_creates_every_resource_kind(resources: dict[str, Any]) -> None:
    counts = {
        "AWS::Lambda::Function": 8,
        "AWS::Lambda::EventSourceMapping": 3,
        "AWS::AmazonMQ::Broker": 1,
        "AWS::ElastiCache::ReplicationGroup": 1,
        "AWS::RDS::DBInstance": 1,
        "AWS::SecretsManager::Secret": 2,
        "AWS::EC2::VPC": 1,
        "AWS::EC2::Subnet": 3,
        "AWS::EC2::NatGateway": 1,
        "AWS::EC2::VPCEndpoint": 0,
        "AWS::ApiGatewayV2::Api": 2,
        "AWS::ApiGatewayV2::Stage": 2,
        "AWS::ApiGatewayV2::Integration": 3,
        "AWS::ApiGatewayV2::Route": len(ROUTES),
        "AWS::ApiGatewayV2::RouteResponse": len(ROUTES) - 2,
        "AWS::Lambda::Permission": 4,
        "AWS::Logs::LogGroup": 8,
        "Custom::Migrations": 1,
        "AWS::Events::Rule": 0,
        "AWS::Scheduler::Schedule": 0,
        "AWS::S3::Bucket": 1,
        "AWS::S3::BucketPolicy": 1,
        "AWS::CloudFront::Distribution": 1,
        "AWS::CloudFront::OriginAccessControl": 1,
        "AWS::CloudFront::CloudFrontOriginAccessIdentity": 0,
        "AWS::CloudFront::Function": 1,
        "AWS::CloudFront::ResponseHeadersPolicy": 1,
    }
    found = {kind: len(of_type(resources, kind)) for kind in counts}
    assert found == counts


def test_functions_run_image_commands(resources: dict[str, Any]) -> None:
    functions = of_type(resources, "AWS::Lambda::Function")
    commands = {name: f["Properties"]["ImageConfig"]["Command"] for name, f in functions.items()}
    assert commands == {name: [command] for name, command in COMMANDS.items()}
    for name, function in functions.items():
        assert function["Properties"]["PackageType"] == "Image", name


def test_functions_build_from_dockerfile(sam: Template) -> None:
    for name in COMMANDS:
        function = sam["Resources"][name]
        assert function["Metadata"] == {
            "DockerTag": "python3.11",
            "DockerContext": ".",
            "Dockerfile": "Dockerfile",
            "DockerBuildTarget": "lambda",
        }, name
        assert "ImageUri" not in function["Properties"], name
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM \S+ AS lambda$", dockerfile, re.MULTILINE)


def test_function_sizing(resources: dict[str, Any]) -> None:
    found = {
        name: (
            resources[name]["Properties"]["MemorySize"],
            resources[name]["Properties"]["Timeout"],
            resources[name]["Properties"]["ReservedConcurrentExecutions"],
        )
        for name in COMMANDS
    }
    assert found == SIZING


def test_publishing_functions_fit_broker_connections() -> None:
    # Each warm environment that publishes keeps one AMQPS connection open, and each mapping
    # one more for its consumer. An mq.t3.micro broker takes 500 connections.
    silent = {"RestFunction", "MigrateFunction"}
    publishing = sum(reserved for name, (_, _, reserved) in SIZING.items() if name not in silent)
    assert publishing == 356
    assert publishing + len(BATCHING) < 500


# ---------------------------------------------------------------- environment


def test_functions_get_contract_environment(resources: dict[str, Any]) -> None:
    for name in COMMANDS:
        variables = resources[name]["Properties"]["Environment"]["Variables"]
        assert set(variables) == CONTRACT_VARIABLES, name


def test_environment_names_are_settings(resources: dict[str, Any]) -> None:
    variables = resources["AnswerFunction"]["Properties"]["Environment"]["Variables"]
    fields = {
        name.removeprefix("LIVEQUIZ_").lower() for name in variables if name.startswith("LIVEQUIZ_")
    }
    assert fields - set(Settings.model_fields) == set()


def test_environment_values(resources: dict[str, Any]) -> None:
    variables = resources["BroadcastFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["LIVEQUIZ_REDIS_URL"] == {
        "Fn::Sub": "rediss://${Redis.PrimaryEndPoint.Address}:${Redis.PrimaryEndPoint.Port}/0"
    }
    assert variables["LIVEQUIZ_MYSQL_HOST"] == {"Fn::GetAtt": ["Database", "Endpoint.Address"]}
    assert variables["LIVEQUIZ_MYSQL_PORT"] == {"Fn::GetAtt": ["Database", "Endpoint.Port"]}
    assert variables["LIVEQUIZ_MYSQL_DATABASE"] == "livequiz"
    assert variables["LIVEQUIZ_MYSQL_SECRET_ARN"] == SECRETS[0]
    assert variables["LIVEQUIZ_RABBITMQ_SECRET_ARN"] == SECRETS[1]
    assert variables["LIVEQUIZ_TOKEN_SECRET_ARN"] == SECRETS[2]
    assert variables["LIVEQUIZ_MANAGEMENT_URL"] == {"Fn::Sub": MANAGEMENT_URL}
    assert variables["LIVEQUIZ_AWS_REGION"] == {"Ref": "AWS::Region"}
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}


def test_database_name_matches_environment(resources: dict[str, Any]) -> None:
    variables = resources["PersistFunction"]["Properties"]["Environment"]["Variables"]
    assert resources["Database"]["Properties"]["DBName"] == variables["LIVEQUIZ_MYSQL_DATABASE"]


def test_rabbitmq_host_from_amqp_endpoint(resources: dict[str, Any]) -> None:
    variables = resources["DeadlineFunction"]["Properties"]["Environment"]["Variables"]
    endpoint = "amqps://b-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.mq.eu-west-1.amazonaws.com:5671"
    host = evaluate(variables["LIVEQUIZ_RABBITMQ_HOST"], {"Broker.AmqpEndpoints": [endpoint]})
    assert host == "b-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.mq.eu-west-1.amazonaws.com"


# ---------------------------------------------------------------- WebSocket API


def test_websocket_api_selects_route_by_action(resources: dict[str, Any]) -> None:
    api = resources["WebSocketApi"]["Properties"]
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"


def test_websocket_stage_deploys_itself(resources: dict[str, Any]) -> None:
    stage = resources["WebSocketStage"]["Properties"]
    assert stage["ApiId"] == {"Ref": "WebSocketApi"}
    assert stage["StageName"] == {"Ref": "StageName"}
    assert stage["AutoDeploy"] is True
    routes = of_type(resources, "AWS::ApiGatewayV2::Route")
    responses = of_type(resources, "AWS::ApiGatewayV2::RouteResponse")
    awaited = sorted(resources["WebSocketStage"]["DependsOn"])
    assert awaited == sorted([*routes, *responses])


def test_local_routes_reach_their_handlers(resources: dict[str, Any]) -> None:
    routes = of_type(resources, "AWS::ApiGatewayV2::Route")
    handlers = {}
    for name, route in routes.items():
        properties = route["Properties"]
        assert properties["ApiId"] == {"Ref": "WebSocketApi"}, name
        (integration_name,) = sub_names(properties["Target"])
        integration = resources[integration_name]
        assert integration["Properties"]["IntegrationType"] == "AWS_PROXY", integration_name
        assert integration["Properties"]["ApiId"] == {"Ref": "WebSocketApi"}, integration_name
        function = referenced_function(integration)
        handlers[properties["RouteKey"]] = COMMANDS[function]
    assert handlers == ROUTES


def test_message_routes_return_replies(resources: dict[str, Any]) -> None:
    routes = of_type(resources, "AWS::ApiGatewayV2::Route")
    message_routes = {
        name
        for name, route in routes.items()
        if route["Properties"]["RouteKey"] not in ("$connect", "$disconnect")
    }
    responses = of_type(resources, "AWS::ApiGatewayV2::RouteResponse")
    answered = set()
    for name, response in responses.items():
        properties = response["Properties"]
        assert properties["RouteResponseKey"] == "$default", name
        assert properties["ApiId"] == {"Ref": "WebSocketApi"}, name
        answered.add(properties["RouteId"]["Ref"])
    assert answered == message_routes
    for name in message_routes:
        assert routes[name]["Properties"]["RouteResponseSelectionExpression"] == "$default", name


def test_connect_route_has_no_authorizer(resources: dict[str, Any]) -> None:
    connect = resources["ConnectRoute"]["Properties"]
    assert connect["RouteKey"] == "$connect"
    assert connect["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in connect
    assert of_type(resources, "AWS::ApiGatewayV2::Authorizer") == {}


def test_api_gateway_may_invoke_websocket_functions(resources: dict[str, Any]) -> None:
    permissions = of_type(resources, "AWS::Lambda::Permission")
    granted = {}
    for permission in permissions.values():
        properties = permission["Properties"]
        function = properties["FunctionName"]["Ref"]
        if function not in WEBSOCKET_FUNCTIONS:
            continue
        assert properties["Action"] == "lambda:InvokeFunction", function
        assert properties["Principal"] == "apigateway.amazonaws.com", function
        granted[function] = properties["SourceArn"]["Fn::Sub"]
    prefix = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
    assert granted == {
        function: f"{prefix}${{WebSocketApi}}/${{StageName}}/{route}"
        for function, route in WEBSOCKET_FUNCTIONS.items()
    }


# ---------------------------------------------------------------- REST API


def test_rest_api_catch_all_route(resources: dict[str, Any]) -> None:
    body = resources["RestApi"]["Properties"]["Body"]
    assert list(body["paths"]) == ["$default"]
    methods = body["paths"]["$default"]
    assert list(methods) == ["x-amazon-apigateway-any-method"]
    integration = methods["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws_proxy"
    assert integration["payloadFormatVersion"] == "2.0"
    assert sub_names(integration["uri"]) == {
        "AWS::Partition",
        "AWS::Region",
        "RestFunction.Arn",
    }
    permission = resources["RestFunctionApiPermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "RestFunction"}
    assert permission["Principal"] == "apigateway.amazonaws.com"


def test_rest_api_cors(resources: dict[str, Any]) -> None:
    cors = resources["RestApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"]
    web_origin = {"Fn::Sub": "https://${WebDistribution.DomainName}"}
    # The transform puts AllowedOrigin's value, empty by default, in place of its Ref.
    assert cors == {
        "allowOrigins": [{"Fn::If": ["HasAllowedOrigin", "", web_origin]}],
        "allowHeaders": ["authorization", "content-type"],
        "allowMethods": ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        "maxAge": 600,
    }


def test_rest_api_stage_deploys_itself(resources: dict[str, Any]) -> None:
    stage = resources["RestApiApiGatewayDefaultStage"]["Properties"]
    assert stage["ApiId"] == {"Ref": "RestApi"}
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True


# ---------------------------------------------------------------- queues


def test_mappings_consume_the_local_queues(resources: dict[str, Any]) -> None:
    # The default queue names, not this test run's (tests/conftest.py renames them).
    expected = default_mappings(Settings.model_construct())
    mappings = of_type(resources, "AWS::Lambda::EventSourceMapping")
    consumed = {}
    for name, mapping in mappings.items():
        properties = mapping["Properties"]
        (queue,) = properties["Queues"]
        consumed[queue] = COMMANDS[properties["FunctionName"]["Ref"]]
        assert properties["EventSourceArn"] == {"Fn::GetAtt": ["Broker", "Arn"]}, name
    assert consumed == expected


def test_mapping_batching_and_access(resources: dict[str, Any]) -> None:
    mappings = of_type(resources, "AWS::Lambda::EventSourceMapping")
    batching = {}
    for name, mapping in mappings.items():
        properties = mapping["Properties"]
        function = properties["FunctionName"]["Ref"]
        batching[function] = (
            properties["BatchSize"],
            properties["MaximumBatchingWindowInSeconds"],
        )
        assert properties["SourceAccessConfigurations"] == [
            {"Type": "BASIC_AUTH", "URI": {"Ref": "BrokerSecret"}},
            {"Type": "VIRTUAL_HOST", "URI": "/"},
        ], name
    assert batching == BATCHING


def test_broker(resources: dict[str, Any]) -> None:
    broker = resources["Broker"]["Properties"]
    assert broker["EngineType"] == "RABBITMQ"
    assert broker["DeploymentMode"] == "SINGLE_INSTANCE"
    assert broker["PubliclyAccessible"] is False
    assert broker["SubnetIds"] == [{"Ref": "PrivateSubnetA"}]
    assert broker["SecurityGroups"] == [{"Ref": "BrokerSecurityGroup"}]
    resolve = "{{resolve:secretsmanager:${BrokerSecret}:SecretString:%s}}"
    assert broker["Users"] == [
        {
            "Username": {"Fn::Sub": resolve % "username"},
            "Password": {"Fn::Sub": resolve % "password"},
        }
    ]


def test_broker_name_fits_amazon_mq_limit(resources: dict[str, Any]) -> None:
    stack_id = (
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/"
        "a-stack-name-far-longer-than-fifty-characters-for-this-check/"
        "51af3dc0-da77-11e4-872e-1234567db123"
    )
    name = evaluate(resources["Broker"]["Properties"]["BrokerName"], {"AWS::StackId": stack_id})
    assert name == "livequiz-51af3dc0"


# ---------------------------------------------------------------- secrets and data stores


def test_broker_secret_generates_credentials(resources: dict[str, Any]) -> None:
    generated = resources["BrokerSecret"]["Properties"]["GenerateSecretString"]
    assert json.loads(generated["SecretStringTemplate"]) == {"username": "livequiz"}
    assert generated["GenerateStringKey"] == "password"
    assert generated["PasswordLength"] == 32
    assert generated["ExcludePunctuation"] is True


def test_token_secret_is_a_plain_string(resources: dict[str, Any]) -> None:
    generated = resources["TokenSecret"]["Properties"]["GenerateSecretString"]
    assert generated == {"PasswordLength": 64, "ExcludePunctuation": True}


def test_redis_encrypts_transit(resources: dict[str, Any]) -> None:
    redis = resources["Redis"]["Properties"]
    assert redis["Engine"] == "redis"
    assert redis["TransitEncryptionEnabled"] is True
    assert redis["AtRestEncryptionEnabled"] is True
    assert redis["Port"] == 6379
    assert redis["SecurityGroupIds"] == [{"Ref": "RedisSecurityGroup"}]
    subnets = resources["RedisSubnetGroup"]["Properties"]["SubnetIds"]
    assert subnets == [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}]


def test_database_keeps_its_own_secret(cfn: Template, resources: dict[str, Any]) -> None:
    database = resources["Database"]
    properties = database["Properties"]
    assert properties["Engine"] == "mysql"
    assert properties["EngineVersion"] == {"Ref": "DatabaseEngineVersion"}
    assert cfn["Parameters"]["DatabaseEngineVersion"]["Default"].startswith("8.4.")
    assert properties["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in properties
    assert properties["PubliclyAccessible"] is False
    assert properties["StorageEncrypted"] is True
    assert properties["VPCSecurityGroups"] == [{"Ref": "DatabaseSecurityGroup"}]
    assert database["DeletionPolicy"] == "Snapshot"
    assert database["UpdateReplacePolicy"] == "Snapshot"
    subnets = resources["DatabaseSubnetGroup"]["Properties"]["SubnetIds"]
    assert subnets == [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}]


# ---------------------------------------------------------------- IAM


def test_only_broadcast_posts_to_connections(resources: dict[str, Any]) -> None:
    granted = {}
    for name in COMMANDS:
        for statement in statements(role_of(resources, name)):
            if any(action.startswith("execute-api:") for action in actions(statement)):
                granted[name] = (actions(statement), targets(statement))
    assert granted == {
        "BroadcastFunction": (
            ["execute-api:ManageConnections"],
            [{"Fn::Sub": arn} for arn in CONNECTIONS_ARNS],
        )
    }


def test_secret_reads_name_these_secrets(resources: dict[str, Any]) -> None:
    for name in COMMANDS:
        readable: list[Any] = []
        for statement in statements(role_of(resources, name)):
            if "secretsmanager:GetSecretValue" in actions(statement):
                readable.extend(targets(statement))
        assert readable, name
        assert all(target in SECRETS for target in readable), (name, readable)
        # livequiz.secrets reads all three at every cold start.
        assert all(secret in readable for secret in SECRETS), name


def test_no_statement_grants_everything(resources: dict[str, Any]) -> None:
    describe = {"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"}
    for role_name, role in of_type(resources, "AWS::IAM::Role").items():
        for statement in statements(role):
            assert statement["Effect"] == "Allow", role_name
            assert all("*" not in action for action in actions(statement)), role_name
            if "*" in targets(statement):
                assert set(actions(statement)) <= describe, (role_name, statement)


def test_mapped_functions_may_use_the_broker(resources: dict[str, Any]) -> None:
    for name in BATCHING:
        role = role_of(resources, name)
        granted: dict[str, list[Any]] = {}
        for statement in statements(role):
            for action in actions(statement):
                granted.setdefault(action, []).extend(targets(statement))
        assert granted["mq:DescribeBroker"] == [{"Fn::GetAtt": ["Broker", "Arn"]}], name
        assert {"Ref": "BrokerSecret"} in granted["secretsmanager:GetSecretValue"], name
        for action in ("ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"):
            assert granted[action] == ["*"], (name, action)
        # Network interface create, describe and delete come with the VPC access policy.
        assert VPC_ACCESS_POLICY in role["Properties"]["ManagedPolicyArns"], name


def test_functions_run_in_private_subnets(resources: dict[str, Any]) -> None:
    for name in COMMANDS:
        assert resources[name]["Properties"]["VpcConfig"] == {
            "SecurityGroupIds": [{"Ref": "FunctionSecurityGroup"}],
            "SubnetIds": [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}],
        }, name
        role = role_of(resources, name)
        assert VPC_ACCESS_POLICY in role["Properties"]["ManagedPolicyArns"], name


# ---------------------------------------------------------------- network


def security_group_rules(
    resources: dict[str, Any], group: str, direction: str
) -> set[tuple[int, int, str]]:
    """Return (from port, to port, peer) of a group's rules, inline and standalone."""
    inline_key = "SecurityGroupIngress" if direction == "ingress" else "SecurityGroupEgress"
    peer_key = "SourceSecurityGroupId" if direction == "ingress" else "DestinationSecurityGroupId"
    standalone = (
        "AWS::EC2::SecurityGroupIngress"
        if direction == "ingress"
        else ("AWS::EC2::SecurityGroupEgress")
    )
    rules = list(resources[group]["Properties"].get(inline_key, []))
    rules += [
        r["Properties"]
        for r in of_type(resources, standalone).values()
        if r["Properties"]["GroupId"] == {"Ref": group}
    ]
    found = set()
    for rule in rules:
        assert rule["IpProtocol"] == "tcp", (group, rule)
        peer = rule[peer_key]["Ref"] if peer_key in rule else rule["CidrIp"]
        found.add((rule["FromPort"], rule["ToPort"], peer))
    return found


def test_data_stores_admit_only_functions(resources: dict[str, Any]) -> None:
    assert security_group_rules(resources, "RedisSecurityGroup", "ingress") == {
        (6379, 6379, "FunctionSecurityGroup")
    }
    assert security_group_rules(resources, "DatabaseSecurityGroup", "ingress") == {
        (3306, 3306, "FunctionSecurityGroup")
    }
    assert security_group_rules(resources, "BrokerSecurityGroup", "ingress") == {
        (5671, 5671, "FunctionSecurityGroup"),
        (5671, 5671, "BrokerSecurityGroup"),
    }
    assert security_group_rules(resources, "FunctionSecurityGroup", "ingress") == set()


def test_functions_reach_only_their_services(resources: dict[str, Any]) -> None:
    assert security_group_rules(resources, "FunctionSecurityGroup", "egress") == {
        (443, 443, "0.0.0.0/0"),
        (6379, 6379, "RedisSecurityGroup"),
        (3306, 3306, "DatabaseSecurityGroup"),
        (5671, 5671, "BrokerSecurityGroup"),
    }


def test_private_subnets_leave_through_nat(resources: dict[str, Any]) -> None:
    routes = of_type(resources, "AWS::EC2::Route")
    private = [
        r["Properties"]
        for r in routes.values()
        if r["Properties"]["RouteTableId"] == {"Ref": "PrivateRouteTable"}
    ]
    assert private == [
        {
            "RouteTableId": {"Ref": "PrivateRouteTable"},
            "DestinationCidrBlock": "0.0.0.0/0",
            "NatGatewayId": {"Ref": "NatGateway"},
        }
    ]
    associations = of_type(resources, "AWS::EC2::SubnetRouteTableAssociation")
    tables = {
        a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"]
        for a in associations.values()
    }
    assert tables == {
        "PublicSubnet": "PublicRouteTable",
        "PrivateSubnetA": "PrivateRouteTable",
        "PrivateSubnetB": "PrivateRouteTable",
    }
    assert resources["NatGateway"]["Properties"]["SubnetId"] == {"Ref": "PublicSubnet"}
    for subnet in of_type(resources, "AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


def test_private_subnets_span_two_zones(resources: dict[str, Any]) -> None:
    zones = [
        resources[name]["Properties"]["AvailabilityZone"]["Fn::Select"][0]
        for name in ("PrivateSubnetA", "PrivateSubnetB")
    ]
    assert zones == [0, 1]


# ---------------------------------------------------------------- migrations


def test_migrations_run_on_migrate_function(resources: dict[str, Any]) -> None:
    migrations = resources["Migrations"]["Properties"]
    assert migrations["ServiceToken"] == {"Fn::GetAtt": ["MigrateFunction", "Arn"]}
    assert migrations["ServiceTimeout"] > SIZING["MigrateFunction"][1]
    version = resources[migrations["FunctionVersion"]["Ref"]]
    assert version["Type"] == "AWS::Lambda::Version"
    assert version["Properties"]["FunctionName"] == {"Ref": "MigrateFunction"}
    for name in ("RestFunction", "PersistFunction"):
        assert resources[name]["DependsOn"] == "Migrations", name


def test_new_image_runs_migrations_again(sam: Template, cfn: Template) -> None:
    changed = transform(with_images(sam, {"MigrateFunction": "fedcba987654"}))
    before = cfn["Resources"]["Migrations"]["Properties"]["FunctionVersion"]
    after = changed["Resources"]["Migrations"]["Properties"]["FunctionVersion"]
    assert before != after


# ---------------------------------------------------------------- outputs and config


def test_outputs(cfn: Template) -> None:
    outputs = {name: output["Value"] for name, output in cfn["Outputs"].items()}
    assert outputs == {
        "WebSocketUrl": {
            "Fn::Sub": "wss://${WebSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
            "/${StageName}"
        },
        "RestApiUrl": {
            "Fn::Sub": "https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
        },
        "ManagementApiUrl": {"Fn::Sub": MANAGEMENT_URL},
        "WebUrl": {"Fn::Sub": "https://${WebDistribution.DomainName}"},
        "WebBucketName": {"Ref": "WebBucket"},
        "WebDistributionId": {"Ref": "WebDistribution"},
    }


def test_every_parameter_has_a_default(sam: Template) -> None:
    missing = [name for name, p in sam["Parameters"].items() if "Default" not in p]
    assert missing == []


def test_samconfig_default_environment() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert config["version"] == 0.1
    assert config["default"]["global"]["parameters"] == {"stack_name": "livequiz"}
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert deploy["resolve_image_repos"] is True


# ---------------------------------------------------------------- handlers

# Runs in a fresh interpreter, so that an import error is not hidden by a module that an
# earlier test imported. The same loopback guard applies there.
IMPORT_CHECK = """
import importlib, json, socket, sys

def refuse(address):
    host = address[0] if isinstance(address, tuple) else address
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise OSError(f"importing a handler tried to reach {address!r}")

connect = socket.socket.connect
def guarded_connect(self, address):
    refuse(address)
    return connect(self, address)
socket.socket.connect = guarded_connect

results = {}
for command in json.loads(sys.argv[1]):
    module_name, _, attribute = command.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:
        results[command] = f"{type(error).__name__}: {error}"
    else:
        results[command] = "callable" if callable(handler) else type(handler).__name__
print(json.dumps(results))
"""


def handler_environment() -> dict[str, str]:
    """Return this test run's environment without AWS settings, as on a developer machine."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and not name.endswith("_SECRET_ARN")
    }
    environment.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION=REGION,
        AWS_LAMBDA_FUNCTION_NAME="livequiz-import-check",
    )
    return environment


@pytest.fixture(scope="module")
def imported(resources: dict[str, Any]) -> dict[str, str]:
    commands = sorted(
        {
            f["Properties"]["ImageConfig"]["Command"][0]
            for f in of_type(resources, "AWS::Lambda::Function").values()
        }
    )
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK, json.dumps(commands)],
        cwd=ROOT,
        env=handler_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results: dict[str, str] = json.loads(completed.stdout.splitlines()[-1])
    return results


@pytest.mark.parametrize("command", sorted(set(COMMANDS.values())))
def test_image_command_is_callable(imported: dict[str, str], command: str) -> None:
    assert imported[command] == "callable"


def test_every_image_command_was_checked(imported: dict[str, str]) -> None:
    assert set(imported) == set(COMMANDS.values())
