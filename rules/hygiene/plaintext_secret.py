from __future__ import annotations

from flakelint.diagnostic import Diagnostic, Position, Severity
from flakelint.rule import RepoRule
from flakelint.secrets import in_test_tree, literal_secrets, private_keys, scan_file

STORE = "it ends up in the world-readable Nix store and in git history"
MESSAGES = {
    "password": "`{option}` is a plaintext password written into the repository: " + STORE,
    "hash": "`{option}` is a password hash written into the repository: " + STORE + ", open to offline cracking",
    "secret": "`{option}` is set to a literal secret: " + STORE,
}
HINTS = {
    "password": "use `hashedPasswordFile` with a secret deployed by sops-nix or agenix, and change this password",
    "hash": "use `hashedPasswordFile` with a secret deployed by sops-nix or agenix",
    "secret": "use the option's `*File` variant with a secret deployed by sops-nix or agenix "
    "(e.g. `config.sops.secrets.<name>.path`), and rotate this secret",
}
KEY_MESSAGE = (
    "private key material ({marker}) in a tracked file: it is in git history for good, "
    "and in the world-readable Nix store once the flake is evaluated"
)
KEY_HINT = "remove it, rotate the key, and deploy the key with sops-nix or agenix"


class PlaintextSecret(RepoRule):
    """A password, token or private key written into the repository in plain text.

    ## What it does
    Reports literal strings in `users.users.<u>.password` and
    `users.users.<u>.initialPassword` (clear-text passwords),
    `hashedPassword`/`initialHashedPassword` (password hashes), any option
    whose name ends in `Password`, `Secret`, `Token`, `ApiKey` or `AuthKey`
    (also `_password`, `_token`, … and `psk`, `privateKey`, `secretKey`), and
    private-key material (`-----BEGIN … PRIVATE KEY-----` followed by a key
    body) in any tracked file, Nix or not, including inside `.nix` strings.

    The finding never contains the secret: the message names the option, and
    the source snippet of the `full` format masks the literal.

    Not reported: `*File`/`*Path` options (`hashedPasswordFile`,
    `passwordFile`), paths and strings that are paths (`"/run/secrets/x"`),
    strings with interpolation (`"${config.sops.secrets.x.path}"`),
    `sops.*`/`age.*` declarations, `null`, empty strings and placeholders
    (`"@PASSWORD@"`, `"$TOKEN"`, `"<token>"`, `"!"`), public keys
    (`ssh-ed25519 …`, `age1…`), key examples whose body is elided (`...`) or
    that sit in comments, `let` bindings, and files under a `test`/`tests`/
    `fixtures` directory or in a NixOS VM test (a file with a `testScript`):
    throwaway credentials of test machines.

    ## Why is this bad?
    Everything a flake evaluates is copied to `/nix/store`, which every user
    and process on the machine can read, and everything committed stays in
    git history even after it is deleted. A literal password, token or key
    is public to anyone with the repository or a shell on the host. Keep
    secrets encrypted (sops-nix, agenix) and point the `*File` option at the
    decrypted file.

    ## Example
    ```nix
    { ... }:
    {
      users.users.alice = {
        isNormalUser = true;
        initialPassword = "correct horse battery staple";
      };
      services.foo.apiToken = "ghp_0123456789abcdefABCDEF0123456789abcd";
    }
    ```

    ## Use instead
    ```nix
    { config, ... }:
    {
      users.users.alice = {
        isNormalUser = true;
        hashedPasswordFile = config.sops.secrets.alice-password.path;
      };
      services.foo.apiTokenFile = config.age.secrets.foo-token.path;
      users.users.alice.openssh.authorizedKeys.keys = [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHYqMlvvT4jXYtYJg0m0E3qsgZQ3D1EeZfFYvz7t1ZTA alice"
      ];
    }
    ```

    A password hash (`hashedPassword`, `initialHashedPassword`) is reported
    as a warning, a clear-text password or secret as an error.

    ## Known limitations
    Secrets assembled by functions or read with `builtins.readFile` from an
    unencrypted file are not recognised.
    """

    code = "FL501"
    cost = 2  # scheduling hint for the repository stage (measured; see Rule.cost)
    name = "plaintext-secret"
    severity = Severity.ERROR

    def check(self, repo):
        for path in sorted(repo.sources):
            if in_test_tree(path):
                continue
            yield from repo.summary(self, path)
        tracked = repo.flake.tracked
        max_size = repo.settings.max_file_size
        real_dirs: dict[str, str] = {}
        for path in repo.files:
            if path.endswith(".nix") or in_test_tree(path):
                continue
            if tracked is not None and path not in tracked:
                continue  # untracked: not in the flake, not in git history
            if repo.settings.is_excluded(path):
                continue
            data = scan_file(repo.root, path, max_size, real_dirs)
            if not data or b"PRIVATE KEY" not in data:
                continue
            for start, _end, marker in private_keys(data):
                line = data.count(b"\n", 0, start) + 1
                column = len(data[data.rfind(b"\n", 0, start) + 1 : start].decode("utf-8", "replace")) + 1
                yield Diagnostic(
                    code=self.code,
                    message=KEY_MESSAGE.format(marker=f"`{marker}`"),
                    path=path,
                    start=Position(line, column),
                    hint=KEY_HINT,
                )

    def summarize(self, source):
        """The findings in one ``.nix`` file (it needs no other file): computed where it was parsed."""
        return [] if in_test_tree(source.path) else list(self._nix_file(source))

    def _nix_file(self, source):
        data = source.data
        literals = literal_secrets(source)
        keys = []
        if b"PRIVATE KEY" in data:
            for start, end, marker in private_keys(data):
                node = source.root_node.descendant_for_byte_range(start, start + 1)
                if node is None or not _inside_string(node):
                    continue  # an example in a comment
                if any(s.start <= start < s.end for s in literals):
                    continue  # already reported as the option's value
                keys.append((start, end, marker))
        ranges = [(s.start, s.end) for s in literals] + [(start, end) for start, end, _ in keys]
        for secret in literals:
            yield self.diagnostic(
                source,
                start=secret.start,
                end=secret.end if data.find(b"\n", secret.start, secret.end) == -1 else secret.start + 1,
                message=MESSAGES[secret.kind].format(option=secret.option),
                hint=HINTS[secret.kind],
                redact=_redactions(source, secret.start, ranges),
                severity=Severity.WARNING if secret.kind == "hash" else None,
            )
        for start, end, marker in keys:
            yield self.diagnostic(
                source,
                start=start,
                end=start + len(marker),
                message=KEY_MESSAGE.format(marker=f"`{marker}`"),
                hint=KEY_HINT,
                redact=_redactions(source, start, ranges),
            )


def _inside_string(node) -> bool:
    while node is not None:
        if node.type in ("string_expression", "indented_string_expression"):
            return True
        if node.type == "comment":
            return False
        node = node.parent
    return False


def _redactions(source, offset: int, ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Column ranges of the line holding ``offset`` that show any secret of the file."""
    data = source.data
    line_start = data.rfind(b"\n", 0, offset) + 1
    line_end = data.find(b"\n", offset)
    if line_end == -1:
        line_end = len(data)
    masked = []
    for start, end in ranges:
        if end <= line_start or start >= line_end:
            continue
        first = source.position(max(start, line_start)).column
        last = source.position(min(end, line_end)).column
        masked.append((first, last))
    return tuple(sorted(masked))
