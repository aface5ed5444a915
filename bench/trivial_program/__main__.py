"""The trivial program: what any Pulumi Python program pays (engine, language host, SDK import)."""

import pulumi

pulumi.export("floor", "ok")
