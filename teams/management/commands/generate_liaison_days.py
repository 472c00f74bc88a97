from django.conf import settings
from django.core.management.base import BaseCommand

from teams import services


class Command(BaseCommand):
    help = "Create the coming weeks' liaison days and attendance rows from the teams' schedules."

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=settings.LIAISON_DAYS_AHEAD_WEEKS)

    def handle(self, *args, weeks, **options):
        days, rows = services.generate_liaison_days(weeks=weeks)
        self.stdout.write(f"{days} liaison days and {rows} attendance rows created.")
