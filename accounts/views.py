"""Account pages. The full list and 360 page arrive with the pages issue; this is the home."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import get_account_for_user
from accounts.selectors import account_list_for_user, last_imports_by_kind


def home(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    accounts = account_list_for_user(user=request.user, search=search)
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    context = {"page": page, "search": search, "imports": last_imports_by_kind()}
    return render(request, "accounts/home.html", context)


def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account 360 page; for now its header. A CSM gets 404 on an account they do not own."""
    account = get_account_for_user(request.user, account_id)
    return render(request, "accounts/detail.html", {"account": account})
