from flakelint.diagnostic import Severity
from flakelint.graph import resolve
from flakelint.rule import RepoRule
from flakelint.facts import MODULE_USAGES
from flakelint.wiring import layout_of


class CrossHostImport(RepoRule):
    """A host importing a file from another host's directory.

    ## What it does
    Reports a path in a file under `hosts/<a>/` (the layout's host
    directory) that leads to a file under `hosts/<b>/`, where both are host
    directories (they hold the host's `configuration.nix`, or the preset's
    equivalent). Shared directories such as `hosts/common/` are not hosts
    and may be imported by anyone. Computed paths are not followed.

    ## Why is this bad?
    Hosts share through `modules/`: a host that imports another host's file
    breaks silently when that host is changed or retired, and an edit meant
    for one machine lands on two. The shared part belongs in a module both
    import.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem { modules = [ ./hosts/laptop/configuration.nix ]; };
        nixosConfigurations.desktop = nixpkgs.lib.nixosSystem { modules = [ ./hosts/desktop/configuration.nix ]; };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: { imports = [ ../desktop/printing.nix ../../modules/services/ssh.nix ]; }
    # file: hosts/desktop/configuration.nix
    { ... }: { imports = [ ./printing.nix ../../modules/services/ssh.nix ]; }
    # file: hosts/desktop/printing.nix
    { ... }: { services.printing.enable = true; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem { modules = [ ./hosts/laptop/configuration.nix ]; };
        nixosConfigurations.desktop = nixpkgs.lib.nixosSystem { modules = [ ./hosts/desktop/configuration.nix ]; };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: { imports = [ ../../modules/services/printing.nix ../../modules/services/ssh.nix ]; }
    # file: hosts/desktop/configuration.nix
    { ... }: { imports = [ ../../modules/services/printing.nix ../../modules/services/ssh.nix ]; }
    # file: modules/services/printing.nix
    { ... }: { services.printing.enable = true; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```
    """

    code = "FL310"
    name = "cross-host-import"
    severity = Severity.WARNING

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None or layout.single_host:
            return
        host_dirs = set()
        for path in repo.files:
            found = layout.host_of(path)
            if found and path.rsplit("/", 1)[-1] in layout.host_files and path.rsplit("/", 1)[0] == found[1]:
                host_dirs.add(found[1])
        if len(host_dirs) < 2:
            return
        index = repo.file_index
        for path in sorted(repo.graph.refs):
            mine = layout.host_of(path)
            if mine is None or mine[1] not in host_dirs:
                continue
            for ref in repo.graph.refs[path]:
                if ref.kind != "exact" or ref.usage not in MODULE_USAGES:
                    continue
                for target in resolve(ref, index):
                    theirs = layout.host_of(target)
                    if theirs is None or theirs[1] == mine[1] or theirs[1] not in host_dirs:
                        continue
                    yield self.at_ref(
                        repo,
                        ref,
                        f"host `{mine[0]}` imports `{target}` from host `{theirs[0]}`'s directory",
                        hint="move what both hosts share into a module under modules/ and import it from both",
                    )
                    break
