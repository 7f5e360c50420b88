from django.db import models


class SendCount(models.Model):
    """How many emails of one kind were asked for, for one subject, in one fixed window
    (base/throttle.py): the limit on password-reset and invitation emails.

    `key` is an HMAC of the kind and the subject, so no email or IP address is kept
    here. A row is deleted once its window has ended.
    """

    key = models.CharField(max_length=64)
    window_ends = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_ends"], name="one_count_per_window"),
        ]
        indexes = [models.Index(fields=["window_ends"], name="send_count_window_ends")]

    def __str__(self):
        return f"{self.count} until {self.window_ends:%Y-%m-%d %H:%M}"
