"""Settings read from the environment."""

import pytest

from livequiz.config import Settings


def test_region_falls_back_to_lambda_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVEQUIZ_AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert Settings().aws_region == "eu-west-1"


def test_own_region_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("LIVEQUIZ_AWS_REGION", "ap-south-1")
    assert Settings().aws_region == "ap-south-1"


def test_region_default_without_either(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVEQUIZ_AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert Settings().aws_region == "us-east-1"
