"""What each figure of the renewal desk means, in one sentence: the pages' tooltips and their
"What is this?" notes read them from here."""

from django.conf import settings


def definitions() -> dict[str, str]:
    grace = settings.RENEWAL_GRACE_DAYS
    return {
        "renewal": f"A committed term (at least {settings.RENEWAL_MIN_TERM_MONTHS} months) with "
        "MRR above 0, by the date it ends.",
        "arr_at_stake": "12 x the ending term's MRR.",
        "churn_probability": "The churn model's newest probability that the account's MRR "
        "reaches 0 within the horizon (30, 90 or 180 days, the smallest reaching the term's "
        "end); an account without one shows the model's reason.",
        "call": "The owner's call: commit, most likely or at risk, with her own chance of churn "
        "when she gives one. It never changes the model's number.",
        "stage": "Not started (no call yet), in progress (most likely), committed, at risk; "
        f"then renewed, downsold or churned, read from the contracts: a successor term of the "
        f"account starting within {grace} days of the end is a renewal (at a lower MRR a "
        f"downsell); none {grace} days after the end is a churn.",
        "expected_arr": "Expected renewing ARR = the sum over the quarter's renewals of ARR x "
        "(1 - p); a renewal already decided counts its successor ARR, at most its own.",
        "interval": "80 % of 4,000 simulated quarters (each renewal renewing or not with its "
        "own probability, independently; seeded) fall between these two amounts.",
        "grr": "Forecast GRR = expected renewing ARR / ARR at stake x 100.",
        "nrr": "Forecast NRR = (expected renewing ARR with the known expansions and downsells) "
        "/ ARR at stake x 100.",
        "sources": "Model: the churn model's p. CSM calls: her own chance, else her call's "
        "(commit 5 %, most likely 25 %, at risk 60 %), else the model's. Blend: the mean of the "
        "model's and hers. A renewal without any p takes the mean of those with one.",
        "error": "Forecast minus what renewed (expected renewing ARR as stored that night minus "
        "the renewing ARR the contracts show), and as a share of what renewed.",
        "arr_lost": "12 x (the ended term's MRR - its successors' MRR): all of it for a churn.",
    }
