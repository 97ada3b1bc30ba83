"""The notifications app's set-based SQL: the nightly fan-out of signals to their users, and the
digest's sections for a batch of users at once (one statement each, whatever their number)."""

# One row per new alert (as_of = D) and per open task due the next day, for the account's owner
# (or the task's assignee) and for every user who asked for every account they may see; Slack
# is marked pending where the user's preference routes that signal there. ON CONFLICT keeps one
# row per signal and user, so running the night again adds nothing.
FAN_OUT = """
WITH signals AS (
    SELECT a.owner_id AS user_id, a.account_id, a.id AS alert_id, NULL::bigint AS task_id,
           CASE a.reason WHEN 'entered_red' THEN 'entered_red' WHEN 'detractor' THEN 'detractor'
                ELSE 'alert' END AS signal,
           'alert:' || a.id AS dedupe_key,
           left(%(alert_title)s::jsonb ->> a.reason || ': ' || acc.name, 200) AS title,
           left(a.details, 500) AS detail
    FROM healthscores_alert a JOIN accounts_account acc ON acc.id = a.account_id
    WHERE a.as_of = %(as_of)s AND a.status = 'open'
    UNION ALL
    SELECT t.assignee_id, t.account_id, NULL, t.id, 'task_due',
           'task:' || t.id || ':' || t.due_on,
           left('Task due: ' || t.title || ' (' || acc.name || ')', 200),
           left(t.description, 500)
    FROM playbooks_task t JOIN accounts_account acc ON acc.id = t.account_id
    WHERE t.due_on = %(as_of)s::date + 1 AND t.status = 'open' AND t.assignee_id IS NOT NULL
),
recipients AS (
    SELECT s.* FROM signals s WHERE s.user_id IS NOT NULL
    UNION
    SELECT p.user_id, s.account_id, s.alert_id, s.task_id, s.signal, s.dedupe_key, s.title,
           s.detail
    FROM signals s JOIN notifications_notificationpreference p ON p.scope = 'all'
    WHERE s.alert_id IS NOT NULL
)
INSERT INTO notifications_notification
    (user_id, signal, dedupe_key, account_id, alert_id, task_id, title, detail, mrr, created_at,
     slack_state, slack_attempts, slack_error)
SELECT r.user_id, r.signal, r.dedupe_key, r.account_id, r.alert_id, r.task_id, r.title,
       coalesce(r.detail, ''), coalesce(snap.mrr, 0), now(),
       CASE WHEN coalesce(p.channels -> r.signal, '[]'::jsonb) ? 'slack' THEN 'pending' ELSE ''
       END,
       0, ''
FROM recipients r
JOIN auth_user u ON u.id = r.user_id AND u.is_active
LEFT JOIN notifications_notificationpreference p ON p.user_id = r.user_id
LEFT JOIN metrics_accountsnapshot snap ON snap.account_id = r.account_id AND snap.as_of = %(as_of)s
ON CONFLICT (user_id, dedupe_key) DO NOTHING
RETURNING id, slack_state
"""

# The digest, for a batch of users: each user's accounts (owned, or all for scope 'all' of a
# user who sees all), with what changed since `since`, as rows of (user, section, account,
# line, ARR at risk), ranked by ARR within each section. One statement for the whole batch.
DIGEST_ROWS = """
WITH users AS (
    SELECT u.id AS user_id, coalesce(p.scope, 'mine') AS scope
    FROM auth_user u LEFT JOIN notifications_notificationpreference p ON p.user_id = u.id
    WHERE u.id = ANY(%(user_ids)s)
),
book AS (
    SELECT us.user_id, acc.id AS account_id, acc.name
    FROM users us JOIN accounts_account acc
      ON acc.owner_id = us.user_id OR (us.scope = 'all' AND us.user_id = ANY(%(see_all)s))
),
latest AS (
    SELECT h.account_id, h.mrr, h.score AS health_score
    FROM healthscores_snapshothealth h WHERE h.as_of = %(as_of)s
),
before AS (
    SELECT h.account_id, h.score AS health_score
    FROM healthscores_snapshothealth h WHERE h.as_of = %(before)s
),
moved AS (
    SELECT b.user_id, 'moved' AS section, b.account_id, b.name,
           format('Health %%s to %%s (%%s%%s points)', round(p.health_score::numeric, 0),
                  round(l.health_score::numeric, 0),
                  CASE WHEN l.health_score >= p.health_score THEN '+' ELSE '' END,
                  round((l.health_score - p.health_score)::numeric, 0)) AS line,
           l.mrr * 12 AS arr, abs(l.health_score - p.health_score) AS weight
    FROM book b JOIN latest l USING (account_id) JOIN before p USING (account_id)
    WHERE abs(l.health_score - p.health_score) >= 5
),
alerts AS (
    SELECT b.user_id, CASE a.reason WHEN 'detractor' THEN 'detractors' ELSE 'alerts' END,
           b.account_id, b.name, a.details, coalesce(a.arr, 0), 0::float
    FROM book b JOIN healthscores_alert a ON a.account_id = b.account_id
    WHERE a.status IN ('open', 'acknowledged')
      AND (a.reason = 'detractor' OR a.created_at >= %(since)s)
),
renewals AS (
    SELECT b.user_id, 'renewals', b.account_id, b.name,
           format('Renews on %%s', to_char(c.end_date, 'DD Mon YYYY')), c.mrr * 12, 0::float
    FROM book b JOIN accounts_contract c ON c.account_id = b.account_id
    WHERE c.end_date BETWEEN %(today)s AND %(today)s::date + %(renewal_days)s
),
tasks AS (
    SELECT t.assignee_id, 'tasks', t.account_id, acc.name,
           CASE WHEN t.due_on < %(today)s THEN format('Overdue since %%s: %%s',
                to_char(t.due_on, 'DD Mon'), t.title)
                ELSE format('Due today: %%s', t.title) END,
           coalesce(l.mrr * 12, 0), 0::float
    FROM playbooks_task t JOIN accounts_account acc ON acc.id = t.account_id
    LEFT JOIN latest l ON l.account_id = t.account_id
    WHERE t.assignee_id = ANY(%(user_ids)s) AND t.status = 'open' AND t.due_on <= %(today)s
      AND (t.snoozed_until IS NULL OR t.snoozed_until <= %(today)s)
)
SELECT * FROM (
    SELECT * FROM moved UNION ALL SELECT * FROM alerts UNION ALL SELECT * FROM renewals
    UNION ALL SELECT * FROM tasks
) rows
ORDER BY user_id, section, arr DESC, weight DESC, account_id
"""
