// These tests drive Linux-only pieces (libpcsclite, pcscd, SoftHSM2, Unix file modes).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
