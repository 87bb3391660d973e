"""CloudFormation's YAML read into plain data: the short intrinsic tags (`!Ref`, `!GetAtt`,
`!Sub`, `!If`...) become their JSON forms (`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`), as
CloudFormation reads them.

libyaml's parser (PyYAML's C loader) reads infra/template.yaml in a tenth of the time cfn-lint's
decoder took, which also cost ~1.5 s of imports: together most of an `ecrm serve` start.
tests/local/test_template.py holds the result to cfn-lint's for the project's template.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

_UNPREFIXED = ("Ref", "Condition")  # every other tag is a function: `!Sub` is `Fn::Sub`


class _Loader(yaml.CSafeLoader):
    """The safe loader (no Python objects), with CloudFormation's tags and no duplicate keys;
    an unquoted date stays text, as CloudFormation reads it (`Version: 2012-10-17`)."""

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's class attribute, less timestamps
        first: [(tag, pattern) for tag, pattern in resolvers if not tag.endswith(":timestamp")]
        for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = Counter(self.construct_object(key, deep=deep) for key, _ in node.value)
        duplicates = [key for key, times in keys.items() if times > 1]
        if duplicates:
            line = node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate keys {sorted(map(str, duplicates))} at line {line}"
            )
        return super().construct_mapping(node, deep=deep)


def _value(loader: _Loader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _intrinsic(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in _UNPREFIXED else f"Fn::{suffix}"
    value = _value(loader, node)
    if name == "Fn::GetAtt" and isinstance(value, str):  # `!GetAtt Table.Arn`
        value = value.split(".", 1)
    return {name: value}


_Loader.add_multi_constructor("!", _intrinsic)


def load(text: str) -> Any:
    """The document `text` holds, tags as their JSON forms; a malformed document raises
    `yaml.YAMLError` (a duplicate key included)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader's subclass)
