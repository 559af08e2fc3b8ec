import math
from datetime import datetime, timezone

from flakelint.diagnostic import Severity
from flakelint.rule import Option, RepoRule

from . import input_location, nixpkgs_inputs, valid_lock

DAY = 86400
#: Seconds kept off each bound of :meth:`OutdatedInput.steady_between`.
MARGIN = 1.0


class OutdatedInput(RepoRule):
    """The locked nixpkgs is older than the allowed age.

    ## What it does
    For each nixpkgs input, reads the date of the locked commit
    (`locked.lastModified` in `flake.lock`) and reports it when it is older
    than `max-age-days` (30 by default) at the time of the check. The
    finding is on the input's declaration in `flake.nix`.

    "Now" is the clock, unless `--now` or the `SOURCE_DATE_EPOCH`
    environment variable says otherwise (for reproducible CI runs and
    tests). By default the nixpkgs inputs are the root inputs that lock
    NixOS/nixpkgs (from GitHub, a git url, a channel tarball or FlakeHub);
    an input that only follows another is checked through that one.
    Nothing is said without a valid lock.

    ## Why is this bad?
    An old nixpkgs misses security fixes: a stable channel gets them every
    few days, and a lock that is months old ships known vulnerabilities
    even though the branch it follows has long fixed them.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: { };
    }
    # file: flake.lock
    {
      "nodes": {
        "nixpkgs": {
          "locked": { "lastModified": 1750000000, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0123456789abcdef0123456789abcdef01234567", "type": "github" },
          "original": { "owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github" }
        },
        "root": { "inputs": { "nixpkgs": "nixpkgs" } }
      },
      "root": "root",
      "version": 7
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: { };
    }
    # file: flake.lock
    {
      "nodes": {
        "nixpkgs": {
          "locked": { "lastModified": 1763500000, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0123456789abcdef0123456789abcdef01234567", "type": "github" },
          "original": { "owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github" }
        },
        "root": { "inputs": { "nixpkgs": "nixpkgs" } }
      },
      "root": "root",
      "version": 7
    }
    ```
    Run `nix flake update nixpkgs` regularly (a scheduled CI job that opens
    a pull request works well).

    ## Options
    - `max-age-days` (integer, default 30): the oldest allowed age of the
      locked commit, in days.
    - `nixpkgs-inputs` (list of input names, default empty): the root inputs
      to check; empty means every root input that locks NixOS/nixpkgs.
    """

    code = "FL108"
    name = "outdated-input"
    severity = Severity.WARNING
    uses_clock = True
    options = {
        "max-age-days": Option(int, 30, "the oldest allowed age of the locked nixpkgs commit, in days"),
        "nixpkgs-inputs": Option(list, [], "root inputs that count as nixpkgs (empty: those locking NixOS/nixpkgs)"),
    }

    def check(self, repo):
        now = self.current_time(repo)
        limit = self.settings["max-age-days"]
        for name, ref, modified in self._dated_inputs(repo):
            age = (now - modified) / DAY
            if age <= limit:
                continue
            when = datetime.fromtimestamp(modified, tz=timezone.utc).strftime("%Y-%m-%d")
            pinned = ref is not None and bool(ref.rev) and not ref.ref
            hint = (
                "it is pinned to a revision in flake.nix: move the pin to a recent commit"
                if pinned
                else f"run `nix flake update {name}` and commit flake.lock"
            )
            found = input_location(
                self, repo, name,
                f"nixpkgs input `{name}` is locked to a commit from {when}, {int(age)} days old "
                f"(more than max-age-days = {limit}): it lacks recent security fixes",
                hint,
            )
            if found is not None:
                yield found

    def steady_between(self, repo) -> tuple[float, float]:
        """Until an input's age crosses ``max-age-days`` or, once reported, its next whole day (the message says it).

        One second is kept off each bound, so that no rounding of the age
        can put a time inside the interval where ``check`` would say
        otherwise.
        """
        now = self.current_time(repo)
        limit = self.settings["max-age-days"]
        start, end = -math.inf, math.inf
        for _name, _ref, modified in self._dated_inputs(repo):
            age = (now - modified) / DAY
            if age <= limit:
                end = min(end, modified + limit * DAY - MARGIN)
            else:
                days = int(age)
                start = max(start, modified + max(days, limit) * DAY + MARGIN)
                end = min(end, modified + (days + 1) * DAY - MARGIN)
        return start, end

    def _dated_inputs(self, repo):
        """(name, declared reference, locked date) of each nixpkgs input with a dated lock entry, each lock node once."""
        if valid_lock(repo) is None:
            return
        configured = [str(n) for n in self.settings["nixpkgs-inputs"] or []]
        seen = set()
        for name, ref, node in nixpkgs_inputs(repo, configured):
            if node is None or node.id in seen:
                continue
            seen.add(node.id)
            if node.last_modified is not None:
                yield name, ref, node.last_modified
