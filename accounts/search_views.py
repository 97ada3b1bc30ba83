"""The header's search box: a results page, and the suggestions it shows while typing; and the
suggestions of the company-group picker on the list and the portfolio.

A single-app page (it reads only accounts, contacts and notes), so it lives in accounts. Both
answers go through `accounts.search.search`, which applies the access rule.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.access import accounts_visible_to
from accounts.search import MIN_LENGTH, SearchHit, search
from accounts.selectors import group_suggestions

KIND_LABELS = {"account": "Accounts", "contact": "Contacts", "note": "Notes"}


def _url(hit: SearchHit) -> str:
    anchor = {"contact": "#contacts", "note": "#notes"}.get(hit.kind, "")
    return reverse("account_detail", args=[hit.account_id]) + anchor


def search_page(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    hits = search(user=request.user, text=text, per_kind=20)
    groups = [
        {"label": label, "hits": [{"hit": h, "url": _url(h)} for h in hits if h.kind == kind]}
        for kind, label in KIND_LABELS.items()
    ]
    context = {
        "q": text,
        "too_short": 0 < len(text.strip()) < MIN_LENGTH,
        "groups": [group for group in groups if group["hits"]],
        "count": len(hits),
    }
    return render(request, "accounts/search.html", context)


def search_suggestions(request: HttpRequest) -> JsonResponse:
    """What the header's box lists while typing: at most six of each kind, best first."""
    hits = search(user=request.user, text=request.GET.get("q", ""))
    return JsonResponse(
        {
            "results": [
                {
                    "kind": hit.kind,
                    "kind_label": KIND_LABELS[hit.kind],
                    "title": hit.title,
                    "detail": hit.detail,
                    "url": _url(hit),
                }
                for hit in hits
            ]
        }
    )


def group_suggestions_view(request: HttpRequest) -> JsonResponse:
    """The company groups the user may see matching what she typed, for the group picker."""
    groups = group_suggestions(accounts_visible_to(request.user), request.GET.get("q", "")[:100])
    return JsonResponse({"results": groups})
