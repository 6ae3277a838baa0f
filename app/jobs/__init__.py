"""Training jobs: the jobs table, the huey queue, the worker process and the job kinds.

See app/jobs/kinds.py for how to add a new kind of job.
"""
