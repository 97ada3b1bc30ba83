"""Thin Celery tasks: Slack delivery (after the nightly chain's commit, and every few minutes by
beat for what waited: quiet hours, snoozes, an outage) and the digests (beat, hourly)."""

from celery import shared_task

from notifications import services


@shared_task(name="notifications.deliver_slack", ignore_result=True)
def deliver_slack() -> dict:
    return services.slack_deliver()


@shared_task(name="notifications.enqueue_digests", ignore_result=True)
def enqueue_digests() -> int:
    return services.digests_enqueue()


@shared_task(
    name="notifications.send_digests",
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=5,
)
def send_digests(user_ids: list[int]) -> int:
    return services.digests_send(user_ids)
