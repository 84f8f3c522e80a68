"""The driver: turns work into jobs, hands them to an executor, stores results as they arrive.

Only the driver writes to the run store. Each result is committed when it arrives, so killing
the driver (even with SIGKILL) loses at most the jobs still running; the same command again
skips every stored result and runs the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tqdm.auto import tqdm

from zcphar.checkpoint import write_atomic
from zcphar.store import RunStore
from zcphar.train import TrainConfig


def run_jobs(
    jobs: list[dict[str, Any]],
    executor,
    on_result: Callable[[dict, dict], None],
    *,
    desc: str = "jobs",
    progress: bool = True,
) -> None:
    """Run `jobs` on `executor`, calling ``on_result(job, result)`` as each one finishes."""
    with tqdm(total=len(jobs), desc=desc, unit="job", disable=not progress) as bar:
        for index, result in executor.run(jobs):
            on_result(jobs[index], result)
            bar.update()


def train_jobs(
    specs: list,
    data: dict[str, Any],
    config: TrainConfig,
    *,
    device: str = "cpu",
    seed: int | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """One training job per spec (see `zcphar.execute.jobs` for the job layout)."""
    return [
        {
            "kind": "train",
            "data": data,
            "spec": spec.to_dict(),
            "config": config.to_dict(),
            "seed": seed,
            "device": device,
            "progress": progress,
        }
        for spec in specs
    ]


def train_architectures(
    store: RunStore,
    specs: list,
    data: dict[str, Any],
    config: TrainConfig,
    executor,
    *,
    preset: str | None = None,
    device: str = "cpu",
    retry_failed: bool = False,
    progress: bool = True,
) -> dict[str, int]:
    """Train every spec not yet trained with `config` in `store`, storing results as they come.

    Args:
        store: the run store (architectures must already be added).
        specs: the architectures to train.
        data: a `zcphar.execute.jobs.data_ref` naming the prepared dataset.
        config: training settings; its hash keys the stored results.
        executor: from `get_executor` (already entered).
        preset: the preset name recorded with each row.
        device: where each job trains.
        retry_failed: also re-run architectures whose stored training failed.
        progress: show a bar over jobs (and over epochs when one job runs in-process).

    Returns:
        Counts: ``skipped`` (already stored), ``ok`` and ``failed`` (this call).
    """
    config_hash = config.hash()
    done = store.done_trainings(config_hash, include_failed=not retry_failed)
    todo = [s for s in specs if s.id not in done]
    per_epoch = progress and len(todo) == 1 and getattr(executor, "in_process", False)
    jobs = train_jobs(todo, data, config, device=device, seed=config.seed, progress=per_epoch)
    counts = {"skipped": len(specs) - len(todo), "ok": 0, "failed": 0}

    def store_result(job: dict, result: dict) -> None:
        arch_id = result.get("arch_id") or _spec_id(job)
        checkpoint = None
        if not result.get("error"):
            checkpoint = store.checkpoint_path(arch_id, config_hash)
            write_atomic(checkpoint, result.pop("checkpoint"))
        store.add_training(
            arch_id, config_hash, result, preset=preset, config=job["config"], checkpoint=checkpoint
        )
        counts["failed" if result.get("error") else "ok"] += 1

    run_jobs(jobs, executor, store_result, desc="train", progress=progress)
    return counts


def _spec_id(job: dict[str, Any]) -> str:
    from zcphar.space import spec_from_dict

    return spec_from_dict(job["spec"]).id
