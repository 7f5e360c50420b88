import json

from django.core.management.base import BaseCommand, CommandError

from clinical.vignettes import CaseError, mismatches, read_cases, run_case


class Command(BaseCommand):
    help = (
        "Run vignette cases (one JSON object a line) through rule set v1 and routing. "
        "Prints one JSON result a line; with --check, compares with each case's 'expect'."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--check", action="store_true", help="compare with 'expect'; exit 1 on any mismatch"
        )

    def handle(self, *args, files, check=False, **options):
        total = failed = 0
        try:
            for path in files:
                for case in read_cases(path):
                    result = run_case(case)
                    total += 1
                    if not check:
                        self.stdout.write(json.dumps(result, ensure_ascii=False))
                        continue
                    problems = mismatches(case, result)
                    if problems:
                        failed += 1
                        self.stdout.write(f"FAIL {case['id']} ({case.get('title', '')})")
                        for problem in problems:
                            self.stdout.write(f"  {problem}")
        except OSError as exc:
            raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from exc
        except CaseError as exc:
            raise CommandError(str(exc)) from exc
        if check:
            self.stdout.write(f"{total - failed} passed, {failed} failed")
            if failed:
                raise CommandError(f"{failed} of {total} cases do not match their expectation")
