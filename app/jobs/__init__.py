"""Durable jobs: recorded in the database first, then handed to a queue (in-process or arq).

The database row is the truth; the queue only carries "job N is ready" notifications. So:

* accepted work survives a queue that loses messages (a Redis restart): the sweeper re-enqueues
  every job that is not finished within its timeout;
* a worker killed mid-job leaves a row whose lease expires; the sweeper hands it out again;
* two deliveries of the same notification cannot both run the job: a worker must *claim* the row
  (one atomic UPDATE) before running it, and a handler's database effects commit in the same
  transaction that marks the job done, guarded by the claim's lease token;
* a job that keeps failing is retried with backoff and stops after ``max_attempts``, keeping its
  last error (status ``dead``).
"""
