"""How each policy is built: a pure function from a resource to its problems, made mandatory."""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

Problems = Callable[[ResourceValidationArgs], list[str]]


def mandatory_policy(
    name: str, description: str, types: frozenset[str], problems: Problems
) -> ResourceValidationPolicy:
    """Every problem becomes one violation; mandatory, so it fails `preview` and stops `up`."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in types:
            for problem in problems(args):
                report_violation(problem, None)

    return ResourceValidationPolicy(
        name=name, description=description, enforcement_level=EnforcementLevel.MANDATORY, validate=validate
    )
