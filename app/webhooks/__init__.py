"""GitHub webhooks: a thin edge (verify, record, enqueue, 202) and the event handlers it queues.

The request does nothing slow: it checks the signature over the raw body, records the delivery and
a job in the database, and answers. The job (``webhook.delivery``) dispatches on event and action.
"""
