{ ... }:
{
  hardware.bluetooth = {
    enable = true;
    powerOnBoot = false;
  };
}
