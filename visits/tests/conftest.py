"""Households in the personas' villages."""

from datetime import date

import pytest

from conftest import TODAY  # noqa: F401  (the day of the visits' tests)
from factories import HouseholdFactory


@pytest.fixture
def homes(world, liaison_tuesday):
    """Households of team A's village (西区社区), one of 东区社区, two of team C's 龙溪村."""

    def make(village, name, address, phone="", id_number="", *tag_codes):
        return HouseholdFactory(village=village, head_name=name, address=address, phone=phone, id_number=id_number,
                                registered_on=date(2020, 1, 1), tags=tag_codes)

    h = type("Homes", (), {})()
    h.wang = make(world.village_a, "王秀英", "西区社区建设路12号", "13912345678", "441322195001010025", "dibao")
    h.zhang = make(world.village_a, "张国强", "西区社区建设路14号", "13987654321")
    h.chen = make(world.village_a, "陈桂兰", "西区社区人民路3号", "0752-6123456", "", "elderly-alone")
    h.li = make(world.village_a, "李志明", "西区社区人民路5号")
    h.east = make(world.village_b, "黄美玲", "东区社区东堤路8号", "13711112222")
    h.longxi1 = make(world.village_c, "刘德华", "龙溪村一组6号", "13622223333")
    h.longxi2 = make(world.village_c, "何丽萍", "龙溪村二组9号")
    return h
