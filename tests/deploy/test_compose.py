"""docker-compose.yml and the LocalStack init scripts, checked without Docker.

The init scripts run with a stand-in ``awslocal`` on the PATH that records its arguments, so
the tests get exactly the secrets LocalStack would hold.
"""

import base64
import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from livequiz.config import Settings
from livequiz.local.__main__ import DEFAULT_WORKERS_METRICS_PORT
from livequiz.local.runtime import RuntimeConfig

REPOSITORY = Path(__file__).resolve().parents[2]
INIT_SCRIPTS = sorted((REPOSITORY / "localstack" / "init" / "ready.d").glob("*.sh"))
SERVICES = {"redis", "rabbitmq", "mysql", "localstack", "runtime"}
MONITORING = {"prometheus", "grafana", "elasticsearch", "apm-server", "kibana"}
SECRET_VARIABLES = {
    "LIVEQUIZ_MYSQL_SECRET_ARN",
    "LIVEQUIZ_RABBITMQ_SECRET_ARN",
    "LIVEQUIZ_TOKEN_SECRET_ARN",
}
# Appends the arguments of each call to $AWSLOCAL_LOG as one JSON line.
AWSLOCAL_STAND_IN = """#!/bin/bash
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> "$AWSLOCAL_LOG"
"""


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPOSITORY / "docker-compose.yml").read_text())
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


@pytest.fixture(scope="module")
def runtime_environment(services: dict[str, Any]) -> dict[str, str]:
    environment: dict[str, str] = services["runtime"]["environment"]
    return environment


@pytest.fixture(scope="module")
def created_secrets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Run every init script with the stand-in; return the created secrets by name."""
    folder = tmp_path_factory.mktemp("awslocal")
    stand_in = folder / "awslocal"
    stand_in.write_text(AWSLOCAL_STAND_IN)
    stand_in.chmod(0o755)
    log = folder / "calls.jsonl"
    environment = {
        **os.environ,
        "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}",
        "AWSLOCAL_LOG": str(log),
    }
    for script in INIT_SCRIPTS:
        subprocess.run(["bash", str(script)], env=environment, check=True, timeout=30)
    created: dict[str, str] = {}
    for line in log.read_text().splitlines():
        arguments = json.loads(line)
        assert arguments[:2] == ["secretsmanager", "create-secret"], arguments
        options = dict(zip(arguments[2::2], arguments[3::2], strict=True))
        created[options["--name"]] = options["--secret-string"]
    return created


def host_port(published: str) -> tuple[str, int, int]:
    address, host_side, container_side = published.split(":")
    return address, int(host_side), int(container_side)


def test_services(services: dict[str, Any]) -> None:
    assert set(services) == SERVICES | MONITORING


def test_backing_services_need_no_profile(services: dict[str, Any]) -> None:
    # `docker compose up -d` still starts only the three backing services.
    assert [name for name in services if "profiles" not in services[name]] == [
        "redis", "rabbitmq", "mysql",
    ]  # fmt: skip
    assert services["localstack"]["profiles"] == ["stack"]
    assert services["runtime"]["profiles"] == ["stack"]
    for name in MONITORING:
        assert services[name]["profiles"] == ["monitoring"], name


def test_ports_bound_to_loopback(services: dict[str, Any]) -> None:
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert len(published) == 13
    for port in published:
        assert host_port(port)[0] == "127.0.0.1", port


def test_rabbitmq_has_management_ui(services: dict[str, Any]) -> None:
    rabbitmq = services["rabbitmq"]
    assert rabbitmq["image"].endswith("-management")
    assert [host_port(port)[2] for port in rabbitmq["ports"]] == [5672, 15672]


def test_mysql_is_version_8(services: dict[str, Any]) -> None:
    mysql = services["mysql"]
    assert mysql["image"] == "mysql:8.0"
    assert mysql["environment"]["MYSQL_DATABASE"] == "test"


def test_localstack_token_and_init(services: dict[str, Any]) -> None:
    localstack = services["localstack"]
    assert localstack["environment"]["LOCALSTACK_AUTH_TOKEN"] == "${LOCALSTACK_AUTH_TOKEN:-}"
    assert localstack["volumes"] == ["./localstack/init/ready.d:/etc/localstack/init/ready.d:ro"]
    assert [host_port(port)[2] for port in localstack["ports"]] == [4566]


def test_runtime_built_from_dev_target(services: dict[str, Any]) -> None:
    runtime = services["runtime"]
    assert runtime["build"] == {"context": ".", "target": "dev"}
    dockerfile = (REPOSITORY / "Dockerfile").read_text()
    assert "\nFROM base AS dev\n" in dockerfile
    assert runtime["command"][-1] == (
        "python -m livequiz.migrate && exec python -m livequiz.local --host 0.0.0.0"
    )


def test_runtime_waits_for_services(services: dict[str, Any]) -> None:
    depends_on = services["runtime"]["depends_on"]
    assert depends_on == {
        name: {"condition": "service_healthy"}
        for name in ("redis", "rabbitmq", "mysql", "localstack")
    }
    for name in depends_on:
        assert "healthcheck" in services[name], name


def test_runtime_publishes_default_ports(services: dict[str, Any]) -> None:
    defaults = RuntimeConfig()
    ports = [host_port(port) for port in services["runtime"]["ports"]]
    assert ports == [
        ("127.0.0.1", defaults.ws_port, defaults.ws_port),
        ("127.0.0.1", defaults.management_port, defaults.management_port),
        ("127.0.0.1", defaults.rest_port, defaults.rest_port),
        ("127.0.0.1", DEFAULT_WORKERS_METRICS_PORT, DEFAULT_WORKERS_METRICS_PORT),
    ]


def test_runtime_variables_are_settings(runtime_environment: dict[str, str]) -> None:
    livequiz = [name for name in runtime_environment if name.startswith("LIVEQUIZ_")]
    assert livequiz
    for name in livequiz:
        assert name.removeprefix("LIVEQUIZ_").lower() in Settings.model_fields, name


def test_runtime_points_at_compose_services(
    runtime_environment: dict[str, str], services: dict[str, Any]
) -> None:
    redis = urlsplit(runtime_environment["LIVEQUIZ_REDIS_URL"])
    assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379)
    assert runtime_environment["LIVEQUIZ_MYSQL_HOST"] == "mysql"
    assert runtime_environment["LIVEQUIZ_MYSQL_PORT"] == "3306"
    assert (
        runtime_environment["LIVEQUIZ_MYSQL_DATABASE"]
        == services["mysql"]["environment"]["MYSQL_DATABASE"]
    )
    assert runtime_environment["LIVEQUIZ_RABBITMQ_HOST"] == "rabbitmq"
    assert runtime_environment["LIVEQUIZ_RABBITMQ_PORT"] == "5672"
    localstack = urlsplit(runtime_environment["AWS_ENDPOINT_URL_SECRETS_MANAGER"])
    assert (localstack.hostname, localstack.port) == ("localstack", 4566)
    assert "AWS_ENDPOINT_URL" not in runtime_environment


def test_runtime_environment_parses(
    runtime_environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("LIVEQUIZ_"):
            monkeypatch.delenv(name)
    for name, value in runtime_environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.rabbitmq_port == 5672
    assert settings.rabbitmq_tls is False
    assert settings.mysql_port == 3306
    assert settings.token_secret is None


def test_init_scripts_parse() -> None:
    assert INIT_SCRIPTS
    for script in INIT_SCRIPTS:
        checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        # LocalStack runs only executable scripts with a shebang.
        assert script.stat().st_mode & stat.S_IXUSR, script.name
        assert script.read_text().startswith("#!/bin/bash\n"), script.name


def test_secrets_are_read_by_settings(
    created_secrets: dict[str, str], runtime_environment: dict[str, str]
) -> None:
    secret_fields = {name for name in Settings.model_fields if name.endswith("_secret_arn")}
    assert {f"LIVEQUIZ_{name.upper()}" for name in secret_fields} == SECRET_VARIABLES
    read = {runtime_environment[variable] for variable in SECRET_VARIABLES}
    assert set(created_secrets) == read


def test_mysql_secret_matches_user(
    created_secrets: dict[str, str],
    runtime_environment: dict[str, str],
    services: dict[str, Any],
) -> None:
    secret = json.loads(created_secrets[runtime_environment["LIVEQUIZ_MYSQL_SECRET_ARN"]])
    mysql = services["mysql"]["environment"]
    assert secret == {"username": mysql["MYSQL_USER"], "password": mysql["MYSQL_PASSWORD"]}


def test_rabbitmq_secret_is_default_user(
    created_secrets: dict[str, str], runtime_environment: dict[str, str]
) -> None:
    secret = json.loads(created_secrets[runtime_environment["LIVEQUIZ_RABBITMQ_SECRET_ARN"]])
    assert secret == {"username": "guest", "password": "guest"}


def test_token_secret_is_48_random_bytes(
    created_secrets: dict[str, str], runtime_environment: dict[str, str]
) -> None:
    token = created_secrets[runtime_environment["LIVEQUIZ_TOKEN_SECRET_ARN"]]
    assert len(token) == 64
    assert len(base64.b64decode(token, validate=True)) == 48


def volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Return a service's bind mounts from the repository: container path to host path."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            mounts[target] = source
    return mounts


def test_monitoring_mounts_exist(services: dict[str, Any]) -> None:
    for name in MONITORING:
        for source in volume_mounts(services[name]).values():
            assert (REPOSITORY / source).exists(), (name, source)


def test_images_are_pinned(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if "image" not in service:
            continue
        repository, _, tag = service["image"].rpartition(":")
        assert repository, (name, service["image"])
        assert tag, (name, service["image"])
        assert tag != "latest", name


def test_elastic_images_share_a_version(services: dict[str, Any]) -> None:
    versions = {
        services[name]["image"].rpartition(":")[2]
        for name in ("elasticsearch", "apm-server", "kibana")
    }
    assert len(versions) == 1, versions


def test_prometheus_loads_compose_config(services: dict[str, Any]) -> None:
    prometheus = services["prometheus"]
    mounts = volume_mounts(prometheus)
    assert mounts["/etc/prometheus"] == "./monitoring/prometheus"
    assert "--config.file=/etc/prometheus/compose.yml" in prometheus["command"]
    config = yaml.safe_load((REPOSITORY / "monitoring/prometheus/compose.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]


def test_prometheus_scrapes_runtime_ports(services: dict[str, Any]) -> None:
    config = yaml.safe_load((REPOSITORY / "monitoring/prometheus/compose.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    runtime_ports = {host_port(port)[2] for port in services["runtime"]["ports"]}
    assert targets == {
        f"runtime:{RuntimeConfig().management_port}",
        f"runtime:{DEFAULT_WORKERS_METRICS_PORT}",
    }
    for target in targets:
        host, port = target.split(":")
        assert host in services
        assert int(port) in runtime_ports, target
    # The mappings process serves its metrics on the runtime's --host, 0.0.0.0 here.
    assert "--host 0.0.0.0" in services["runtime"]["command"][-1]


def test_grafana_provisions_dashboard(services: dict[str, Any]) -> None:
    grafana = services["grafana"]
    mounts = volume_mounts(grafana)
    assert mounts["/etc/grafana/provisioning"] == "./monitoring/grafana/provisioning"
    provider_file = REPOSITORY / "monitoring/grafana/provisioning/dashboards/livequiz.yml"
    (provider,) = yaml.safe_load(provider_file.read_text())["providers"]
    folder = provider["options"]["path"]
    assert mounts[folder] == "./monitoring/grafana/dashboards"
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(folder + "/")
    assert (REPOSITORY / "monitoring/grafana/dashboards" / home.removeprefix(folder + "/")).exists()
    assert grafana["depends_on"] == {"prometheus": {"condition": "service_healthy"}}


def test_grafana_datasource_is_compose_prometheus(services: dict[str, Any]) -> None:
    datasource_file = REPOSITORY / "monitoring/grafana/provisioning/datasources/prometheus.yml"
    (datasource,) = yaml.safe_load(datasource_file.read_text())["datasources"]
    address = urlsplit(datasource["url"])
    assert address.hostname == "prometheus"
    assert address.port in {host_port(port)[2] for port in services["prometheus"]["ports"]}


def test_monitoring_sends_nothing_outside(services: dict[str, Any]) -> None:
    grafana = services["grafana"]["environment"]
    for name in (
        "GF_ANALYTICS_REPORTING_ENABLED",
        "GF_ANALYTICS_CHECK_FOR_UPDATES",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES",
        "GF_NEWS_NEWS_FEED_ENABLED",
    ):
        assert grafana[name] == "false", name
    kibana = services["kibana"]["environment"]
    for name in ("TELEMETRY_OPTIN", "TELEMETRY_ENABLED", "NEWSFEED_ENABLED"):
        assert kibana[name] == "false", name
    elasticsearch = services["elasticsearch"]["environment"]
    assert elasticsearch["ingest.geoip.downloader.enabled"] == "false"


def test_runtime_traces_to_compose_apm_server(
    runtime_environment: dict[str, str], services: dict[str, Any]
) -> None:
    address = urlsplit(runtime_environment["LIVEQUIZ_APM_SERVER_URL"])
    assert address.scheme == "http"
    assert address.hostname == "apm-server"
    assert address.port in {host_port(port)[2] for port in services["apm-server"]["ports"]}
    assert runtime_environment["LIVEQUIZ_APM_SERVICE_NAME"] == "livequiz-runtime"


def test_apm_server_stores_in_elasticsearch(services: dict[str, Any]) -> None:
    command = services["apm-server"]["command"]
    assert 'output.elasticsearch.hosts=["http://elasticsearch:9200"]' in command
    assert "apm-server.host=0.0.0.0:8200" in command
    assert services["kibana"]["environment"]["ELASTICSEARCH_HOSTS"] == (
        '["http://elasticsearch:9200"]'
    )
    for name in ("apm-server", "kibana"):
        assert services[name]["depends_on"] == {
            "elasticsearch": {"condition": "service_healthy"}
        }, name


def test_monitoring_services_have_healthchecks(services: dict[str, Any]) -> None:
    for name in MONITORING:
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
