import pytest

from livequiz import metrics
from livequiz.config import Settings
from livequiz.ids import new_game_id
from livequiz.tokens import Claims, TokenKind, issue
from tests.metrics.samples import emf_documents, sample
from tests.support import GameFixture

ACCEPTED = {"result": "accepted", "reason": ""}


def rejected(reason: str) -> dict[str, str]:
    return {"result": "rejected", "reason": reason}


@pytest.mark.usefixtures("off_lambda")
def test_accepted_connect_counted(make_game) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    before = sample("connects_total", ACCEPTED)
    _, player = game.connect(game.player_token("Ada"))
    _, host = game.connect(game.host_token())
    assert player["statusCode"] == 200
    assert host["statusCode"] == 200
    assert sample("connects_total", ACCEPTED) == before + 2


@pytest.mark.usefixtures("off_lambda")
def test_token_rejections_counted(make_game, settings: Settings) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    player = game.players["Ada"]
    expired = issue(settings, Claims(TokenKind.PLAYER, player, game_id=game.game_id), ttl_s=-60)
    access = issue(settings, Claims(TokenKind.ACCESS, "4242"))
    cases = [
        ("missing_token", None, 401),
        ("invalid_token", "not-a-jwt", 401),
        ("expired_token", expired, 401),
        ("wrong_token_kind", access, 401),
    ]
    for reason, token, status in cases:
        before = sample("connects_total", rejected(reason))
        _, response = game.connect(token)
        assert response["statusCode"] == status, reason
        assert sample("connects_total", rejected(reason)) == before + 1, reason


@pytest.mark.usefixtures("off_lambda")
def test_game_rejections_counted(make_game, settings: Settings) -> None:
    game: GameFixture = make_game()
    other: GameFixture = make_game()
    game.add_player("Ada")
    game.add_player("Bob")
    host, _ = game.connect(game.host_token())
    assert game.send(host, {"action": "kick", "player_id": game.players["Bob"]})["type"] == "ok"
    no_game = Claims(TokenKind.PLAYER, game.players["Ada"], game_id=new_game_id())
    stranger = Claims(TokenKind.PLAYER, game.players["Ada"], game_id=other.game_id)
    other.host_user_id = 7
    cases = [
        ("unknown_game", issue(settings, no_game), 404),
        ("not_host", other.host_token(), 403),
        ("kicked", game.player_token("Bob"), 403),
        ("unknown_player", issue(settings, stranger), 404),
    ]
    for reason, token, status in cases:
        before = sample("connects_total", rejected(reason))
        accepted = sample("connects_total", ACCEPTED)
        _, response = game.connect(token)
        assert response["statusCode"] == status, reason
        assert sample("connects_total", rejected(reason)) == before + 1, reason
        assert sample("connects_total", ACCEPTED) == accepted, reason


@pytest.mark.usefixtures("off_lambda")
def test_ended_game_rejection_counted(make_game) -> None:
    game: GameFixture = make_game()
    host, _ = game.connect(game.host_token())
    assert game.send(host, {"action": "end"})["type"] == "ok"
    before = sample("connects_total", rejected("game_ended"))
    _, response = game.connect(game.host_token())
    assert response["statusCode"] == 409
    assert sample("connects_total", rejected("game_ended")) == before + 1


def test_connect_reasons_are_closed() -> None:
    reasons = metrics.METRICS["connects_total"].labels["reason"]
    assert reasons == metrics.CONNECT_REJECTION_REASONS
    assert "other" in reasons


@pytest.mark.usefixtures("off_lambda")
def test_disconnects_counted(make_game) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    connection_id, _ = game.connect(game.player_token("Ada"))
    before = sample("disconnects_total")
    assert game.disconnect(connection_id)["statusCode"] == 200
    # The second disconnect finds no record and still counts, as API Gateway sent it.
    assert game.disconnect(connection_id)["statusCode"] == 200
    assert sample("disconnects_total") == before + 2


@pytest.mark.usefixtures("on_lambda")
def test_connect_emf_flushed_per_invocation(make_game, capsys) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    capsys.readouterr()
    connection_id, _ = game.connect(game.player_token("Ada"))
    game.connect(None)
    game.disconnect(connection_id)
    documents = emf_documents(capsys.readouterr().out)
    names = [
        document["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for document in documents
    ]
    assert names == [
        "connects_total",
        "game_connections_open",
        "connects_total",
        "disconnects_total",
        "game_connections_open",
    ]
    assert documents[0]["result"] == "accepted"
    assert "reason" not in documents[0]
    assert documents[0]["connects_total"] == [1.0]
    # The game id is a property of the document, not a dimension.
    assert documents[1]["game_connections_open"] == [1.0]
    assert documents[1]["game"] == game.game_id
    assert documents[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert documents[2]["result"] == "rejected"
    assert documents[2]["reason"] == "missing_token"
    assert documents[3]["disconnects_total"] == [1.0]
    assert documents[3]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert documents[4]["game_connections_open"] == [0.0]
    assert documents[4]["game"] == game.game_id
