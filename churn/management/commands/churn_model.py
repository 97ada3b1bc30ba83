"""`manage.py churn_model train [--horizon 90] [--kind logistic|boosted]` and
`manage.py churn_model backtest --horizon 90 [--kind ...] [--format json]`."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from churn import backtest, learn
from churn.models import HORIZONS, ChurnModelKind
from churn.services import churn_model_train


class Command(BaseCommand):
    help = "Train a churn model (then activate it) or backtest one out of time."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("train", "backtest"))
        parser.add_argument("--horizon", type=int, default=90, choices=HORIZONS,
                            help="days ahead the churn is predicted for (default 90)")  # fmt: skip
        parser.add_argument("--kind", default=ChurnModelKind.LOGISTIC,
                            choices=ChurnModelKind.values, help="default: logistic")  # fmt: skip
        parser.add_argument("--format", dest="output", choices=("text", "json"), default="text")
        parser.add_argument("--no-activate", action="store_true",
                            help="train: store the model without making it active")  # fmt: skip

    def handle(self, *args, action: str, horizon: int, kind: str, output: str, **options):
        # With JSON on stdout, progress goes to stderr so the output stays one parseable object.
        stream = self.stderr if output == "json" else self.stdout
        started = time.perf_counter()

        def progress(message: str) -> None:
            if options["verbosity"] >= 1:
                stream.write(f"[{time.perf_counter() - started:5.1f} s] {message}")

        try:
            if action == "backtest":
                figures = backtest.run(kind=kind, horizon=horizon, progress=progress)
            else:
                model = churn_model_train(horizon=horizon, kind=kind, progress=progress,
                                          activate=not options["no_activate"])  # fmt: skip
                figures = {"model": str(model), "version": model.version,
                           "active": model.is_active, **model.metrics}  # fmt: skip
        except (backtest.NotEnoughHistory, learn.TooFewRows) as problem:
            raise CommandError(str(problem)) from None
        if output == "json":
            self.stdout.write(json.dumps(figures))
        else:
            self._summary(action, figures)

    def _summary(self, action: str, f: dict) -> None:
        def num(value, places=3):
            return "—" if value is None else f"{value:.{places}f}"

        if action == "train":
            self.stdout.write(self.style.SUCCESS(
                f"Stored {f['model']}{' (active)' if f['active'] else ''}"
            ))  # fmt: skip
        self.stdout.write(
            f"Out of time: trained on dates to {f['train_to']}, tested on {f['test_from']} to "
            f"{f['test_to']} ({f['test_rows']:,} rows, {f['accounts']:,} accounts, "
            f"{f['churners']:,} churners)\n"
            f"  ROC AUC     {num(f['auc'])}   (health score: {num(f['health_score_auc'])})\n"
            f"  Brier       {num(f['brier'], 4)}  (base rate {num(f['base_rate'], 4)}: "
            f"{num(f['base_rate_brier'], 4)})\n"
            f"  log loss    {num(f['log_loss'], 4)}\n"
            f"  top decile  {num(f['top_decile_lift'], 2)}x the base rate "
            f"(health score: {num(f['health_score_top_decile_lift'], 2)}x)"
        )
