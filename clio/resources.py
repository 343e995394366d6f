"""Where the project's data folders are: `conf/` (Hydra configs) and `prompts/` (prompt files).

They live at the top of the repository, where they read as the project's versioned data, and a
built wheel carries copies inside the package (`clio/_resources/`, see setup.py). An installed
package finds its copies through importlib.resources; an editable install or a checkout finds the
repository's folders. A user's own configs join with Hydra's `--config-dir DIR`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _data_dir(name: str, marker: str) -> Path:
    packaged = Path(str(files("clio") / "_resources" / name))
    for candidate in (packaged, _CHECKOUT / name):
        if (candidate / marker).is_file():
            return candidate
    raise FileNotFoundError(f"clio: the package's {name}/ folder is missing (looked in {packaged} and {_CHECKOUT / name}); reinstall clio-harness")


CONF_DIR: Path = _data_dir("conf", "config.yaml")
PROMPTS_DIR: Path = _data_dir("prompts", "cluster_name.yaml")
