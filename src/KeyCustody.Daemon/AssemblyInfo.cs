// keycustodyd runs on Linux: Unix sockets with SO_PEERCRED, file modes, libpcsclite.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
