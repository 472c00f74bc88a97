"""DASHBOARD_ALERT_PERCENT: a whole percentage from 1 to 100; anything else stops start-up."""

import pytest

from liaison.tests.test_settings import run_manage


@pytest.mark.parametrize("value, message", [("95%", "whole number"), ("0", "at least 1"), ("101", "at most 100")])
def test_a_bad_threshold_stops_start_up_naming_the_variable(value, message):
    result = run_manage("check", DASHBOARD_ALERT_PERCENT=value)
    assert result.returncode != 0
    assert "DASHBOARD_ALERT_PERCENT" in result.stderr and message in result.stderr


def test_the_threshold_comes_from_the_environment():
    result = run_manage("shell", "-v", "0", "-c",
                        "from django.conf import settings as s; print(s.DASHBOARD_ALERT_PERCENT)",
                        DASHBOARD_ALERT_PERCENT="90")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["90"]
