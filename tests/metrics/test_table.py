import pytest
from aws_lambda_powertools.metrics import MetricUnit
from prometheus_client import generate_latest

from livequiz import metrics
from livequiz.metrics import LABEL_NAME, METRIC_NAME, METRICS, Kind, MetricDefinition
from livequiz.play import REJECTIONS
from tests.metrics.samples import emf_documents


def test_names_are_valid_and_unique() -> None:
    names = [definition.name for definition in METRICS.values()]
    assert len(names) == len(set(names))
    for key, definition in METRICS.items():
        assert key == definition.name
        assert METRIC_NAME.fullmatch(definition.name), definition.name
        assert not definition.name.startswith("__"), definition.name
        for label in definition.labels:
            assert LABEL_NAME.fullmatch(label), (definition.name, label)
            assert not label.startswith("__"), (definition.name, label)


def test_label_value_sets_are_closed() -> None:
    game_labels = []
    for definition in METRICS.values():
        for label, values in definition.labels.items():
            assert isinstance(values, frozenset), (definition.name, label)
            if values is metrics.GAME_ID:
                game_labels.append((definition.name, label))
                continue
            assert values, (definition.name, label)
            assert "" not in values, (definition.name, label)
    # A game id is a label only of gauges of live games, which vanish with the game.
    assert game_labels == [("game_connections_open", "game")]
    assert METRICS["game_connections_open"].kind is Kind.GAUGE
    assert METRICS["game_connections_open"].collected


def test_game_id_label_checked_by_shape() -> None:
    metrics.set_gauge("game_connections_open", 3, game="g_7Fa-2")
    with pytest.raises(ValueError, match="expected a game id"):
        metrics.set_gauge("game_connections_open", 3, game="a b")
    with pytest.raises(ValueError, match="expected a game id"):
        metrics.set_gauge("game_connections_open", 3, game="")


def test_collected_gauge_read_at_scrape() -> None:
    table = {
        "depth": MetricDefinition(
            "depth",
            Kind.GAUGE,
            "Messages ready.",
            MetricUnit.Count,
            {"queue": frozenset({"persist", "broadcast"})},
            collected=True,
        ),
        "open": MetricDefinition("open", Kind.GAUGE, "Open.", MetricUnit.Count, collected=True),
    }
    recorder = metrics.MetricsRecorder(table)
    assert b"livequiz_depth" not in generate_latest(recorder.registry)
    reads = []

    def depths() -> dict[tuple[str, ...], float]:
        reads.append(1)
        return {("persist",): 4, ("broadcast",): 0, ("player-1",): 9}

    recorder.collect_from("depth", depths)
    recorder.collect_from("open", lambda: {(): 7})
    assert reads == []
    assert recorder.registry.get_sample_value("livequiz_depth", {"queue": "persist"}) == 4.0
    assert recorder.registry.get_sample_value("livequiz_depth", {"queue": "broadcast"}) == 0.0
    # A value outside the label's set is left out of the scrape, not exported.
    assert recorder.registry.get_sample_value("livequiz_depth", {"queue": "player-1"}) is None
    assert recorder.registry.get_sample_value("livequiz_open") == 7.0
    # Each get_sample_value is a scrape of the whole registry.
    assert len(reads) == 4

    def broken() -> dict[tuple[str, ...], float]:
        raise ConnectionError("broker down")

    recorder.collect_from("depth", broken)
    text = generate_latest(recorder.registry)
    assert b"livequiz_depth{" not in text
    assert b"livequiz_open 7.0" in text
    recorder.collect_from("depth", None)
    with pytest.raises(ValueError, match="not a collected gauge"):
        recorder.collect_from("missing", depths)


def test_kinds_follow_prometheus_conventions() -> None:
    for definition in METRICS.values():
        assert definition.help, definition.name
        if definition.kind is Kind.COUNTER:
            assert definition.name.endswith("_total"), definition.name
            assert definition.unit is MetricUnit.Count, definition.name
        if definition.kind is Kind.HISTOGRAM:
            assert definition.buckets, definition.name
            assert list(definition.buckets) == sorted(set(definition.buckets)), definition.name
        else:
            assert definition.buckets == (), definition.name
        if definition.unit is MetricUnit.Seconds:
            assert definition.name.endswith("_seconds"), definition.name


def test_answer_reasons_cover_rejections() -> None:
    assert set(REJECTIONS) <= METRICS["answers_total"].labels["reason"]
    assert "other" in METRICS["answers_total"].labels["reason"]


def test_player_id_as_label_raises() -> None:
    with pytest.raises(ValueError, match="invalid value 'player-7f3a' of label 'reason'"):
        metrics.count("answers_total", result="rejected", reason="player-7f3a")


def test_unknown_label_raises() -> None:
    with pytest.raises(ValueError, match="has no label 'player_id'"):
        metrics.count("answers_total", result="accepted", player_id="p1")


def test_unknown_metric_raises() -> None:
    with pytest.raises(ValueError, match="unknown metric 'answers'"):
        metrics.count("answers")


def test_wrong_kind_raises() -> None:
    with pytest.raises(ValueError, match="'answer_seconds' is a histogram, not a counter"):
        metrics.count("answer_seconds")


def test_gauge_recorder_exports_value() -> None:
    table = {
        "connections": MetricDefinition(
            "connections",
            Kind.GAUGE,
            "Open WebSocket connections.",
            MetricUnit.Count,
            {"role": frozenset({"host", "player"})},
        )
    }
    recorder = metrics.MetricsRecorder(table)
    recorder.set_gauge("connections", 3, role="player")
    recorder.set_gauge("connections", 2, role="player")
    assert recorder.registry.get_sample_value("livequiz_connections", {"role": "player"}) == 2.0
    assert recorder.registry.get_sample_value("livequiz_connections", {"role": "host"}) is None
    assert b'livequiz_connections{role="player"} 2.0' in generate_latest(recorder.registry)
    with pytest.raises(ValueError, match="invalid value 'viewer'"):
        recorder.set_gauge("connections", 1, role="viewer")


def test_counter_series_exported_at_zero() -> None:
    registry = metrics.MetricsRecorder(METRICS).registry
    accepted = {"result": "accepted", "reason": ""}
    assert registry.get_sample_value("livequiz_answers_total", accepted) == 0.0
    too_late = {"result": "rejected", "reason": "too_late"}
    assert registry.get_sample_value("livequiz_answers_total", too_late) == 0.0
    # A rejection has a reason, so an accepted series with one does not exist.
    wrong = {"result": "accepted", "reason": "too_late"}
    assert registry.get_sample_value("livequiz_answers_total", wrong) is None
    expired = {"result": "rejected", "reason": "expired_token"}
    assert registry.get_sample_value("livequiz_connects_total", expired) == 0.0
    for outcome in ("sent", "gone", "throttled", "failed", "dropped"):
        labels = {"outcome": outcome}
        assert registry.get_sample_value("livequiz_frames_sent_total", labels) == 0.0
    for queue in ("persist", "broadcast", "deadline"):
        labels = {"queue": queue}
        assert registry.get_sample_value("livequiz_redeliveries_total", labels) == 0.0
        assert registry.get_sample_value("livequiz_dead_lettered_total", labels) == 0.0
    assert registry.get_sample_value("livequiz_disconnects_total") == 0.0


@pytest.mark.usefixtures("on_lambda")
def test_emf_dimensions_match_labels(capsys: pytest.CaptureFixture[str]) -> None:
    recorder = metrics.MetricsRecorder(metrics.METRICS)
    capsys.readouterr()
    recorder.count("answers_total", result="rejected", reason="too_late")
    recorder.observe("answer_seconds", 0.01)
    recorder.flush()
    documents = emf_documents(capsys.readouterr().out)
    dimensions = {
        document["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]: document["_aws"][
            "CloudWatchMetrics"
        ][0]["Dimensions"]
        for document in documents
    }
    # Each label is a dimension, and Powertools adds the service of POWERTOOLS_SERVICE_NAME.
    assert dimensions == {
        "answers_total": [["reason", "result", "service"]],
        "answer_seconds": [["service"]],
    }
    for document in documents:
        assert document["service"] == "livequiz"
        assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "livequiz"


@pytest.mark.usefixtures("on_lambda")
def test_emf_namespace_from_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "LiveQuizProd")
    recorder = metrics.MetricsRecorder(metrics.METRICS)
    capsys.readouterr()
    recorder.count("disconnects_total")
    recorder.flush()
    (document,) = emf_documents(capsys.readouterr().out)
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "LiveQuizProd"
