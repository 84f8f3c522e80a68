"""Where jobs run: in-process, in a standard-library process pool, or on Ray.

Every executor has one verb, ``run(jobs)``, yielding ``(index, result)`` pairs as jobs finish
(in completion order), where `result` is `run_job`'s plain dict. A worker that dies (killed,
out of memory) gives an ``{"error": ...}`` result for its job instead of stopping the run.

    with get_executor("local", workers=2) as executor:
        for i, result in executor.run(jobs): ...
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from zcphar.errors import ZcpharError, unknown_choice
from zcphar.execute.jobs import run_job

ENGINES = ("local", "ray")
DEFAULT_OBJECT_STORE_BYTES = 256 * 1024**2


class LocalExecutor:
    """Jobs in this process (``workers=0``) or in a process pool of `workers` processes.

    Pool workers are started with ``spawn`` (safe with torch threads) and each gets an equal
    share of the CPU cores as torch intra-op threads.
    """

    def __init__(self, workers: int = 0) -> None:
        if workers < 0:
            raise ZcpharError(f"workers must be >= 0, got {workers}")
        self.workers = workers

    @property
    def in_process(self) -> bool:
        return self.workers == 0

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def run(self, jobs: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.in_process:
            for i, job in enumerate(jobs):
                yield i, run_job(job)
            return
        import multiprocessing

        threads = max(1, (os.cpu_count() or 1) // self.workers)
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_set_threads,
            initargs=(threads,),
        )
        with pool:
            futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
            for future in as_completed(futures):
                try:
                    result = future.result()
                except Exception as err:  # BrokenProcessPool: the worker died
                    result = {"error": f"worker process failed: {type(err).__name__}: {err}"}
                yield futures[future], result


def _set_threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)


class RayExecutor:
    """Jobs as Ray core tasks, on a private local Ray or on an existing cluster.

    Args:
        address: cluster address to join (``auto``, ``ray://host:10001``, ``host:6379``);
            None starts a private local Ray (no dashboard, bounded object store) for this run.
        num_cpus: CPUs of the private local Ray (None: all).
        cpus_per_job: CPUs each task reserves.
        gpus_per_job: GPUs each task reserves (0.25: four jobs share a GPU).
        object_store_memory: bytes of the private Ray's object store.
    """

    in_process = False

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        cpus_per_job: float = 1.0,
        gpus_per_job: float = 0.0,
        object_store_memory: int = DEFAULT_OBJECT_STORE_BYTES,
    ) -> None:
        try:
            import ray
        except ImportError as err:
            raise ZcpharError("--engine ray needs Ray: pip install 'zcphar[ray]'") from err
        self._ray = ray
        self.address, self.num_cpus = address, num_cpus
        self.cpus_per_job, self.gpus_per_job = cpus_per_job, gpus_per_job
        self.object_store_memory = object_store_memory
        self._started = False

    def __enter__(self) -> RayExecutor:
        ray = self._ray
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                env = {
                    k: os.environ[k]
                    for k in ("ZCPHAR_HOME", "ZCPHAR_SHARED_DATA")
                    if k in os.environ
                }
                ray.init(
                    num_cpus=self.num_cpus,
                    include_dashboard=False,
                    log_to_driver=False,
                    object_store_memory=self.object_store_memory,
                    runtime_env={"env_vars": env} if env else None,
                )
            self._started = True
        self._check_resources()
        return self

    def __exit__(self, *exc) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False

    def _check_resources(self) -> None:
        total = self._ray.cluster_resources()
        gpus, cpus = total.get("GPU", 0.0), total.get("CPU", 0.0)
        where = self.address or "the local Ray"
        if self.gpus_per_job > 0 and gpus < self.gpus_per_job:
            self.__exit__()
            raise ZcpharError(
                f"--gpus-per-job {self.gpus_per_job} asks for a GPU but {where} has "
                f"{gpus:g} GPUs; use --gpus-per-job 0 or a cluster with GPUs"
            )
        if cpus < self.cpus_per_job:
            self.__exit__()
            raise ZcpharError(f"each job needs {self.cpus_per_job:g} CPUs but {where} has {cpus:g}")

    def run(self, jobs: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
        ray = self._ray
        task = ray.remote(num_cpus=self.cpus_per_job, num_gpus=self.gpus_per_job, max_retries=0)(
            run_job
        )
        pending = {task.remote(job): i for i, job in enumerate(jobs)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                try:
                    result = ray.get(ref)
                except Exception as err:  # the worker died (RayTaskError, WorkerCrashedError)
                    result = {"error": f"ray task failed: {type(err).__name__}: {err}"}
                yield pending.pop(ref), result


def get_executor(
    engine: str = "local",
    *,
    workers: int = 0,
    address: str | None = None,
    gpus_per_job: float = 0.0,
    num_cpus: int | None = None,
):
    """The executor for `engine` (``local`` or ``ray``), to be used as a context manager.

    Args:
        engine: ``local`` (in-process, or a process pool with `workers` > 0) or ``ray``.
        workers: local process-pool size (0 = in-process).
        address: Ray cluster to join (ray only; None starts a private local Ray).
        gpus_per_job: GPUs per Ray task.
        num_cpus: CPUs of a private local Ray.
    """
    if engine == "local":
        if address or gpus_per_job:
            raise ZcpharError("--address and --gpus-per-job need --engine ray")
        return LocalExecutor(workers)
    if engine == "ray":
        return RayExecutor(address, num_cpus=num_cpus, gpus_per_job=gpus_per_job)
    raise unknown_choice("engine", engine, ENGINES)
