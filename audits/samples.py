"""Where the bundled sample audits (Adult, German credit) are.

They live in the repository's ``sample_data/`` folder, which a wheel does not carry (12 MB of data and models).
An installed package finds them through ``RAI_AUDIT_SAMPLES``, else next to the package (a source checkout), and
says where to get them when neither holds them.
"""

from __future__ import annotations

import os
from pathlib import Path

from audits.errors import AuditInputError

SAMPLES_ENV_VAR = "RAI_AUDIT_SAMPLES"
REPOSITORY_FOLDER = Path(__file__).resolve().parent.parent / "sample_data"


def samples_dir() -> Path:
    """The folder holding ``adult/`` and ``german_credit/``: ``$RAI_AUDIT_SAMPLES``, else the source checkout's."""
    env = os.environ.get(SAMPLES_ENV_VAR, "").strip()
    return Path(env).expanduser() if env else REPOSITORY_FOLDER


def require_samples(folder: Path, sample: str = "adult") -> Path:
    """``folder / sample`` when it exists, else an input error saying where the samples are to be found."""
    path = Path(folder) / sample
    if path.is_dir():
        return path
    raise AuditInputError(
        f"{path}: the bundled sample '{sample}' is not there. The samples are not part of the installed "
        "package: they are in the sample_data/ folder of the RAI Audit source repository. Clone it and run from "
        f"its root, or set {SAMPLES_ENV_VAR} to the folder that holds adult/ and german_credit/."
    )
