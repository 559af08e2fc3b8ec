from flakelint.diagnostic import Severity
from flakelint.graph import Edge
from flakelint.rule import RepoRule


def _has_cycle(edges) -> bool:
    """Is there any cycle among these edges? (iterative depth-first search)"""
    successors: dict[str, list[str]] = {}
    for edge in edges:
        successors.setdefault(edge.source, []).append(edge.target)
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in successors:
        if start in state:
            continue
        stack = [(start, iter(successors.get(start, ())))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors.get(child, ()))))
    return False


class ImportCycle(RepoRule):
    """Files that `import` each other in a cycle: infinite recursion.

    ## What it does
    Reports a cycle of plain `import` expressions that Nix evaluates as soon
    as each file's value is needed: `a.nix` is `import ./b.nix`, and
    `b.nix` imports `a.nix` again. Module `imports` lists are not counted (the
    module system deduplicates them), nor are imports that sit inside an
    attribute value, a list element or a function body, which Nix evaluates
    only on demand.

    ## Why is this bad?
    Evaluation never ends: Nix stops with "infinite recursion encountered".

    ## Example
    ```nix
    # file: default.nix
    import ./lib.nix
    # file: lib.nix
    let base = import ./default.nix; in base // { }
    ```

    ## Use instead
    ```nix
    # file: default.nix
    import ./lib.nix
    # file: lib.nix
    let base = import ./base.nix; in base // { }
    # file: base.nix
    { }
    ```
    """

    code = "FL206"
    name = "import-cycle"
    severity = Severity.ERROR

    def check(self, repo):
        graph = repo.graph
        # Only eager exact imports can cycle: pick their links before making edges of them.
        eager = [
            Edge(link.source, target, link.kind, link.ref)
            for link in graph.links
            if link.kind == "import" and link.ref.eager and link.ref.kind == "exact"
            for target in link.targets
        ]
        if not eager or not _has_cycle(eager):
            return  # the common case, decided without importing networkx
        import networkx as nx

        digraph = nx.DiGraph()
        first_edge = {}
        for edge in eager:
            digraph.add_edge(edge.source, edge.target)
            first_edge.setdefault((edge.source, edge.target), edge)
        for component in sorted(nx.strongly_connected_components(digraph), key=min):
            if len(component) == 1:
                (only,) = component
                if not digraph.has_edge(only, only):
                    continue
            start = min(component)
            cycle = nx.find_cycle(digraph.subgraph(component), source=start)
            files = [source for source, _ in cycle] + [cycle[0][0]]
            edge = first_edge[cycle[0]]
            yield self.at_ref(
                repo,
                edge.ref,
                "import cycle: " + " -> ".join(files) + " (infinite recursion when evaluated)",
                hint="move what both files need into a third file that neither imports back",
            )
