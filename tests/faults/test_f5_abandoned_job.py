"""The job a worker was running when it was killed (test_f1_email.py) is found abandoned soon
after its timeout and retried by the worker that took over: it runs before Redis is lost
(test_f6_redis.py), which would take the job's record with it."""

import pytest
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from tests.faults.journeys import RECOVERY_SECONDS
from tests.scaleout.processes import wait_for


def test_the_job_a_dead_worker_was_running_was_retried(stack):
    if not stack.notes:
        pytest.skip("the worker was killed in its sweep, not in a job: no job was abandoned")
    with stack.redis() as connection:
        started = StartedJobRegistry("portal", connection=connection)

        def retried():
            statuses = []
            for job_id in stack.notes:
                if job_id in started.get_job_ids():
                    return False
                statuses.append(Job.fetch(job_id, connection=connection).get_status())
            return all(status is JobStatus.FINISHED for status in statuses)

        wait_for(retried, "the abandoned job to be retried", seconds=RECOVERY_SECONDS)
