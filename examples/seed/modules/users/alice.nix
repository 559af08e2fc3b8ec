{ pkgs, ... }:
{
  users.users.alice = {
    isNormalUser = true;
    extraGroups = [ "wheel" "networkmanager" ];
    shell = pkgs.fish;
    # A hash, never the password itself (mkpasswd -m yescrypt).
    hashedPasswordFile = "/run/secrets/alice-password";
  };
  programs.fish.enable = true;
}
