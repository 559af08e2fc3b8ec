import math

from flakelint.diagnostic import Severity
from flakelint.inputs import FORGES, branch_of
from flakelint.releases import end_of_life, is_maintained, is_release_version, maintained_releases, parse_branch
from flakelint.rule import Option, RepoRule

from . import at_span, input_location, nixpkgs_inputs

DAY = 86400


class UnsupportedBranch(RepoRule):
    """A nixpkgs input on a branch that is not a supported channel.

    ## What it does
    Reports a nixpkgs input whose branch is not one of the channels NixOS
    supports:

    - `nixos-unstable`, `nixos-unstable-small`, `nixpkgs-unstable`;
    - `nixos-YY.MM`, `nixos-YY.MM-small`, `nixpkgs-YY.MM-darwin` of a release
      that is still maintained.

    So it fires on a release past its end of life (`nixos-24.05` after
    2024-12-31), on `master` or no branch at all (nixpkgs' default branch),
    on `release-YY.MM`, `staging` and other non-channel branches. Which
    releases are maintained is computed from the release calendar (a
    release every May and November, `YY.05` and `YY.11`, each maintained for
    about seven months: `YY.05` to the end of December, `YY.11` to the end
    of June of the next year), on the date of the check (`--now`,
    `SOURCE_DATE_EPOCH`, else the clock) — no network. An input pinned to a
    revision follows no branch and is not judged.

    The branch comes from the url in `flake.nix` (or the lock's `original`
    when `flake.nix` does not give one); NixOS channel tarballs
    (`channels.nixos.org/nixos-25.05/…`) and FlakeHub versions (`0.2505.*`)
    count as their channel. By default the nixpkgs inputs are the root
    inputs that lock NixOS/nixpkgs.

    ## Why is this bad?
    An end-of-life release gets no more security fixes; its channel stops
    moving. `master` and the other non-channel branches have not passed the
    tests (Hydra) that gate channels, so they break more often and much of
    them is not in the binary cache yet: you build from source.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
      outputs = { nixpkgs, ... }: { };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.nixpkgs-unstable.url = "github:NixOS/nixpkgs/nixos-unstable";
      outputs = { nixpkgs, ... }: { };
    }
    ```

    ## Options
    - `supported-releases` (list of `"YY.MM"` strings, default empty): the
      releases to accept, instead of those the calendar says are
      maintained (for example `["25.05", "25.11"]`). Unstable channels are
      always accepted.
    - `nixpkgs-inputs` (list of input names, default empty): the root inputs
      to check; empty means every root input that locks NixOS/nixpkgs.
    """

    code = "FL109"
    name = "unsupported-branch"
    severity = Severity.WARNING
    uses_clock = True
    options = {
        "supported-releases": Option(list, [], 'releases to accept, e.g. ["25.05", "25.11"] (empty: from the calendar)'),
        "nixpkgs-inputs": Option(list, [], "root inputs that count as nixpkgs (empty: those locking NixOS/nixpkgs)"),
    }

    def check(self, repo):
        now = self.current_time(repo)
        configured = [str(n) for n in self.settings["nixpkgs-inputs"] or []]
        supported = [str(v) for v in self.settings["supported-releases"] or []]
        accepted = supported or maintained_releases(now)
        suggestion = ", ".join([f"nixos-{v}" for v in accepted] + ["nixos-unstable", "nixpkgs-unstable"])
        model = repo.inputs
        for name, declared, node in nixpkgs_inputs(repo, configured):
            ref = declared if declared is not None and declared.type is not None else None
            if ref is not None and ref.is_indirect and not ref.ref and not ref.rev:
                ref = None  # the registry decides the branch (FL104)
            if ref is None and node is not None:
                ref = node.original_ref
            if ref is None or ref.type is None:
                continue
            if ref.rev and not ref.ref:
                continue  # pinned: follows no branch
            branch_name = branch_of(ref)
            if branch_name is None:
                if ref.type in FORGES or ref.type == "git":
                    problem = "follows nixpkgs' default branch (master), which is not a channel: untested by Hydra and often not in the binary cache"
                else:
                    continue
            else:
                branch = parse_branch(branch_name)
                problem = _judge(branch, supported, now)
                if problem is None:
                    continue
            message = f"nixpkgs input `{name}` {problem}"
            hint = f"use a supported channel: {suggestion}"
            decl = model.inputs.get(name) if model is not None else None
            if decl is not None and declared is not None and decl.url_span is not None:
                yield at_span(self, repo, decl.url_span, message, hint)
            else:
                found = input_location(self, repo, name, message, hint)
                if found is not None:
                    yield found


    def steady_between(self, repo) -> tuple[float, float]:
        """The UTC day of ``now``: what the check reads of the clock is the date (the maintained releases).

        The last second of the day is left out: the date of a time a
        fraction of a microsecond before midnight is rounded to the next day.
        """
        now = self.current_time(repo)
        midnight = math.floor(now / DAY) * DAY  # POSIX days start at midnight UTC
        return midnight, midnight + DAY - 1.0


def _judge(branch, supported: list[str], now: float) -> str | None:
    """Why a branch is not a supported channel (None when it is one)."""
    if branch.channel and branch.track == "unstable":
        return None
    if branch.channel and branch.track == "release":
        version = branch.version
        if supported:
            if version in supported:
                return None
            return f"follows `{branch.name}`, but release {version} is not in supported-releases ({', '.join(supported)})"
        if not is_release_version(version) or version.split(".")[1] not in ("05", "11"):
            return f"follows `{branch.name}`, which is not a NixOS release channel"
        if is_maintained(version, now):
            return None
        return f"follows `{branch.name}`: NixOS {version} reached its end of life on {end_of_life(version).isoformat()} and gets no more security fixes"
    if branch.name in ("master", "main"):
        return f"follows `{branch.name}`, which is not a channel: untested by Hydra and often not in the binary cache"
    return f"follows `{branch.name}`, which is not a nixpkgs channel"
