"""Settings read from CLOUDLET_* variables: the engine's, and the values refused."""

from __future__ import annotations

import pytest

from cloudlet.config import Config, ConfigError


def test_engine_settings_come_from_the_environment():
    config = Config.from_env(
        {
            "CLOUDLET_STRICT_RUNTIMES": "true",
            "CLOUDLET_CONCURRENCY_LIMIT": "2000",
            "CLOUDLET_PRELOAD": " boto3, requests ,",
            "CLOUDLET_KEEP_ALIVE": "30",
        }
    )
    assert config.strict_runtimes is True
    assert config.concurrency_limit == 2000
    assert config.preload == ("boto3", "requests")
    assert config.keep_alive == 30.0
    assert Config.from_env({"CLOUDLET_PRELOAD": ""}).preload == ()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CLOUDLET_CONCURRENCY_LIMIT", "99", "must be at least 100"),
        ("CLOUDLET_CONCURRENCY_LIMIT", "many", "must be a whole number"),
        ("CLOUDLET_KEEP_ALIVE", "0", "must be a positive number of seconds"),
        ("CLOUDLET_PRELOAD", "boto3,not-a-module", "not not-a-module"),
    ],
)
def test_engine_settings_out_of_range_are_refused(name, value, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_env({name: value})


def test_the_sts_duration_scale_must_be_positive():
    assert Config.from_env({"CLOUDLET_STS_DURATION_SCALE": "900"}).sts_duration_scale == 900.0
    with pytest.raises(ConfigError, match="CLOUDLET_STS_DURATION_SCALE must be a positive"):
        Config.from_env({"CLOUDLET_STS_DURATION_SCALE": "0"})
