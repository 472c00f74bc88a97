"""The demo ledger: a year of issues consistent with their steps and timeline."""

import pytest
from django.db.models import Count

from issues import selectors
from issues.models import Event, Issue, Step
from issues.seed import seed_issues
from teams.models import User
from teams.seed import make_rng, seed_tree


@pytest.fixture
def seeded(db):
    county, _created = seed_tree(preset_name="demo", rng=make_rng(7))
    assert seed_issues(county=county, rng=make_rng(7)) > 900
    return county


def test_shares_by_level_timeliness_and_satisfaction(seeded):
    issues = Issue.objects.filter(village__town__county=seeded)
    total = issues.count()
    levels = dict(issues.values_list("level").annotate(n=Count("pk")))
    assert 0.75 < levels["village"] / total < 0.85
    assert 0.11 < levels["town"] / total < 0.19
    assert 0.03 < levels["county"] / total < 0.08
    ended = Step.objects.filter(issue__in=issues, ended_at__isnull=False)
    assert 0.975 < ended.filter(on_time=True).count() / ended.count() < 0.995
    rated = issues.exclude(satisfaction="")
    assert rated.filter(satisfaction="satisfied").count() / rated.count() > 0.75
    assert issues.filter(status="open").exists()


def test_every_issue_is_consistent_with_its_steps_and_timeline(seeded):
    for issue in Issue.objects.prefetch_related("steps", "events"):
        steps, events = list(issue.steps.all()), list(issue.events.all())
        assert steps[-1].pk == issue.current_step_id and steps[-1].level == issue.level
        assert (issue.status == "open") == (steps[-1].ended_at is None)
        assert all(s.ended_at is not None for s in steps[:-1])
        assert events[0].kind == Event.Kind.REGISTERED and events[0].at == issue.received_at
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert sum(e.kind.startswith("escalated") for e in events) == sum(s.outcome == "escalated" for s in steps)
        assert all(s.on_time == (s.ended_at <= s.due_at) for s in steps if s.ended_at)


def test_demo_accounts_find_issues_of_their_own(seeded):
    cadre, town, dept = (User.objects.get(username=u) for u in ("cadre", "town", "dept"))
    assert selectors.ledger(cadre, {"mine": "true", "status": "open"}).exists()
    assert selectors.town_queue(town).exists()
    assert selectors.department_queue(dept).exists()
    assert cadre.notifications.exists()


def test_seeding_twice_adds_nothing(seeded):
    assert seed_issues(county=seeded, rng=make_rng(7)) == 0
