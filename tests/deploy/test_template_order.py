"""The order CloudFormation creates and deletes resources in: what needs the NAT route."""

import re
from typing import Any

from tests.deploy.test_template import load_template, transform, with_images

NAT_PATH = {
    "PrivateDefaultRoute",
    "PrivateSubnetARouteTableAssociation",
    "PrivateSubnetBRouteTableAssociation",
}


def _references(value: Any) -> set[str]:
    """Return the logical ids that a property value names through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner.split(".")[0])
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else inner.split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found.update(name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text))
                found.update(_references(inner[1] if isinstance(inner, list) else {}))
            else:
                found.update(_references(inner))
    elif isinstance(value, list):
        for inner in value:
            found.update(_references(inner))
    return found


def _dependencies(resources: dict[str, Any], name: str) -> set[str]:
    """Return every resource that CloudFormation creates before ``name`` and deletes after it."""
    seen: set[str] = set()
    pending = [name]
    while pending:
        resource = resources[pending.pop()]
        depends_on = resource.get("DependsOn", [])
        direct = _references(resource.get("Properties", {}))
        direct.update([depends_on] if isinstance(depends_on, str) else depends_on)
        for target in direct & resources.keys():
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def test_migrations_wait_for_nat_route() -> None:
    resources = transform(with_images(load_template()))["Resources"]
    missing = NAT_PATH - _dependencies(resources, "Migrations")
    assert missing == set()


def test_mq_mappings_wait_for_nat_route() -> None:
    resources = transform(with_images(load_template()))["Resources"]
    mappings = [
        name for name, r in resources.items() if r["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    assert len(mappings) == 3
    for mapping in mappings:
        missing = NAT_PATH - _dependencies(resources, mapping)
        assert missing == set(), mapping
