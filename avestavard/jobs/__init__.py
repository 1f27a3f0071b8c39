"""Scheduled jobs: the scheduler definition and the job bodies, run in their own process.

Started by ``avestavard scheduler`` (see :mod:`avestavard.jobs.scheduler`); never by the app
factory or a web worker.
"""
