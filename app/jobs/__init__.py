"""Training jobs: the jobs table, the huey queue, the worker process and the job kinds.

    tables.py    the jobs, job_files and workers tables (the single source of truth)
    store.py     reading and stamping them (both sides)     files.py   bytes kept with a job
    kinds.py     THE SEAM: one line per job kind            progress.py  the Reporter a kind gets
    queue.py     the huey wake-up messages                  tasks.py   claim → run → record (worker)
    recovery.py  jobs of dead workers go back to the queue  worker.py  the worker process
    service.py   the web side: submit, view, cancel         api.py     GET /api/jobs/…

The worker side (tasks, progress, queue, recovery, store, files, worker) never imports the web
side (service, api, app.web): pyproject.toml [tool.importlinter] checks it.
"""
