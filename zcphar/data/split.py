"""Subject splits: which subjects go to train, val and test (DATASETS.md §1.3).

The paper split is scikit-learn `train_test_split` on the sorted unique subject ids
(test_size 0.2, random_state 42) into rest and test, then the same call on rest into train and
val. The result depends only on the number of ids and their sorted order.
"""

from __future__ import annotations

from sklearn.model_selection import train_test_split

from zcphar.data.protocol import SPLIT_METHODS, ProtocolOptions
from zcphar.errors import ZcpharError, unknown_choice


def _two_way(ids: list, test_size: float, seed: int) -> tuple[list, list, list]:
    if len(ids) < 3:
        raise ZcpharError(
            f"the dataset has {len(ids)} subject(s) ({', '.join(map(str, ids))}); a subject split "
            "needs at least 3 (one each for train, val and test)")
    rest, test = train_test_split(ids, test_size=test_size, random_state=seed)
    train, val = train_test_split(rest, test_size=test_size, random_state=seed)
    return list(train), list(val), list(test)


def _match(given: tuple, ids: list, role: str) -> list:
    """Map user-given ids (possibly strings from the CLI) onto the dataset's own ids."""
    by_text = {str(i): i for i in ids}
    out = []
    for g in given:
        if g in ids:
            out.append(g)
        elif str(g) in by_text:
            out.append(by_text[str(g)])
        else:
            raise unknown_choice(f"{role} subject", g, ids)
    return out


def _explicit(options: ProtocolOptions, ids: list) -> tuple[list, list, list]:
    val = _match(options.val_subjects, ids, "val")
    test = _match(options.test_subjects, ids, "test")
    if options.train_subjects:
        train = _match(options.train_subjects, ids, "train")
    else:
        train = [i for i in ids if i not in val and i not in test]
    for name, group in (("train", train), ("val", val), ("test", test)):
        if not group:
            raise ZcpharError(f"split 'explicit' gives no {name} subjects; "
                              f"give --{name}-subjects (subjects: {', '.join(map(str, ids))})")
    seen = train + val + test
    dupes = sorted({str(i) for i in seen if seen.count(i) > 1})
    if dupes:
        raise ZcpharError(f"subjects {', '.join(dupes)} are in more than one split")
    return train, val, test


def _loso(options: ProtocolOptions, ids: list) -> tuple[list, list, list]:
    if options.test_subjects:
        test = _match(options.test_subjects, ids, "test")
    else:
        if not 0 <= options.fold < len(ids):
            raise ZcpharError(f"loso fold {options.fold} is out of range; choose 0..{len(ids) - 1}")
        test = [ids[options.fold]]
    rest = [i for i in ids if i not in test]
    if options.val_subjects:
        val = _match(options.val_subjects, ids, "val")
    else:
        if len(rest) < 2:
            raise ZcpharError(f"loso needs at least 3 subjects; the dataset has {len(ids)}")
        _, val = train_test_split(rest, test_size=options.test_size, random_state=options.split_seed)
    train = [i for i in rest if i not in val]
    return _explicit(options.with_(train_subjects=tuple(train), val_subjects=tuple(val),
                                   test_subjects=tuple(test)), ids)


def split_subjects(subjects: list, options: ProtocolOptions) -> dict[str, list]:
    """Assign sorted unique subject ids to ``train``, ``val`` and ``test``.

    Args:
        subjects: the dataset's subject ids (sorted here; their type decides the order).
        options: ``split`` method and its parameters.

    Returns:
        ``{"train": [...], "val": [...], "test": [...]}`` in the order the method produced.
    """
    ids = sorted(set(subjects))
    method = options.split
    if method not in SPLIT_METHODS:
        raise unknown_choice("split", method, SPLIT_METHODS)
    lists_given = options.train_subjects or options.val_subjects or options.test_subjects
    if method in ("paper", "seed") and lists_given:
        raise ZcpharError(f"subject lists need split 'explicit' or 'loso', not {method!r}")
    if method == "paper":
        train, val, test = _two_way(ids, 0.2, 42)
    elif method == "seed":
        train, val, test = _two_way(ids, options.test_size, options.split_seed)
    elif method == "loso":
        train, val, test = _loso(options, ids)
    else:
        train, val, test = _explicit(options, ids)
    return {"train": train, "val": val, "test": test}
