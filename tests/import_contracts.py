"""A contract type for import-linter that the built-in ones lack: no module imports a module that imports it back.

`acyclic_siblings` (import-linter's own) finds cycles between the children of one package, counted as packages;
a cycle between modules of two domains that may import each other in the layer contract's listed exceptions
would slip through it. This contract looks at the modules themselves, with every import counted: those at the
top of a file, inside functions (deferred imports hide a cycle, they do not remove it) and under TYPE_CHECKING.
It takes no exceptions. Configured in pyproject.toml ([tool.importlinter]); run by tests/unit/test_import_contracts.py.
"""

from __future__ import annotations

import grimp
from importlinter import Contract, ContractCheck, fields, output


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child) & modules))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


class AcyclicModulesContract(Contract):
    """No import cycle between any two modules of `packages` (each with all its descendants).

    Configuration options:
        - packages: the packages whose modules are checked.
    """

    type_name = "acyclic_modules"

    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        modules: set[str] = set()
        for package in self.packages:  # type: ignore[attr-defined]
            modules |= {package} | graph.find_descendants(package)
        knots = _cycles(graph, modules)
        details = [{"size": len(knot), "cycle": _shortest_cycle(graph, knot)} for knot in knots]
        return ContractCheck(kept=not knots, metadata={"cycles": details})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for knot in check.metadata["cycles"]:
            output.print_error(f"A cycle ({knot['size']} modules are tied up in it; the shortest through its first):",
                               bold=True)
            for importer, imported, lines in knot["cycle"]:
                output.print_error(f"    {importer} -> {imported} (l. {', '.join(map(str, lines))})", bold=False)
            output.new_line()


def _shortest_cycle(graph: grimp.ImportGraph, knot: list[str]) -> list[tuple[str, str, list[int]]]:
    """The shortest cycle through the knot's first module, as (importer, imported, line numbers) steps."""
    start, members = knot[0], set(knot)
    best: tuple[str, ...] | None = None
    for child in sorted(graph.find_modules_directly_imported_by(start) & members):
        back = graph.find_shortest_chain(importer=child, imported=start) if child != start else (start,)
        if back is not None and (best is None or len(back) + 1 < len(best)):
            best = (start, *back)
    assert best is not None  # a module of a knot reaches back to itself
    return [(a, b, sorted(d["line_number"] for d in graph.get_import_details(importer=a, imported=b)))
            for a, b in zip(best, best[1:])]
