"""Where work runs: one plain-data job per architecture, executors for in-process, a process
pool or Ray, and the driver that stores results in the run store as they arrive."""

from zcphar.execute.driver import run_jobs, score_architectures, train_architectures, train_jobs
from zcphar.execute.executors import ENGINES, LocalExecutor, RayExecutor, get_executor
from zcphar.execute.jobs import data_ref, load_data, run_job, score_job, train_job

__all__ = [
    "ENGINES",
    "LocalExecutor",
    "RayExecutor",
    "data_ref",
    "get_executor",
    "load_data",
    "run_job",
    "run_jobs",
    "score_architectures",
    "score_job",
    "train_architectures",
    "train_job",
    "train_jobs",
]
