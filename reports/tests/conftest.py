import pytest

from .assessment_world import build_quarter


@pytest.fixture
def q3(world, liaison_tuesday):
    """The third quarter of 2026 scored by hand (assessment_world.py), on the liaison Tuesday."""
    return build_quarter(world)
