"""botocore's data loader (endpoints, service models), doing less at a cold start; what it
returns is what botocore's own loader returns. `ecrm.platform.aws` gives it to the session every
client comes from. Two differences, both in work, none in outcome (issue 15 point 7):

- files are parsed into plain dicts, not the `OrderedDict`s botocore asks `json` for: dicts keep
  their order too and parse in half the time (a function's models and botocore's endpoints are
  some 3 MB of JSON, parsed at every cold start);
- "is this service known?", asked before each model is loaded, looks at that service's folder
  (which loading the model lists anyway) instead of listing botocore's 400-odd services, once
  for the service models and once for the endpoint rules (~0.05 of the cold-start baseline).
  The whole list is still made when anything else is asked of it.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Sequence
from functools import cached_property
from typing import Any, overload

from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader


class JsonFiles(JSONFileLoader):
    """botocore's file loader (same files, same order: `.json`, then `.json.gz`), returning
    plain dicts: `object_pairs_hook=OrderedDict` doubles the parse time of a model."""

    def load_file(self, file_path: str) -> Any:
        for suffix, opener in ((".json", open), (".json.gz", gzip.open)):
            if os.path.isfile(file_path + suffix):
                with opener(file_path + suffix, "rb") as source:
                    return json.loads(source.read().decode("utf-8"))
        return None


class _Services(Sequence[str]):
    """`Loader.list_available_services(type_name)`, listed only when more than `in` is asked:
    a service is known when it has an API version holding that type of file."""

    def __init__(self, loader: DataLoader, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:  # cached by the loader, and what loading the model asks next
            return bool(self._loader.list_api_versions(name, self._type_name))
        except DataNotFoundError:
            return False

    @cached_property
    def _listed(self) -> list[str]:
        listed: list[str] = Loader.list_available_services(self._loader, self._type_name)
        return listed

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self._listed[index]

    def __len__(self) -> int:
        return len(self._listed)


class DataLoader(Loader):
    def list_available_services(self, type_name: str) -> Sequence[str]:  # type: ignore[override]
        return _Services(self, type_name)


def loader_like(stock: Loader) -> DataLoader:
    """A loader searching where `stock` does (AWS_DATA_PATH, ~/.aws/models, botocore's data)."""
    return DataLoader(
        extra_search_paths=list(stock.search_paths),
        file_loader=JsonFiles(),
        include_default_search_paths=False,
    )
