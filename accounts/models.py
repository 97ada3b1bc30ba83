"""The raw records of a customer: who they are, what they pay, how they use us, what they ask.

Rows arrive through the import (and later the API) only; every rule of kpi-spec section 2 that the
database can hold is a constraint here, so no writer can bypass it.
"""

from calendar import monthrange
from datetime import date, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    TRIAL = "trial", "Trial"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    CHURNED = "churned", "Churned"


class AccountQuerySet(models.QuerySet):
    def in_group(self, group: "Account | int") -> "AccountQuerySet":
        """The group's accounts: the account itself and every account below it, as its members
        are today (a backfill describes past dates with today's accounts, kpi-spec section 7, so
        moving a subsidiary moves its whole history and is never churn or new business)."""
        from accounts.sql import GROUP_MEMBERS  # accounts.sql imports models (via the importer)

        group_id = group.pk if isinstance(group, Account) else group
        # A constant statement with the id as a parameter.
        return self.filter(pk__in=RawSQL(GROUP_MEMBERS, [group_id]))  # noqa: S611


class Account(models.Model):
    external_id = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=255)
    segment = models.CharField(max_length=100, blank=True, default="")
    industry = models.CharField(max_length=100, blank=True, default="")
    region = models.CharField(max_length=100, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
    )
    created_on = models.DateField(null=True, blank=True)
    trial_started_on = models.DateField(null=True, blank=True)
    converted_on = models.DateField(null=True, blank=True)
    onboarded_on = models.DateField(null=True, blank=True)
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.PROSPECT
    )
    # The company group it belongs to (kpi-spec section 2): no cycles and at most 5 levels, held
    # by a constraint trigger (migration 0004) and reported by the import at the file's line.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # The admins' own fields (CustomField), by key: numbers, ISO dates, booleans and texts.
    custom = models.JSONField(
        default=dict, db_default=models.Value({}, output_field=models.JSONField()), blank=True
    )
    # Free labels a team puts on accounts ("beta", "exec-sponsor-left"): normalised by
    # accounts.tags, kept sorted and distinct; filters read them through the GIN index below.
    tags = ArrayField(
        models.CharField(max_length=40),
        default=list,
        db_default=models.Value("{}", output_field=models.TextField()),
        blank=True,
    )

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("view_all_accounts", "Can view every account, not only owned ones")]
        indexes = [
            # The segment filter, and the list's segment and region choices, one probe per pair
            # (accounts/sql.py).
            models.Index(fields=["segment", "region"], name="account_segment_region_idx"),
            # The accounts list filters by owner and sorts by name.
            models.Index(fields=["owner", "name"], name="account_owner_name_idx"),
            # A leader's list in name order, and its keyset pages: the first 50 rows by (name,
            # pk) are read off this index and only they are joined to their snapshots (without
            # it every account was joined and sorted: 70 ms of the page at 10,000 accounts).
            models.Index(fields=["name", "id"], name="account_name_order_idx"),
            # The header's search (accounts.sql.SEARCH): substring and typo-tolerant matches.
            GinIndex(OpClass(F("name"), name="gin_trgm_ops"), name="account_name_trgm"),
            GinIndex(
                OpClass(F("external_id"), name="gin_trgm_ops"), name="account_external_id_trgm"
            ),
            # Filters on custom fields (`custom @> {"tier": "gold"}`) by containment.
            GinIndex(OpClass(F("custom"), name="jsonb_path_ops"), name="account_custom_idx"),
            # Filters on tags (`tags @> ARRAY['beta']`) by containment.
            GinIndex(fields=["tags"], name="account_tags_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    MAX_LEVELS = 5  # of parents, the account itself being level 1 (kpi-spec section 2)

    def clean(self) -> None:
        """The hierarchy rule for forms (the admin): no cycle and at most MAX_LEVELS levels
        above and below this account; the database's trigger holds it for every other write."""
        super().clean()
        levels, ancestor = 1, self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": "This parent would make a cycle of parents."})
            levels += 1
            if levels > self.MAX_LEVELS:
                break
            ancestor = ancestor.parent
        below = self._levels_below() if self.pk else 0
        if levels + below > self.MAX_LEVELS:
            raise ValidationError(
                {"parent": f"Accounts can be nested at most {self.MAX_LEVELS} levels deep."}
            )

    def _levels_below(self) -> int:
        level, current = 0, [self.pk]
        while current and level <= self.MAX_LEVELS:
            current = list(Account.objects.filter(parent__in=current).values_list("pk", flat=True))
            level += 1 if current else 0
        return level


class AccountAncestor(models.Model):
    """One row per account and each of its ancestors (parent, grandparent, ...), with the
    distance: the hierarchy as a closure table, so "the accounts below those a user owns" is one
    index range instead of a recursive walk (17 - 27 ms at 10,000 accounts in groups, paid by
    every page of a CSM). Written only by the database's triggers on accounts_account (migration
    0013), whichever way a parent changes (the import, the admin, the API, a deletion)."""

    account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, related_name="ancestor_links",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    ancestor = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, related_name="descendant_links",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    depth = models.PositiveSmallIntegerField(help_text="1 for the parent, 2 for its parent...")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ancestor", "account"], name="account_ancestor_unique")
        ]
        indexes = [models.Index(fields=["account"], name="account_ancestor_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} below {self.ancestor_id} ({self.depth})"


class CustomFieldType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    BOOLEAN = "boolean", "Yes/no"
    CHOICE = "choice", "One of a list"


class CustomFieldTarget(models.TextChoices):
    ACCOUNT = "accounts", "Accounts"
    CONTACT = "contacts", "Contacts"


class CustomField(models.Model):
    """A field an admin adds to accounts or contacts. Its values come in by the import (a
    column named after the key), the API and the 360 page, and are kept in the record's
    `custom` JSON under the key; a column matching no field is still refused."""

    target = models.CharField(max_length=10, choices=CustomFieldTarget.choices)
    key = models.SlugField(
        max_length=40,
        help_text="The import column and API field: lower case, digits and _, starting with "
        "a letter. Cannot be changed once values exist.",
    )
    label = models.CharField(max_length=100)
    field_type = models.CharField(max_length=10, choices=CustomFieldType.choices)
    choices = ArrayField(
        models.CharField(max_length=100), default=list, blank=True,
        help_text="For 'One of a list': the allowed values, one per line.",
    )  # fmt: skip
    help_text = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["target", "label"]
        constraints = [
            models.UniqueConstraint(fields=["target", "key"], name="custom_field_one_key"),
            models.CheckConstraint(
                condition=Q(key__regex=r"^[a-z][a-z0-9_]*$"), name="custom_field_key_shape"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_target_display().lower()})"

    def clean(self) -> None:
        from accounts.importer.records import KINDS  # the built-in columns of each file

        super().clean()
        builtin = next(kind for kind in KINDS if kind.name == self.target).column_names
        if self.key in builtin:
            raise ValidationError({"key": f"{self.key!r} is already a column of {self.target}."})
        if self.field_type == CustomFieldType.CHOICE and not self.choices:
            raise ValidationError({"choices": "List the allowed values."})
        if self.field_type != CustomFieldType.CHOICE and self.choices:
            raise ValidationError({"choices": "Only 'One of a list' fields have choices."})


class Contact(models.Model):
    external_id = models.CharField(max_length=128, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=255, blank=True, default="")
    email = models.EmailField(max_length=254, blank=True, default="")
    title = models.CharField(max_length=255, blank=True, default="")
    is_champion = models.BooleanField(default=False)
    left_on = models.DateField(null=True, blank=True)
    custom = models.JSONField(
        default=dict, db_default=models.Value({}, output_field=models.JSONField()), blank=True
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            # The header's search (accounts.sql.SEARCH) finds contacts by name and email.
            GinIndex(OpClass(F("name"), name="gin_trgm_ops"), name="contact_name_trgm"),
            GinIndex(OpClass(F("email"), name="gin_trgm_ops"), name="contact_email_trgm"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id


# kpi-spec section 3: a paid contract is renewed when another paid contract of the account starts
# after it and within this many days of its end date; the snapshot SQL, the drill-down's ORM and
# the account page's contract events all read it from here.
RENEWAL_WINDOW_DAYS = 30


class Contract(models.Model):
    external_id = models.CharField(max_length=128, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contracts")
    plan = models.CharField(max_length=100, blank=True, default="")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    mrr = models.DecimalField(max_digits=14, decimal_places=2)
    seats = models.IntegerField(null=True, blank=True)
    one_time_fee = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["account", "start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(mrr__gte=0), name="contract_mrr_not_negative"),
            models.CheckConstraint(condition=Q(seats__gte=0), name="contract_seats_not_negative"),
            models.CheckConstraint(
                condition=Q(one_time_fee__gte=0), name="contract_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="contract_ends_after_start"
            ),
        ]
        indexes = [
            # MRR on a day: contracts active on d, by account.
            models.Index(fields=["account", "start_date"], name="contract_account_start_idx"),
            models.Index(fields=["start_date", "end_date"], name="contract_active_range_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def is_committed_term(self) -> bool:
        """Whether the contract commits to a term of RENEWAL_MIN_TERM_MONTHS months or more, so
        its end is a renewal. A shorter one (month to month) just rolls over. The same rule in
        SQL: playbooks.sql.COMMITTED_TERM."""
        if self.end_date is None:
            return False
        months = settings.RENEWAL_MIN_TERM_MONTHS
        return self.end_date >= add_months(self.start_date, months) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, the day clamped to the month's end (31 Jan + 1
    month is 28 Feb), as PostgreSQL adds an interval of months to a date."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Ticket(models.Model):
    external_id = models.CharField(max_length=128, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tickets")
    subject = models.CharField(max_length=500, blank=True, default="")
    priority = models.CharField(
        max_length=10, choices=TicketPriority.choices, blank=True, default=""
    )
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_on_first_contact = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_at__gte=F("opened_at")),
                name="ticket_response_after_open",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__gte=F("opened_at")), name="ticket_resolved_after_open"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=["", *TicketPriority.values]),
                name="ticket_priority_known",
            ),
        ]
        indexes = [
            # Per-account trailing windows (tickets_90d, open tickets) and the account timeline.
            models.Index(fields=["account", "opened_at"], name="ticket_account_opened_idx"),
            # Portfolio support KPIs select tickets by the date of each timestamp.
            models.Index(fields=["opened_at"], name="ticket_opened_idx"),
            models.Index(fields=["first_response_at"], name="ticket_first_response_idx"),
            models.Index(fields=["resolved_at"], name="ticket_resolved_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.external_id


class UsageDaily(models.Model):
    """One end user's activity on one feature on one day: a roll-up of raw product events."""

    # A compromise for the largest table (millions of rows): no foreign-key constraint in the
    # database, because PostgreSQL checks it row by row with a row lock on the account, which
    # costs more than the rest of a million-row import together. Every writer resolves the account
    # by joining on it, and Django's CASCADE removes an account's usage. No index of its own
    # either: the unique index (date first) serves the nightly job's trailing windows.
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="usage",
        db_index=False,
        db_constraint=False,
    )
    user_id = models.CharField(max_length=128)
    date = models.DateField()
    feature = models.CharField(max_length=100)
    events = models.BigIntegerField()
    minutes = models.FloatField(null=True, blank=True)
    sessions = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "daily usage"
        verbose_name_plural = "daily usage"
        constraints = [
            # Date first: it also serves the nightly job's trailing windows [D-59, D].
            models.UniqueConstraint(
                fields=["date", "account", "user_id", "feature"], name="usage_daily_unique"
            ),
            models.CheckConstraint(condition=Q(events__gte=0), name="usage_events_not_negative"),
            models.CheckConstraint(condition=Q(minutes__gte=0), name="usage_minutes_not_negative"),
            models.CheckConstraint(
                condition=Q(sessions__gte=0), name="usage_sessions_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.user_id}/{self.date}/{self.feature}"


class UsageFeature(models.Model):
    """Every feature name ever seen in a usage row: the denominator of feature adoption.

    Filled by a statement-level trigger on the usage table (migration 0003), so every writer
    (import, API, tests) keeps it complete, and the nightly job counts a few rows instead of
    scanning millions for distinct names."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Note(models.Model):
    """A free-text entry in an account's interaction log, written by a user."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="notes"
    )
    body = models.TextField(max_length=10_000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "-created_at"], name="note_account_idx")]

    def __str__(self) -> str:
        return f"Note on {self.account_id} at {self.created_at:%Y-%m-%d}"


class CostMonth(models.Model):
    """The monthly cost ledger behind CAC and customer retention cost."""

    month = models.DateField(unique=True, help_text="The first day of the month.")
    sales_marketing_spend = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    retention_spend = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = "monthly costs"
        verbose_name_plural = "monthly costs"
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="cost_month_first_day"),
            models.CheckConstraint(
                condition=Q(sales_marketing_spend__gte=0), name="cost_sm_spend_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(retention_spend__gte=0), name="cost_retention_spend_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class ImportLog(models.Model):
    """One file kind loaded by one import: pages show the time of the last import per source."""

    kind = models.CharField(max_length=20)
    source = models.CharField(max_length=20, default="csv")
    rows = models.IntegerField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]
        indexes = [models.Index(fields=["kind", "-imported_at"], name="importlog_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.rows} rows) at {self.imported_at:%Y-%m-%d %H:%M}"


class BulkActionKind(models.TextChoices):
    OWNER = "owner", "Reassign owner"
    STAGE = "stage", "Set lifecycle stage"
    FIELD = "field", "Set a custom field"
    TAG_ADD = "tag_add", "Add a tag"
    TAG_REMOVE = "tag_remove", "Remove a tag"
    SURVEY = "survey", "Send a survey"
    TASK = "task", "Create a task for each"


class BulkAction(models.Model):
    """One change made to many accounts at once from the accounts list (accounts.bulk): who,
    when, what, to which accounts, and what each held before, so it can be undone for a day.

    `old_values` maps each account's id (as text: a JSON key) to its value before the action
    (owner id, stage, or the field's value; null when it had none), so undo is one UPDATE
    joined to it. Surveys and tasks change no account: `created_ids` holds the invitations or
    tasks they made instead."""

    kind = models.CharField(max_length=10, choices=BulkActionKind.choices)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    performed_at = models.DateTimeField(auto_now_add=True)
    # What was set: {"owner": id|null}, {"stage": s}, {"key": k, "value": v},
    # {"survey": id}, {"title": t, "due_on": iso, "priority": p}.
    value = models.JSONField(default=dict)
    summary = models.CharField(max_length=300)
    account_ids = ArrayField(models.BigIntegerField(), default=list)
    old_values = models.JSONField(default=dict, blank=True)
    created_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # The accounts (or tasks, invitations) the undo left alone because they changed since.
    undo_kept_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        ordering = ["-performed_at", "-pk"]
        permissions = [("bulk_change_accounts", "Can change many accounts at once (any account)")]
        indexes = [
            # The records page: one's own actions, newest first.
            models.Index(fields=["performed_by", "-performed_at"], name="bulkaction_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.summary} ({len(self.account_ids)} accounts)"


class ViewVisibility(models.TextChoices):
    PERSONAL = "personal", "Only me"
    SHARED = "shared", "Shared"


class View(models.Model):
    """A named filter of accounts (accounts.filters.ViewFilter, kept as JSON in `definition`):
    personal to its owner, or shared with a team (a Django group; no team: everyone). The list,
    the portfolio, the exports, survey sending and playbook triggers read it through one
    compiler (accounts.filters.view_condition); access applies on top of it."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="account_views",
        help_text="Who made it; empty for views that came with playbooks (saved filters).",
    )
    visibility = models.CharField(
        max_length=8, choices=ViewVisibility.choices, default=ViewVisibility.PERSONAL
    )
    team = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account_views",
        help_text="A shared view's team; empty: everyone.",
    )
    definition = models.JSONField(default=dict, blank=True)
    # The first day playbook triggers tracked its members: who was in it then entered nothing.
    tracked_since = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], nulls_distinct=False, name="view_name_unique_per_owner"
            ),
            models.CheckConstraint(
                condition=~Q(visibility="personal") | Q(owner__isnull=False),
                name="view_personal_has_owner",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="view_name_required"),
        ]

    def __str__(self) -> str:
        return self.name


class ViewMembership(models.Model):
    """An account's stay in a view, as the nightly playbook evaluation saw it: from the day it
    entered to the day it left (open while it is in). Playbooks' "enters view" and "leaves view"
    triggers read these rows."""

    view = models.ForeignKey(View, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    entered_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open stay per account and view (a return opens a new one).
            models.UniqueConstraint(
                fields=["view", "account"],
                condition=Q(left_on__isnull=True),
                name="view_membership_one_open",
            ),
        ]
        indexes = [
            # The refresh and the triggers: a view's stays by day.
            models.Index(fields=["view", "entered_on"], name="view_membership_entered_idx"),
            models.Index(fields=["view", "left_on"], name="view_membership_left_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.view_id} from {self.entered_on}"


class SsoIdentity(models.Model):
    """The identity provider's account behind a user: its issuer and subject (the `sub` claim,
    stable where an email address may change or be reused). Sign-in finds the user by this pair;
    an existing user is linked by email only when the provider says the address is verified."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SSO identity"
        verbose_name_plural = "SSO identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique_sub"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class SignInMethod(models.TextChoices):
    PASSWORD = "password", "Password"
    SSO = "sso", "Single sign-on"


class UserSession(models.Model):
    """One signed-in session, recorded at sign-in so that an admin can list a user's sessions
    and end them (Django's session rows cannot be found by user without decoding them all).
    Ending a session deletes its django_session row too; a row whose session has expired is
    left for the session cleanup and never listed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    method = models.CharField(max_length=16, choices=SignInMethod.choices)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        # The admin's list of one user's sessions, newest first.
        indexes = [models.Index(fields=["user", "-started_at"], name="usersession_user_started")]

    def __str__(self) -> str:
        return f"{self.user} since {self.started_at:%Y-%m-%d %H:%M}"
