{ pkgs, ... }:
{
  imports = [ ../../modules/home/shell.nix ];

  home.username = "alice";
  home.homeDirectory = "/home/alice";
  home.packages = with pkgs; [ htop jq ];

  programs.git = {
    enable = true;
    userName = "Alice";
    userEmail = "alice@example.org";
  };

  home.stateVersion = "25.05";
}
