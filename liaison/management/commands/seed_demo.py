import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from issues import seed as issue_seed
from reports.figures import services as report_services
from reports.oversight import seed as report_seed
from teams import seed as team_seed
from teams.models import County
from visits import seed as visit_seed


class Command(BaseCommand):
    help = (
        "Create the demo county (idempotent): the tree, teams, liaison days, households, visits, issues, accounts; "
        "with --counties N, N such counties, the first with the demo accounts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--preset", choices=sorted(team_seed.PRESETS), default="demo")
        parser.add_argument("--seed", type=int, default=2014, help="random seed, for the same data every time")
        parser.add_argument("--counties", type=int, default=1, help="counties of the preset (a province slice)")
        parser.add_argument(
            "--assignments-only", action="store_true",
            help="only add 定点联系 (household assignments) to the preset's counties already seeded without them",
        )

    def handle(self, *args, preset, seed, counties, assignments_only=False, **options):
        if counties < 1:
            raise CommandError("--counties must be at least 1.")
        started = time.monotonic()
        if assignments_only:
            self._assignments(preset, seed, counties)
            self.stdout.write(f"  in {time.monotonic() - started:.1f}s")
            return
        seeded, generators = [], []
        for index in range(counties):
            rng = team_seed.county_rng(seed, index)
            county, created = team_seed.seed_tree(preset_name=preset, rng=rng, index=index, stdout=self.stdout)
            generators.append((county, rng))
            if not created:
                self.stdout.write(f"{county} already exists; nothing to seed.")
                continue
            team_seed.seed_liaison_days(county=county, rng=rng, stdout=self.stdout)
            visit_seed.seed_visits(county=county, preset_name=preset, rng=rng, stdout=self.stdout)
            issue_seed.seed_issues(county=county, rng=rng, stdout=self.stdout)
            visit_seed.seed_assignments(county=county, rng=visit_seed.assignments_rng(seed, index),
                                        stdout=self.stdout)
            seeded.append(county)
        if seeded and connection.vendor == "postgresql":
            # Fresh planner statistics for the tables just loaded in bulk; without them PostgreSQL
            # takes 600,000 households for a handful and picks plans that take minutes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        for county, rng in generators:
            self._figures(county)
            report_seed.seed_assessments(county=county, rng=rng, stdout=self.stdout)
        for county in seeded:
            self.stdout.write(self.style.SUCCESS(f"Seeded {county} ({preset})."))
        if seeded:
            self.stdout.write(f"  in {time.monotonic() - started:.1f}s")

    def _assignments(self, preset, seed, counties):
        """定点联系 for the preset's counties seeded before assignments existed (idempotent); the
        figures by member follow at their next refresh."""
        for index in range(counties):
            county = County.objects.filter(name=team_seed.county_name(team_seed.PRESETS[preset], index)).first()
            if county is None:
                self.stdout.write(f"No county {index + 1} of the {preset} preset yet: run seed_demo first.")
                continue
            if not visit_seed.seed_assignments(county=county, rng=visit_seed.assignments_rng(seed, index),
                                               stdout=self.stdout):
                self.stdout.write(f"{county} has its assignments already.")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE visits_assignment")

    def _figures(self, county):
        """The dashboards open on real figures: computed here, in this process, if none are."""
        if report_services.current(county.pk) is None:
            started = time.monotonic()
            report_services.refresh_in_process(county)
            self.stdout.write(f"  {county}: figures computed in {time.monotonic() - started:.1f}s")
