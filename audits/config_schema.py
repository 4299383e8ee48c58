"""Write the JSON Schema of the YAML config to audits/config.schema.json (``python -m audits.config_schema``).

Editors validate an audit YAML with it, e.g. with the line
``# yaml-language-server: $schema=<path>/config.schema.json`` at the top of the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from audits.config import config_json_schema

SCHEMA_PATH = Path(__file__).with_name("config.schema.json")


def main() -> None:
    SCHEMA_PATH.write_text(
        json.dumps(config_json_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"wrote {SCHEMA_PATH}")


if __name__ == "__main__":
    main()
